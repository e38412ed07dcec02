/**
 * History and resume over real sockets, with raw `ws` clients that offer the
 * `carom` subprotocol and track positions themselves: a client away while 500
 * messages are published gets all 500 back, in order, none twice; a restarted
 * node's new epoch is reported; plain clients see no position and cannot
 * resume; and several clients that drop and resume while a steady stream is
 * published each end with every message exactly once, in order.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Carom, type Position, type WireRecovery } from '../../src/index.js';
import type { Envelope } from '../support/envelope.js';
import { eventually } from '../support/wait.js';
import { Client, connect, connectCarom, terminateAll } from './helpers.js';

const apps: Carom[] = [];

afterEach(async () => {
  terminateAll();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(options: ConstructorParameters<typeof Carom>[0] = {}): Promise<string> {
  const app = new Carom({
    logLevel: 'fatal',
    heartbeatMs: 0,
    topics: [
      { name: 'chat', history: { size: 10_000 } },
      { name: 'small', history: { size: 10 } },
    ],
    ...options,
  });
  apps.push(app);
  const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
  return `ws://127.0.0.1:${port}/ws`;
}

let ids = 0;

/** Subscribes with `data` besides the events; resolves with the ack's recovery of `event`. */
async function subscribe(
  c: Client,
  events: string[],
  extra: object = {},
): Promise<Record<string, WireRecovery>> {
  const reply = await c.request({ event: 'subscribe', data: { events, ...extra }, id: ++ids });
  assert.equal(reply.event, 'ack', JSON.stringify(reply));
  return (reply.data as { recovery?: Record<string, WireRecovery> }).recovery ?? {};
}

const ofEvent = (c: Client, event: string): Envelope[] =>
  c.messages.filter((e) => e.event === event);
