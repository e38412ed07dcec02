/**
 * `connection.subscribeWithHistory`: server code (a `join` handler) subscribes
 * its connection and replays the event's history, the way a client's own
 * `subscribe` with `resume` or `recent` does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { On, UsageError, type Context, type HistorySubscribeOptions } from '../../src/index.js';
import { BrokerHub, type ReceivedEnvelope, type TestClient } from '../../src/testing/index.js';
import { testApps } from '../support/test-apps.js';

interface Enter {
  event: string;
  options?: HistorySubscribeOptions;
}

/** Subscribes its connection to what the client names, with what it asks of the history. */
class Rooms {
  @On('enter')
  async enter(msg: Enter, ctx: Context): Promise<unknown> {
    const recovery = await ctx.connection.subscribeWithHistory(msg.event, msg.options);
    return { recovery: recovery ?? null, subscriptions: ctx.connection.subscriptions };
  }
}

const SIZE = 5;
const make = testApps({
  handlers: [Rooms],
  topics: [{ name: 'room.*', history: { size: SIZE } }, 'plain.*'],
});

/** Publishes `n` messages on `event`, numbered from `from`. */
function publish(
  app: { publish(event: string, data: unknown): void },
  event: string,
  n: number,
  from = 1,
) {
  for (let i = 0; i < n; i++) app.publish(event, { n: from + i });
}

/** What the `enter` handler answers. */
interface Entered {
  recovery: Record<string, unknown> & { epoch: string; offset: number };
  subscriptions: string[];
}

/** Asks the handler to subscribe `client` to `event`; resolves with its answer. */
async function enter(
  client: TestClient,
  event: string,
  options?: HistorySubscribeOptions,
): Promise<Entered> {
  const ack = await client.request('enter', { event, options });
  return ack.data as Entered;
}

/** What `client` received of `event`: each message's `n` and offset, in order. */
function seen(client: TestClient, event: string): Array<[number, number | undefined]> {
  return client.received
    .filter((e) => e.event === event)
    .map((e: ReceivedEnvelope) => [
      (e.data as { n: number }).n,
      (e as { position?: { offset: number } }).position?.offset,
    ]);
}

/** The index of the first envelope of `event` and of the ack, to check what came first. */
function before(client: TestClient, event: string): boolean {
  const events = client.received.map((e) => e.event);
  return events.indexOf(event) < events.indexOf('ack');
}

