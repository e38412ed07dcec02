/**
 * carom/client's answers to the server's `carom.ask`, over a fake WebSocket:
 * what it answers, and what a hostile server's asks cannot do to it.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { CaromClient, type ServerError } from '../../src/client/index.js';
import { fakeWebSocket, type FakeSocket } from './fake-socket.js';

const clients: CaromClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function opened(): { c: CaromClient; socket: FakeSocket; errors: ServerError[] } {
  const fake = fakeWebSocket();
  const c = new CaromClient('ws://carom.test/ws', { WebSocket: fake.WebSocket, heartbeatMs: 0 });
  clients.push(c);
  const errors: ServerError[] = [];
  c.onError((e) => errors.push(e));
  const socket = fake.sockets[0]!;
  socket.accept('carom').welcome('c1');
  return { c, socket, errors };
}

function answers(socket: FakeSocket): unknown[] {
  return socket.sent.filter((e) => e.event === 'carom.answer').map((e) => e.data);
}

describe('client.answer', () => {
  it('answers with the value, the promise, an error, or NO_ANSWER', async () => {
    const { c, socket, errors } = opened();
    c.answer('sum', (d: { a: number; b: number }) => d.a + d.b);
    c.answer('later', () => Promise.resolve({ ok: true }));
    c.answer('nothing', () => undefined);
    c.answer('boom', () => {
      throw new Error('no');
    });
    c.answer('cycle', () => {
      const o: Record<string, unknown> = {};
      o.o = o;
      return o;
    });
    const ask = (n: number, event: string, data: unknown = {}): void =>
      void socket.json({ event: 'carom.ask', data: { ask: n, event, data } });
    ask(1, 'sum', { a: 2, b: 3 });
    ask(2, 'later');
    ask(3, 'nothing');
    ask(4, 'boom');
    ask(5, 'cycle');
    ask(6, 'unknown');
    await flush();
    const byAsk = new Map(answers(socket).map((a) => [(a as { ask: number }).ask, a]));
    assert.deepEqual(byAsk.get(1), { ask: 1, data: 5 });
    assert.deepEqual(byAsk.get(2), { ask: 2, data: { ok: true } });
    assert.deepEqual(byAsk.get(3), { ask: 3, data: null });
    assert.deepEqual(byAsk.get(4), { ask: 4, error: { code: 'ANSWER_FAILED', message: 'no' } });
    assert.equal((byAsk.get(5) as { error: { code: string } }).error.code, 'ANSWER_FAILED');
    assert.deepEqual(byAsk.get(6), {
      ask: 6,
      error: { code: 'NO_ANSWER', message: "no answer is registered for 'unknown'" },
    });
    assert.equal(errors.filter((e) => e.code === 'LISTENER_ERROR').length, 2);
  });

  it('drops the answer when the connection that asked is gone', async () => {
    const { c, socket } = opened();
    let release: (v: number) => void = () => undefined;
    c.answer('slow', () => new Promise<number>((resolve) => (release = resolve)));
    socket.json({ event: 'carom.ask', data: { ask: 1, event: 'slow', data: null } });
    await flush();
    socket.drop(1006);
    release(1);
    await flush();
    assert.deepEqual(answers(socket), []);
  });

  it('ignores and reports any malformed ask a server sends (property)', async () => {
    const { c, socket, errors } = opened();
    c.answer('x', () => 1);
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (data) => {
        const before = answers(socket).length;
        socket.json({ event: 'carom.ask', data: data as never });
        await flush();
        const valid =
          typeof data === 'object' &&
          data !== null &&
          !Array.isArray(data) &&
          Number.isSafeInteger((data as { ask?: unknown }).ask) &&
          (data as { ask: number }).ask >= 1 &&
          typeof (data as { event?: unknown }).event === 'string' &&
          (data as { event: string }).event !== '';
        assert.equal(answers(socket).length, before + (valid ? 1 : 0));
        return c.state === 'open';
      }),
      { numRuns: 300 },
    );
    assert.ok(errors.some((e) => e.code === 'BAD_FRAME'));
  });
});