const lastPosition = (c: Client, event: string): Position => ofEvent(c, event).at(-1)!.position!;
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('history over sockets', () => {
  it('a client away while 500 messages are published gets all 500, in order, none twice', async () => {
    const url = await start();
    const app = apps[0]!;
    const first = await connectCarom(url);
    await subscribe(first, ['chat']);
    app.publish('chat', { n: 0 });
    await first.nextOf('chat');
    const at = lastPosition(first, 'chat');
    first.ws.close();
    await first.closedWithin();
    await eventually(() => app.stats().connections === 0, 'the server saw the close');
    for (let n = 1; n <= 500; n++) app.publish('chat', { n });
    const back = await connectCarom(url);
    const recovery = await subscribe(back, ['chat'], { resume: { chat: at } });
    assert.deepEqual(recovery.chat, {
      recovered: true,
      epoch: at.epoch,
      offset: 501,
      replayed: 500,
    });
    app.publish('chat', { n: 501 });
    await eventually(() => ofEvent(back, 'chat').length === 501, 'the replay and one live');
    assert.deepEqual(
      ofEvent(back, 'chat').map((e) => (e.data as { n: number }).n),
      range(1, 501),
    );
    assert.deepEqual(
      ofEvent(back, 'chat').map((e) => e.position!.offset),
      range(2, 502),
    );
  });

  it('reports a gap larger than the history, and a restarted node as EPOCH', async () => {
    const url = await start();
    const app = apps[0]!;
    const c = await connectCarom(url);
    await subscribe(c, ['small', 'chat']);
    app.publish('small', { n: 1 });
    app.publish('chat', { n: 1 });
    await eventually(() => c.messages.length >= 4, 'both messages');
    const small = lastPosition(c, 'small');
    const chat = lastPosition(c, 'chat');
    for (let n = 2; n <= 30; n++) app.publish('small', { n });
    const gap = await connectCarom(url);
    const r = await subscribe(gap, ['small'], { resume: { small } });
    assert.deepEqual(r.small, {
      ...small,
      offset: 30,
      recovered: false,
      replayed: 0,
      reason: 'GAP',
    });
    // A restart: the same declarations on a new app, so a new memory history.
    await app.close();
    const url2 = await start();
    const again = await connectCarom(url2);
    const e = await subscribe(again, ['chat'], { resume: { chat } });
    assert.equal(e.chat!.reason, 'EPOCH');
    assert.equal(e.chat!.recovered, false);
    assert.notEqual(e.chat!.epoch, chat.epoch);
  });

  it('plain clients get no position and cannot resume; recent works on a first subscribe', async () => {
    const url = await start();
    const app = apps[0]!;
    for (let n = 1; n <= 20; n++) app.publish('chat', { n });
    const plain = await connect(url);
    await plain.request({ event: 'subscribe', data: { events: ['chat'] }, id: 1 });
    app.publish('chat', { n: 21 });
    const got = await plain.nextOf('chat');
    assert.equal('position' in got, false);
    const refused = await plain.request({
      event: 'subscribe',
      data: { events: ['chat'], resume: { chat: { epoch: 'e', offset: 1 } } },
      id: 2,
    });
    assert.equal(refused.event, 'error');
    assert.equal((refused.data as { code: string }).code, 'BAD_ENVELOPE');
    const carom = await connectCarom(url);
    const recent = await subscribe(carom, ['chat'], { recent: 5 });
    assert.equal(recent.chat!.replayed, 5);
    assert.deepEqual(
      ofEvent(carom, 'chat').map((e) => (e.data as { n: number }).n),
      range(17, 21),
    );
  });

  it('clients dropping and resuming during a steady stream each get every message once, in order', async () => {
    // A small backlog threshold: replays wait for their sockets to drain, so publishes land mid-replay.
    const url = await start({ backlogBytes: 2048 });
    const app = apps[0]!;
    const TOTAL = 3000;
    const CLIENTS = 6;
    /** Per client: what it received, over all its connections, and where it started. */
    const runs = Array.from({ length: CLIENTS }, () => ({
      offsets: [] as number[],
      start: 0,
      last: { epoch: '', offset: 0 } as Position,
      reconnects: 0,
    }));
    const sockets: Client[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const c = await connectCarom(url);
      const r = await subscribe(c, ['chat'], { recent: 0 });
      runs[i]!.start = r.chat!.offset;
      runs[i]!.last = { epoch: r.chat!.epoch, offset: r.chat!.offset };
      sockets.push(c);
    }
    let published = 0;
    let stop = false;
    // A steady stream: a few messages a turn, bounded in count.
    const stream = (async () => {
      while (published < TOTAL && !stop) {
        for (let k = 0; k < 5 && published < TOTAL; k++) app.publish('chat', { n: ++published });
        await new Promise((r) => setImmediate(r));
      }
    })();
    // Each client drops and resumes three times, at different points of the stream.
    const clients = runs.map(async (run, i) => {
      let c = sockets[i]!;
      for (let round = 1; round <= 3; round++) {
        const at = Math.floor((TOTAL * (round * CLIENTS + i)) / (4 * CLIENTS + 1));
        await eventually(() => published >= at || stop, `publish ${at}`, 20_000);
        const seen = ofEvent(c, 'chat');
        for (const e of seen) run.offsets.push(e.position!.offset);
        run.last = seen.at(-1)?.position ?? run.last;
        c.ws.terminate();
        await c.closedWithin();
        c = await connectCarom(url);
        const r = await subscribe(c, ['chat'], { resume: { chat: run.last } });
        assert.equal(r.chat!.recovered, true, JSON.stringify(r));
        run.reconnects++;
      }
      return c;
    });
    const finals = await Promise.all(clients);
    await stream;
    for (let i = 0; i < CLIENTS; i++) {
      const c = finals[i]!;
      await eventually(
        () => ofEvent(c, 'chat').at(-1)?.position?.offset === TOTAL,
        `client ${i} caught up`,
        20_000,
      );
      const run = runs[i]!;
      for (const e of ofEvent(c, 'chat')) run.offsets.push(e.position!.offset);
      assert.equal(run.reconnects, 3);
      assert.deepEqual(run.offsets, range(run.start + 1, TOTAL), `client ${i}`);
    }
    stop = true;
  });
});