describe('connection.subscribeWithHistory', () => {
  it('replays the newest `recent` messages before the handler answers', async () => {
    const t = await make();
    publish(t.app, 'room.a', 8);
    const client = await t.connect({ protocol: 'carom' });
    const ack = await enter(client, 'room.a', { recent: 3 });
    assert.deepEqual(seen(client, 'room.a'), [
      [6, 6],
      [7, 7],
      [8, 8],
    ]);
    assert.ok(before(client, 'room.a'), 'replayed before the answer');
    const { recovery, subscriptions } = ack as {
      recovery: Record<string, unknown>;
      subscriptions: string[];
    };
    assert.equal(recovery.recovered, true);
    assert.equal(recovery.replayed, 3);
    assert.equal(recovery.offset, 8);
    assert.equal(typeof recovery.epoch, 'string');
    assert.deepEqual(subscriptions, ['room.a']);
    // Then live, positioned.
    publish(t.app, 'room.a', 1, 9);
    await t.idle();
    assert.deepEqual(seen(client, 'room.a').at(-1), [9, 9]);
  });

  it('replays what followed `since`, and says it was recovered', async () => {
    const t = await make();
    const first = await t.connect({ protocol: 'carom' });
    const ack = await enter(first, 'room.a', {});
    const epoch = ack.recovery.epoch;
    assert.equal(ack.recovery.offset, 0);
    publish(t.app, 'room.a', 4);
    const again = await t.connect({ protocol: 'carom' });
    const { recovery } = await enter(again, 'room.a', { since: { epoch, offset: 2 }, recent: 5 });
    assert.deepEqual(seen(again, 'room.a'), [
      [3, 3],
      [4, 4],
    ]);
    assert.deepEqual(recovery, { recovered: true, epoch, offset: 4, replayed: 2 });
  });

  it('replays the recent ones instead when `since` is gone, and says why', async () => {
    const t = await make();
    publish(t.app, 'room.a', SIZE + 3); // offsets 1..8; the history holds 4..8
    const probe = await t.connect({ protocol: 'carom' });
    const { recovery: now } = await enter(probe, 'room.a', {});
    const epoch = now.epoch;

    const rolled = await t.connect({ protocol: 'carom' });
    const gap = await enter(rolled, 'room.a', { since: { epoch, offset: 1 }, recent: 2 });
    assert.deepEqual(seen(rolled, 'room.a'), [
      [7, 7],
      [8, 8],
    ]);
    assert.deepEqual(gap.recovery, {
      recovered: false,
      epoch,
      offset: 8,
      replayed: 2,
      reason: 'GAP',
    });

    const restarted = await t.connect({ protocol: 'carom' });
    const lost = await enter(restarted, 'room.a', {
      since: { epoch: 'an-epoch-before-a-restart', offset: 3 },
      recent: 1,
    });
    assert.deepEqual(seen(restarted, 'room.a'), [[8, 8]]);
    assert.deepEqual(lost.recovery, {
      recovered: false,
      epoch,
      offset: 8,
      replayed: 1,
      reason: 'EPOCH',
    });

    // Without `recent`, nothing is replayed, and the client learns where the event stands.
    const bare = await t.connect({ protocol: 'carom' });
    const none = await enter(bare, 'room.a', { since: { epoch, offset: 1 } });
    assert.deepEqual(seen(bare, 'room.a'), []);
    assert.deepEqual(none.recovery, {
      recovered: false,
      epoch,
      offset: 8,
      replayed: 0,
      reason: 'GAP',
    });
  });

  it('misses and doubles nothing at the seam when live messages arrive during the replay', async () => {
    // Across a hub, recorded messages reach every node later, in offset order (as from Redis):
    // those published just before the subscribe, and just after, arrive while it replays.
    const hub = new BrokerHub();
    const a = await make({ broker: hub.broker('a') });
    const b = await make({ broker: hub.broker('b') });
    const probe = await a.connect({ protocol: 'carom' });
    const { recovery } = await enter(probe, 'room.a', {});
    const since = { epoch: recovery.epoch, offset: 0 };
    for (let round = 0; round < 3; round++) {
      const client = await b.connect({ protocol: 'carom' });
      const from = round * 13 + 1;
      publish(a.app, 'room.a', 10, from);
      const entered = enter(client, 'room.a', { since, recent: SIZE });
      publish(a.app, 'room.a', 3, from + 10);
      const { recovery: report } = await entered;
      await hub.settled();
      await b.idle();
      // More than the history holds followed `since`: the newest SIZE were replayed, then
      // every later message, each once, in order, up to the last one published.
      assert.equal(report.reason, 'GAP');
      const offsets = seen(client, 'room.a').map(([, offset]) => offset!);
      for (let i = 1; i < offsets.length; i++) assert.equal(offsets[i], offsets[i - 1]! + 1);
      assert.equal(seen(client, 'room.a').at(-1)![0], from + 12);
      client.close();
    }
  });

  it('subscribes without replaying an event that keeps no history, or a plain client', async () => {
    const t = await make();
    const carom = await t.connect({ protocol: 'carom' });
    const noHistory = await enter(carom, 'plain.x', {
      since: { epoch: 'e', offset: 3 },
      recent: 2,
    });
    assert.deepEqual(noHistory.recovery, {
      recovered: false,
      epoch: 'e',
      offset: 3,
      replayed: 0,
      reason: 'NO_HISTORY',
    });
    assert.deepEqual(noHistory.subscriptions, ['plain.x']);

    publish(t.app, 'room.a', 3);
    const plain = await t.connect();
    const ack = await enter(plain, 'room.a', { recent: 3 });
    assert.equal(ack.recovery, null);
    assert.deepEqual(ack.subscriptions, ['room.a']);
    assert.deepEqual(seen(plain, 'room.a'), []);
    publish(t.app, 'room.a', 1, 4);
    await t.idle();
    // A bounce-ws client gets the frame without a position.
    assert.deepEqual(seen(plain, 'room.a'), [[4, undefined]]);
  });

  it('refuses a pattern, a malformed name or option, and an undeclared name, subscribing nothing', async () => {
    const t = await make();
    const client = await t.connect({ protocol: 'carom' });
    const connection = client.connection!;
    const bad: Array<[string, unknown]> = [
      ['room.*', {}],
      ['', {}],
      ['room.a', { recent: -1 }],
      ['room.a', { recent: 1.5 }],
      ['room.a', { recent: 100_001 }],
      ['room.a', { since: { epoch: '', offset: 1 } }],
      ['room.a', { since: { epoch: 'x'.repeat(65), offset: 1 } }],
      ['room.a', { since: { epoch: 'e', offset: -1 } }],
      ['room.a', { since: { epoch: 'e', offset: '1' } }],
      ['room.a', { since: null }],
      ['room.a', null],
      ['nobody.declares.this', {}],
    ];
    for (const [event, options] of bad) {
      await assert.rejects(
        connection.subscribeWithHistory(event, options as HistorySubscribeOptions),
        (err: unknown) => err instanceof UsageError,
        `${event} ${JSON.stringify(options)}`,
      );
    }
    assert.deepEqual(connection.subscriptions, []);
  });
});
