/**
 * Requests the server makes of one client (`connection.ask`), through the
 * testing kit: answers, timeouts on the fake clock, the bound per connection,
 * clean-up on close, and every kind of bad answer a hostile client can send.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AskError,
  Handler,
  UsageError,
  eventMap,
  type Context,
  type Connection,
} from '../../src/index.js';
import { readAnswer } from '../../src/core/asks.js';
import { readAsked } from '../../src/client/answers.js';
import type { TestClient } from '../../src/testing/index.js';
import { testApps } from '../support/test-apps.js';

type Events = {
  confirm: { ask: { question: string }; answer: boolean };
  start: { send: { question: string }; ack: { confirmed: boolean } };
};

const { On } = eventMap<Events>();

/** A handler that asks its own client while handling: the answer must not queue behind it. */
@On('start', { dto: false })
class StartHandler extends Handler<{ question: string }, { confirmed: boolean }> {
  async handle(
    data: { question: string },
    ctx: Context<unknown, Events>,
  ): Promise<{ confirmed: boolean }> {
    return { confirmed: await ctx.connection.ask('confirm', data) };
  }
}

const make = testApps({ handlers: [StartHandler], askTimeoutMs: 1000 });

function connectionOf(client: TestClient): Connection<unknown, Events> {
  return client.connection as unknown as Connection<unknown, Events>;
}

/** Resolves with what `promise` rejected with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

/** The last `carom.ask` the client received, as the wire carries it. */
function lastAsk(client: TestClient): { ask: number; event: string; data: unknown } {
  const asks = client.dataOf<{ ask: number; event: string; data: unknown }>('carom.ask');
  assert.ok(asks.length > 0, 'the client was asked');
  return asks[asks.length - 1]!;
}

