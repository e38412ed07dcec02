/**
 * Requests and emits handled once (the envelope's `key`), through the testing
 * kit on the fake clock: repeats on a new connection, repeats while the first
 * is in flight, the window, identities, the bound per identity, what is
 * remembered and what is let go, and a store that fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsInt } from 'class-validator';
import {
  CaromError,
  ClientError,
  ConfigurationError,
  ErrorCode,
  Handler,
  LocalBroker,
  On,
  type Broker,
  type Claim,
  type Connection,
  type OnceStore,
} from '../../src/index.js';
import { BrokerHub, type TestApp, type TestClient } from '../../src/testing/index.js';
import { deferred, type Deferred } from '../support/deferred.js';
import { testApps } from '../support/test-apps.js';

/** What the handlers did, for each test to read. */
const calls: unknown[] = [];
let hold: Deferred<unknown> | undefined;
let failWith: unknown;

@On('order', { dto: false })
class OrderHandler extends Handler<{ item: string }, { order: number; item: string }> {
  async handle(data: { item: string }): Promise<{ order: number; item: string }> {
    calls.push(data);
    if (hold !== undefined) await hold.promise;
    if (failWith !== undefined) throw failWith;
    return { order: calls.length, item: data.item };
  }
}

@On('note', { dto: false })
class NoteHandler extends Handler<unknown, void> {
  handle(data: unknown): void {
    calls.push(data);
  }
}

class Amount {
  @IsInt() amount!: number;
}

@On('pay', { dto: Amount })
class PayHandler extends Handler<Amount, number> {
  handle(data: Amount): number {
    calls.push(data);
    return data.amount;
  }
}

const KEY = 'k-0123456789abcdef';
const OTHER_KEY = 'k-fedcba9876543210';
let allowed = true;

const make = testApps({
  handlers: [OrderHandler, NoteHandler, PayHandler],
  canHandle: () => allowed,
});

function reset(): void {
  calls.length = 0;
  hold = undefined;
  failWith = undefined;
  allowed = true;
}

async function carom(
  t: TestApp,
  clientId = 'client-aaaa-1111',
  user?: unknown,
): Promise<TestClient> {
  const options = { protocol: 'carom' as const, clientId };
  return user === undefined ? t.connect(options) : t.connect({ ...options, user });
}

describe('requests handled once', () => {
  it('handles a request retried with its key on a new connection once, both getting the first answer', async () => {
    reset();
    const t = await make();
    const first = await carom(t);
    const a = await first.request('order', { item: 'tea' }, { id: 1, key: KEY });
    first.close();
    const again = await carom(t);
    const b = await again.request('order', { item: 'tea' }, { id: 'retry', key: KEY });
    assert.equal(calls.length, 1);
    assert.equal(a.event, 'ack');
    assert.equal(b.event, 'ack');
    assert.equal(b.id, 'retry');
    assert.deepEqual(b.data, a.data);
    assert.deepEqual(b.data, { order: 1, item: 'tea' });
    const stats = t.app.onceStats();
    assert.equal(stats.handled, 1);
    assert.equal(stats.repeats, 1);
  });

  it('handles an emit retried with its key once, and counts the repeat', async () => {
    reset();
    const t = await make();
    const client = await carom(t);
    client.send('note', { text: 'hi' }, { key: KEY });
    client.send('note', { text: 'hi' }, { key: KEY });
    await t.idle();
    const again = await carom(t);
    again.send('note', { text: 'hi' }, { key: KEY });
    await t.idle();
    assert.equal(calls.length, 1);
    assert.equal(t.app.onceStats().repeatedEmits, 2);
    assert.deepEqual(client.errors, []);
    assert.deepEqual(again.errors, []);
  });

  it('makes a repeat that arrives while the first is handled wait, and answers both alike', async () => {
    reset();
    const t = await make();
    const first = await carom(t);
    const second = await carom(t);
    hold = deferred();
    const a = first.request('order', { item: 'cake' }, { id: 1, key: KEY });
    await new Promise((r) => setImmediate(r));
    const b = second.request('order', { item: 'cake' }, { id: 2, key: KEY });
    // Both wait on one handler run; releasing it answers both.
    await new Promise((r) => setImmediate(r));
    assert.equal(calls.length, 1);
    hold.resolve(undefined);
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(calls.length, 1);
    assert.deepEqual(rb.data, ra.data);
    assert.equal(rb.id, 2);
    assert.equal(t.app.onceStats().waited, 1);
  });

  it('gives a repeat whose first attempt closed mid-handler the answer that attempt settled', async () => {
    reset();
    const t = await make();
    const first = await carom(t);
    const second = await carom(t);
    hold = deferred();
    first.send('order', { item: 'pie' }, { id: 1, key: KEY });
    await new Promise((r) => setImmediate(r));
    first.close();
    const b = second.request('order', { item: 'pie' }, { id: 2, key: KEY });
    await new Promise((r) => setImmediate(r));
    hold.resolve(undefined);
    const reply = await b;
    assert.equal(calls.length, 1);
    assert.deepEqual(reply.data, { order: 1, item: 'pie' });
  });

  it('refuses a repeat HANDLER_TIMEOUT when the first is still handled past the handler timeout', async () => {
    reset();
    const t = await make({ handlerTimeoutMs: 1000 });
    const first = await carom(t);
    const second = await carom(t);
    hold = deferred();
    first.send('order', { item: 'slow' }, { id: 1, key: KEY });
    await new Promise((r) => setImmediate(r));
    second.send('order', { item: 'slow' }, { id: 2, key: KEY });
    await t.clock.advance(999);
    assert.equal(second.received.filter((e) => e.id === 2).length, 0);
    await t.clock.advance(2);
    const reply = second.received.find((e) => e.id === 2);
    assert.equal(reply?.event, 'error');
    assert.equal(reply.data.code, ErrorCode.HANDLER_TIMEOUT);
    assert.equal(calls.length, 1);
    hold.resolve(undefined);
  });

  it('handles a key again past its window', async () => {
    reset();
    const t = await make({ once: { windowMs: 60_000 } });
    const client = await carom(t);
    await client.request('order', { item: 'tea' }, { key: KEY });
    await t.clock.advance(59_000);
    await client.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(calls.length, 1);
    await t.clock.advance(1_001);
    const late = await client.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(calls.length, 2);
    assert.deepEqual(late.data, { order: 2, item: 'tea' });
  });

  it('handles the same key of another identity separately', async () => {
    reset();
    const t = await make();
    const ann = await carom(t, 'client-ann-00001');
    const bob = await carom(t, 'client-bob-00002');
    const a = await ann.request('order', { item: 'tea' }, { key: KEY });
    const b = await bob.request('order', { item: 'coffee' }, { key: KEY });
    assert.equal(calls.length, 2);
    assert.deepEqual(a.data, { order: 1, item: 'tea' });
    assert.deepEqual(b.data, { order: 2, item: 'coffee' });
  });

  it("takes the authenticated user's id as the identity, whatever the client instance", async () => {
    reset();
    const t = await make();
    const phone = await carom(t, 'client-phone-001', { id: 42, name: 'ann' });
    const laptop = await carom(t, 'client-laptop-01', { id: 42, name: 'ann' });
    const eve = await carom(t, 'client-phone-001', { id: 'eve' });
    await phone.request('order', { item: 'tea' }, { key: KEY });
    const repeat = await laptop.request('order', { item: 'tea' }, { key: KEY });
    await eve.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(calls.length, 2);
    assert.deepEqual(repeat.data, { order: 1, item: 'tea' });
  });

  it('forgets the oldest key of an identity past maxKeys', async () => {
    reset();
    const t = await make({ once: { maxKeys: 2 } });
    const client = await carom(t);
    const keys = ['key-aaaaaaaaaaaa1', 'key-aaaaaaaaaaaa2', 'key-aaaaaaaaaaaa3'];
    for (const key of keys) await client.request('order', { item: key }, { key });
    assert.equal(calls.length, 3);
    await client.request('order', { item: keys[2] }, { key: keys[2] });
    await client.request('order', { item: keys[1] }, { key: keys[1] });
    assert.equal(calls.length, 3);
    await client.request('order', { item: keys[0] }, { key: keys[0] });
    assert.equal(calls.length, 4);
  });

  it('answers a repeat of a failed request with the same error, under its own id', async () => {
    reset();
    const t = await make();
    failWith = new ClientError('sold out', { appCode: 'SOLD_OUT' });
    const client = await carom(t);
    const a = await client.request('order', { item: 'tea' }, { id: 'a', key: KEY });
    failWith = undefined;
    const b = await client.request('order', { item: 'tea' }, { id: 'b', key: KEY });
    assert.equal(calls.length, 1);
    assert.equal(a.event, 'error');
    assert.equal(b.event, 'error');
    assert.equal(b.id, 'b');
    assert.deepEqual(b.data, a.data);
    assert.equal(b.data.appCode, 'SOLD_OUT');
  });

  it('remembers an error a handler threw with a refusal code: the handler ran', async () => {
    reset();
    const t = await make();
    failWith = new CaromError(ErrorCode.FORBIDDEN, 'not today');
    const client = await carom(t);
    await client.request('order', { item: 'tea' }, { key: KEY });
    failWith = undefined;
    const b = await client.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(calls.length, 1);
    assert.equal(b.data.code, ErrorCode.FORBIDDEN);
  });

  it('lets a key go when the handler says to try again (UNAVAILABLE, RATE_LIMITED)', async () => {
    reset();
    const t = await make();
    const client = await carom(t);
    failWith = new CaromError(ErrorCode.UNAVAILABLE, 'database down');
    const a = await client.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(a.data.code, ErrorCode.UNAVAILABLE);
    failWith = new CaromError(ErrorCode.RATE_LIMITED, 'later');
    const b = await client.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(b.data.code, ErrorCode.RATE_LIMITED);
    failWith = undefined;
    const c = await client.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(c.event, 'ack');
    assert.equal(calls.length, 3);
    assert.equal(t.app.onceStats().released, 2);
  });

  it('lets a key go when the envelope is refused before its handler runs (guard, validation)', async () => {
    reset();
    const t = await make();
    const client = await carom(t);
    allowed = false;
    const forbidden = await client.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(forbidden.data.code, ErrorCode.FORBIDDEN);
    allowed = true;
    const handled = await client.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(handled.event, 'ack');
    const invalid = await client.request('pay', { amount: 'ten' }, { key: OTHER_KEY });
    assert.equal(invalid.data.code, ErrorCode.VALIDATION_FAILED);
    const paid = await client.request('pay', { amount: 10 }, { key: OTHER_KEY });
    assert.equal(paid.data, 10);
    assert.equal(calls.length, 2);
  });

  it('lets the key of a stale emit go: it was not handled', async () => {
    reset();
    const t = await make();
    const client = await carom(t);
    const now = t.clock.now();
    client.send('note', { n: 1 }, { timestamp: now });
    client.send('note', { n: 2 }, { timestamp: now - 10, key: KEY });
    await t.idle();
    assert.equal(calls.length, 1);
    client.send('note', { n: 2 }, { timestamp: now + 10, key: KEY });
    await t.idle();
    assert.equal(calls.length, 2);
  });

  it('answers a repeat with the first answer even when later envelopes made it stale', async () => {
    reset();
    const t = await make();
    const client = await carom(t);
    const now = t.clock.now();
    const first = await client.request('order', { item: 'a' }, { timestamp: now, key: KEY });
    await client.request('order', { item: 'b' }, { timestamp: now + 5 });
    const repeat = await client.request('order', { item: 'a' }, { timestamp: now, key: KEY });
    assert.equal(repeat.event, 'ack');
    assert.deepEqual(repeat.data, first.data);
  });

  it('ignores keys of connections with no identity, and counts them', async () => {
    reset();
    const t = await make();
    const anonymous = await t.connect({ protocol: 'carom' });
    await anonymous.request('order', { item: 'tea' }, { key: KEY });
    await anonymous.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(calls.length, 2);
    assert.equal(t.app.onceStats().unidentified, 2);
  });

  it('ignores the key of a plain (bounce-ws) client, well-formed or not', async () => {
    reset();
    const t = await make();
    const plain = await t.connect({ clientId: 'client-aaaa-1111' });
    await plain.request('order', { item: 'tea' }, { key: KEY });
    const b = await plain.request('order', { item: 'tea' }, { key: 'bad key!' });
    assert.equal(b.event, 'ack');
    assert.equal(calls.length, 2);
  });

  it('refuses a malformed key from a carom client as BAD_ENVELOPE, naming the id', async () => {
    reset();
    const t = await make();
    const client = await carom(t);
    for (const key of ['short', 'x'.repeat(65), 'has space in it!!', 42, null, ['a'.repeat(20)]]) {
      client.sendRaw(JSON.stringify({ event: 'order', data: {}, id: 'bad', key }));
      await t.idle();
    }
    const replies = client.received.filter((e) => e.id === 'bad');
    assert.equal(replies.length, 6);
    for (const reply of replies) assert.equal(reply.data.code, ErrorCode.BAD_ENVELOPE);
    assert.equal(calls.length, 0);
  });

  it('does not handle keys of subscribe and unsubscribe once: they act on the connection', async () => {
    reset();
    const t = await make({ topics: ['news'] });
    const first = await carom(t);
    await first.request('subscribe', { events: ['news'] }, { key: KEY });
    first.close();
    const again = await carom(t);
    const reply = await again.request('subscribe', { events: ['news'] }, { key: KEY });
    assert.equal(reply.event, 'ack');
    assert.deepEqual(again.connection?.subscriptions, ['news']);
  });

  it('uses once.identity when given, once per connection', async () => {
    reset();
    let asked = 0;
    const identity = (connection: Connection): string | undefined => {
      asked++;
      return (connection.user as { team?: string }).team;
    };
    const t = await make({ once: { identity } });
    const a = await carom(t, 'client-one-00001', { team: 'red' });
    const b = await carom(t, 'client-two-00002', { team: 'red' });
    await a.request('order', { item: 'x' }, { key: KEY });
    await a.request('order', { item: 'x' }, { key: OTHER_KEY });
    await b.request('order', { item: 'x' }, { key: KEY });
    assert.equal(calls.length, 2);
    assert.equal(asked, 2);
  });

  it('refuses the keyed envelopes of a connection whose once.identity fails, and logs it', async () => {
    reset();
    const t = await make({
      once: {
        identity: (c) => {
          if ((c.user as { bad: string }).bad === 'throw') throw new Error('boom');
          return 42 as unknown as string;
        },
      },
    });
    for (const bad of ['throw', 'number']) {
      const client = await carom(t, 'client-aaaa-1111', { bad });
      const reply = await client.request('order', { item: 'x' }, { key: KEY });
      assert.equal(reply.data.code, ErrorCode.HANDLER_ERROR);
      const plain = await client.request('order', { item: 'x' });
      assert.equal(plain.event, 'ack');
    }
    assert.equal(calls.length, 2);
    assert.ok(
      t.logs.some((l) => l.level === 'error' && String(l.args[0]).includes('once.identity')),
    );
  });

  it('recognises a retry on another node of a BrokerHub, whose nodes share their keys', async () => {
    reset();
    const hub = new BrokerHub();
    const a = await make({ broker: hub.broker('a') });
    const b = await make({ broker: hub.broker('b') });
    const onA = await carom(a);
    const first = await onA.request('order', { item: 'tea' }, { key: KEY });
    onA.close();
    const onB = await carom(b);
    const repeat = await onB.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(calls.length, 1);
    assert.deepEqual(repeat.data, first.data);
  });

  it('handles keyed envelopes as any other with once: false', async () => {
    reset();
    const t = await make({ once: false });
    const client = await carom(t);
    await client.request('order', { item: 'tea' }, { key: KEY });
    await client.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(calls.length, 2);
  });
});