describe('connection.ask', () => {
  it('resolves with the answer of a client that answers', async () => {
    const t = await make();
    const client = await t.connect({ protocol: 'carom' });
    client.answer('confirm', (q: { question: string }) => q.question === 'sure?');
    assert.equal(await connectionOf(client).ask('confirm', { question: 'sure?' }), true);
    assert.equal(await connectionOf(client).ask('confirm', { question: 'no' }), false);
    assert.equal(t.app.pendingAsks, 0);
  });

  it('lets a handler await its own client: the answer does not wait behind the handler', async () => {
    const t = await make();
    const client = await t.connect({ protocol: 'carom' });
    client.answer('confirm', () => true);
    const reply = await client.request('start', { question: 'go?' });
    assert.deepEqual(reply.data, { confirmed: true });
  });

  it('times out on the fake clock when the client never answers, and forgets the request', async () => {
    const t = await make();
    const client = await t.connect({ protocol: 'carom' });
    const asked = connectionOf(client).ask('confirm', { question: '?' }, { timeoutMs: 500 });
    const failed = rejection(asked);
    assert.equal(t.app.pendingAsks, 1);
    await t.clock.advance(499);
    assert.equal(t.app.pendingAsks, 1);
    await t.clock.advance(1);
    const err = await failed;
    assert.ok(err instanceof AskError);
    assert.equal(err.code, 'ASK_TIMEOUT');
    assert.equal(t.app.pendingAsks, 0);
    // Its late answer is told apart, and the server goes on.
    client.send('carom.answer', { ask: lastAsk(client).ask, data: true });
    await t.idle();
    assert.match(client.errors.at(-1)!.message, /no request \d+ is waiting/);
    assert.equal(client.closed, false);
  });

  it('fails every waiting request when the connection closes, and keeps no timer', async () => {
    const t = await make();
    const client = await t.connect({ protocol: 'carom' });
    const failures = [1, 2, 3].map(() =>
      rejection(connectionOf(client).ask('confirm', { question: '?' })),
    );
    assert.equal(t.app.pendingAsks, 3);
    assert.equal(t.clock.pendingTimers, 3);
    client.close();
    for (const err of await Promise.all(failures)) {
      assert.ok(err instanceof AskError);
      assert.equal(err.code, 'ASK_CLOSED');
    }
    assert.equal(t.app.pendingAsks, 0);
    assert.equal(t.clock.pendingTimers, 0);
    const closed = await rejection(connectionOf(client).ask('confirm', { question: '?' }));
    assert.equal((closed as AskError).code, 'ASK_CLOSED');
  });

  it('bounds the requests waiting on one connection', async () => {
    const t = await make({ maxPendingAsks: 2 });
    const client = await t.connect({ protocol: 'carom' });
    const other = await t.connect({ protocol: 'carom' });
    const waiting = [1, 2].map(() =>
      rejection(connectionOf(client).ask('confirm', { question: '' })),
    );
    const third = await rejection(connectionOf(client).ask('confirm', { question: '' }));
    assert.ok(third instanceof AskError);
    assert.equal(third.code, 'ASK_LIMIT');
    other.answer('confirm', () => true);
    assert.equal(
      await connectionOf(other).ask('confirm', { question: '' }),
      true,
      'per connection',
    );
    client.close();
    await Promise.all(waiting);
  });

  it('rejects with the client’s code when it answers with an error', async () => {
    const t = await make();
    const client = await t.connect({ protocol: 'carom' });
    client.answer('confirm', () => {
      throw new Error('the user said nothing');
    });
    const err = await rejection(connectionOf(client).ask('confirm', { question: '?' }));
    assert.ok(err instanceof AskError);
    assert.equal(err.code, 'ASK_FAILED');
    assert.equal(err.clientCode, 'ANSWER_FAILED');
    assert.match(err.message, /the user said nothing/);
  });

  it('refuses a connection that did not negotiate the carom subprotocol, at once', async () => {
    const t = await make();
    const plain = await t.connect();
    assert.throws(
      () => void connectionOf(plain).ask('confirm', { question: '?' }),
      (err: unknown) => err instanceof UsageError && err.code === 'CAROM_ERR_ASK_UNSUPPORTED',
    );
    assert.deepEqual(plain.dataOf('carom.ask'), [], 'nothing was sent');
    assert.throws(
      () => void connectionOf(plain).ask('confirm', { question: '?' }, { timeoutMs: 0 }),
      UsageError,
    );
  });

  it('answers junk, unknown ids, duplicates and oversized answers with errors, and keeps serving', async () => {
    const t = await make({ maxPayload: 4096 });
    const client = await t.connect({ protocol: 'carom' });
    const asked = connectionOf(client).ask('confirm', { question: '?' });
    const { ask } = lastAsk(client);
    const junk: unknown[] = [
      null,
      'yes',
      [ask, true],
      {},
      { ask: String(ask), data: true },
      { ask: -1, data: true },
      { ask: 1.5, data: true },
      { ask, data: true, error: { code: 'X' } },
      { ask },
      { ask, error: 'no' },
      { ask, error: { code: '' } },
      { ask, error: { code: 'x'.repeat(65) } },
      { ask, error: { code: 'X', message: 7 } },
      { ask: ask + 1000, data: true },
      { ask: Number.MAX_SAFE_INTEGER + 2, data: true },
    ];
    for (const data of junk) client.send('carom.answer', data);
    client.sendRaw('{"event":"carom.answer","data":' + '['.repeat(40) + ']'.repeat(40) + '}');
    await t.idle();
    assert.equal(client.errors.length, junk.length + 1, 'each bad answer told');
    assert.ok(client.errors.every((e) => e.code === 'BAD_ENVELOPE'));
    assert.equal(t.app.pendingAsks, 1, 'the real request still waits');
    client.send('carom.answer', { ask, data: true });
    assert.equal(await asked, true);
    client.send('carom.answer', { ask, data: false });
    await t.idle();
    assert.match(client.errors.at(-1)!.message, /no request/, 'a duplicate is told apart');
    client.send('carom.answer', { ask, data: 'x'.repeat(5000) });
    assert.equal(client.closeCode, 1009, 'past maxPayload the socket closes, as for any frame');
    const other = await t.connect({ protocol: 'carom' });
    other.answer('confirm', () => true);
    assert.equal(await connectionOf(other).ask('confirm', { question: '?' }), true);
  });

  it('survives any JSON as an answer (property)', async () => {
    const t = await make();
    const client = await t.connect({ protocol: 'carom' });
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (data) => {
        client.send('carom.answer', data);
        await t.idle();
        return !client.closed;
      }),
      { numRuns: 200 },
    );
    client.answer('confirm', () => true);
    assert.equal(await connectionOf(client).ask('confirm', { question: '?' }), true);
  });
});

describe('reading answers and asks (property)', () => {
  it('readAnswer never throws, and accepts exactly the protocol’s shapes', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const read = readAnswer(value);
        if (typeof read === 'string') return true;
        const v = value as Record<string, unknown>;
        assert.ok(Number.isSafeInteger(v.ask) && (v.ask as number) >= 1);
        assert.equal(read.ask, v.ask);
        assert.notEqual(Object.hasOwn(v, 'data'), Object.hasOwn(v, 'error'));
        if (!read.ok) {
          assert.ok(read.code.length > 0 && read.code.length <= 64);
          assert.ok(read.message.length <= 500);
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it('readAnswer reads every well-formed answer', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.jsonValue(),
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.option(fc.string({ maxLength: 2000 }), { nil: undefined }),
        (ask, data, code, message) => {
          assert.deepEqual(readAnswer({ ask, data }), { ask, ok: true, data });
          const failed = readAnswer({ ask, error: { code, message } });
          assert.ok(typeof failed !== 'string' && !failed.ok);
          assert.equal(failed.code, code);
          assert.equal(failed.message, (message ?? code).slice(0, 500));
        },
      ),
    );
  });

  it('the client’s readAsked never throws and keeps only well-formed asks', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const read = readAsked(value);
        if (typeof read === 'string') return true;
        return Number.isSafeInteger(read.ask) && read.ask > 0 && read.event.length > 0;
      }),
      { numRuns: 2000 },
    );
  });
});