/** A broker whose once store is the given one; a lone node otherwise. */
function brokerWith(once: OnceStore | undefined): Broker {
  const local = new LocalBroker();
  return {
    nodeId: '',
    start: (node) => local.start(node),
    publish: () => undefined,
    command: () => undefined,
    channelCreated: () => undefined,
    channelDeleted: () => undefined,
    stats: () => local.stats(),
    close: () => local.close(),
    ...(once === undefined ? {} : { once }),
  };
}

describe('the once store, failing or plain', () => {
  it('refuses UNAVAILABLE, without handling, when the store rejects or answers nonsense', async () => {
    reset();
    const stores: OnceStore[] = [
      {
        claim: () => Promise.reject(new Error('redis is down')),
        settle: () => undefined,
        release: () => undefined,
      },
      {
        claim: () => {
          throw new Error('thrown, not rejected');
        },
        settle: () => undefined,
        release: () => undefined,
      },
      {
        claim: () => Promise.resolve({ state: 'answered' } as unknown as Claim),
        settle: () => undefined,
        release: () => undefined,
      },
    ];
    for (const store of stores) {
      const t = await make({ broker: brokerWith(store) });
      const client = await carom(t);
      const reply = await client.request('order', { item: 'tea' }, { key: KEY });
      assert.equal(reply.data.code, ErrorCode.UNAVAILABLE);
      client.send('note', {}, { key: KEY });
      await t.idle();
      assert.equal(client.errors.at(-1)?.code, ErrorCode.UNAVAILABLE);
      assert.equal(t.app.onceStats().unavailable, 2);
      const plain = await client.request('order', { item: 'tea' });
      assert.equal(plain.event, 'ack');
    }
    assert.equal(calls.length, 3);
  });

  it('logs a store whose settle or release throws, and keeps serving', async () => {
    reset();
    const memory = new LocalBroker().once;
    const t = await make({
      broker: brokerWith({
        claim: (i, k, w, m) => memory.claim(i, k, w, m),
        settle: () => {
          throw new Error('settle failed');
        },
        release: () => {
          throw new Error('release failed');
        },
      }),
    });
    const client = await carom(t);
    assert.equal((await client.request('order', { item: 'a' }, { key: KEY })).event, 'ack');
    allowed = false;
    const refused = await client.request('order', { item: 'b' }, { key: OTHER_KEY });
    assert.equal(refused.data.code, ErrorCode.FORBIDDEN);
    const errors = t.logs.filter((l) => l.level === 'error').map((l) => String(l.args[0]));
    assert.ok(errors.some((line) => line.includes('failed to record an answer')));
    assert.ok(errors.some((line) => line.includes('failed to release a key')));
  });

  it('lets go of a key whose connection closed while it was claimed, without handling it', async () => {
    reset();
    const claimed = deferred<Claim>();
    const released: string[] = [];
    const t = await make({
      broker: brokerWith({
        claim: () => claimed.promise,
        settle: () => undefined,
        release: (_identity, key) => void released.push(key),
      }),
    });
    const client = await carom(t);
    client.send('order', { item: 'tea' }, { id: 1, key: KEY });
    await new Promise((r) => setImmediate(r));
    client.close();
    claimed.resolve({ state: 'first' });
    await t.idle();
    assert.equal(calls.length, 0);
    assert.deepEqual(released, [KEY]);
  });

  it('refuses UNAVAILABLE when a claim does not settle within the wait', async () => {
    reset();
    const t = await make({
      handlerTimeoutMs: 500,
      broker: brokerWith({
        claim: () => new Promise<Claim>(() => undefined),
        settle: () => undefined,
        release: () => undefined,
      }),
    });
    const client = await carom(t);
    client.send('order', { item: 'tea' }, { id: 9, key: KEY });
    await t.clock.advance(501);
    assert.equal(client.received.find((e) => e.id === 9)?.data.code, ErrorCode.UNAVAILABLE);
    assert.equal(calls.length, 0);
  });

  it('polls a store without awaitSettled until the first answer is there', async () => {
    reset();
    const memory = new LocalBroker().once;
    const store: OnceStore = {
      claim: (i, k, w, m) => memory.claim(i, k, w, m),
      settle: (i, k, a, w) => memory.settle(i, k, a, w),
      release: (i, k) => memory.release(i, k),
    };
    const t = await make({ broker: brokerWith(store) });
    const first = await carom(t);
    const second = await carom(t);
    hold = deferred();
    first.send('order', { item: 'tea' }, { id: 1, key: KEY });
    await new Promise((r) => setImmediate(r));
    second.send('order', { item: 'tea' }, { id: 2, key: KEY });
    await t.clock.advance(20);
    hold.resolve(undefined);
    await t.clock.advance(300);
    await t.idle();
    const a = first.received.find((e) => e.id === 1);
    const b = second.received.find((e) => e.id === 2);
    assert.equal(calls.length, 1);
    assert.equal(b?.event, 'ack');
    assert.deepEqual(b.data, a?.data);
  });

  it('is refused at start-up when set on a broker without a once store; warns when left out', async () => {
    await assert.rejects(
      make({ broker: brokerWith(undefined), once: { windowMs: 1000 } }),
      (err: unknown) => err instanceof ConfigurationError && err.code === 'CAROM_ERR_NO_ONCE_STORE',
    );
    const t = await make({ broker: brokerWith(undefined) });
    assert.ok(t.logs.some((l) => l.level === 'warn' && String(l.args[0]).includes('once: false')));
    reset();
    const client = await carom(t);
    await client.request('order', { item: 'tea' }, { key: KEY });
    await client.request('order', { item: 'tea' }, { key: KEY });
    assert.equal(calls.length, 2);
  });
});
