/**
 * The handler timeout (`handlerTimeoutMs`, `@On(event, { timeoutMs })`): a
 * handler that has not settled in time is answered `HANDLER_TIMEOUT` and stops
 * holding its connection's queue; what it settles to later is dropped and
 * logged. Driven by the app's (fake) clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsInt } from 'class-validator';
import { DEFAULTS, ErrorCode, On, Payload } from '../../src/index.js';
import { settle, type TestApp, type TestClient } from '../../src/testing/index.js';
import { deferred, type Deferred } from '../support/deferred.js';
import { testApps } from '../support/test-apps.js';

const make = testApps();

/** The gate the slow handlers wait on; each test makes a fresh one. */
let gate: Deferred<string> = deferred<string>();

class BidDto {
  @IsInt()
  amount!: number;
}

class Slow {
  @On('wait', { dto: false })
  wait(): Promise<string> {
    return gate.promise;
  }

  @On('patient', { dto: false, timeoutMs: 5000 })
  patient(): Promise<string> {
    return gate.promise;
  }

  @On('forever', { dto: false, timeoutMs: 0 })
  forever(): Promise<string> {
    return gate.promise;
  }

  @On('bid')
  bid(@Payload() dto: BidDto): Promise<number> {
    return gate.promise.then(() => dto.amount);
  }

  @On('quick', { dto: false })
  quick(): string {
    return 'quick';
  }
}

async function app(options = {}): Promise<TestApp> {
  gate = deferred<string>();
  return make({ handlers: [Slow], ...options });
}

/** Every reply the client got, as `[id, code or data]`. */
function replies(client: TestClient): unknown[][] {
  return client.received
    .filter((e) => e.event === 'ack' || e.event === 'error')
    .map((e) => [e.id, e.event === 'error' ? e.data.code : e.data]);
}

function warnings(t: TestApp): string[] {
  return t.logs.filter((l) => l.level === 'warn').map((l) => String(l.args[0]));
}

describe('handlerTimeoutMs', () => {
  it('answers HANDLER_TIMEOUT when the time is up, and the queue moves on', async () => {
    const t = await app({ handlerTimeoutMs: 1000 });
    const client = await t.connect();
    client.send('wait', undefined, { id: 'hung' });
    client.send('quick', undefined, { id: 'behind' });
    await t.clock.advance(999);
    assert.deepEqual(replies(client), [], 'nothing before the time is up');
    assert.equal(t.app.stats().pending, 2);
    await t.clock.advance(1);
    await t.idle();
    assert.deepEqual(replies(client), [
      ['hung', ErrorCode.HANDLER_TIMEOUT],
      ['behind', 'quick'],
    ]);
    const error = client.received.find((e) => e.id === 'hung')!;
    assert.equal(error.data.event, 'wait');
    assert.match(error.data.message, /within 1000 ms/);
    assert.ok(warnings(t).some((l) => l.includes('Slow.wait did not settle within 1000 ms')));
    assert.equal(t.app.stats().pending, 0);
  });

  it('drops a result that comes after the timeout, and logs it', async () => {
    const t = await app({ handlerTimeoutMs: 100 });
    const client = await t.connect();
    client.send('wait', undefined, { id: 'late' });
    await t.clock.advance(100);
    await t.idle();
    gate.resolve('too late');
    await t.idle();
    assert.deepEqual(replies(client), [['late', ErrorCode.HANDLER_TIMEOUT]]);
    assert.ok(
      warnings(t).some(
        (l) => l.includes('Slow.wait resolved after its 100 ms timeout') && l.includes('too late'),
      ),
      JSON.stringify(warnings(t)),
    );
  });

  it('drops a late failure too, without an unhandled rejection', async () => {
    const t = await app({ handlerTimeoutMs: 100 });
    const client = await t.connect();
    client.send('wait', undefined, { id: 'late' });
    await t.clock.advance(100);
    gate.reject(new Error('failed late'));
    await t.idle();
    assert.deepEqual(replies(client), [['late', ErrorCode.HANDLER_TIMEOUT]]);
    assert.ok(warnings(t).some((l) => l.includes('failed after its 100 ms timeout')));
  });

  it('a handler that settles in time is answered as usual and leaves no timer', async () => {
    const t = await app({ handlerTimeoutMs: 1000 });
    const client = await t.connect();
    const timers = t.clock.pendingTimers;
    const reply = client.request('wait', undefined, { id: 'w1' });
    await settle(5);
    assert.equal(t.clock.pendingTimers, timers + 1, 'armed while the handler runs');
    gate.resolve('on time');
    assert.equal((await reply).data, 'on time');
    assert.equal(t.clock.pendingTimers, timers, 'disarmed once it settled');
  });

  it('a synchronous handler arms no timer at all', async () => {
    const t = await app({ handlerTimeoutMs: 1000 });
    const client = await t.connect();
    const timers = t.clock.pendingTimers;
    const armed: number[] = [];
    const setTimeout = t.clock.setTimeout.bind(t.clock);
    t.clock.setTimeout = (fn: () => void, ms: number) => {
      armed.push(ms);
      return setTimeout(fn, ms);
    };
    for (let i = 0; i < 5; i++) await client.request('quick', undefined, { id: `q${i}` });
    assert.deepEqual(armed, []);
    assert.equal(t.clock.pendingTimers, timers);
  });

  it('is 30 s by default', async () => {
    assert.equal(DEFAULTS.handlerTimeoutMs, 30_000);
    const t = await app();
    const client = await t.connect();
    client.send('wait', undefined, { id: 'hung' });
    await t.clock.advance(29_999);
    assert.deepEqual(replies(client), []);
    await t.clock.advance(1);
    await t.idle();
    assert.deepEqual(replies(client), [['hung', ErrorCode.HANDLER_TIMEOUT]]);
  });

  it('0 turns it off: the handler holds its request as long as it takes', async () => {
    const t = await app({ handlerTimeoutMs: 0 });
    const client = await t.connect();
    client.send('wait', undefined, { id: 'hung' });
    await t.clock.advance(24 * 3600_000);
    await settle(5);
    assert.deepEqual(replies(client), []);
    gate.resolve('at last');
    await t.idle();
    assert.deepEqual(replies(client), [['hung', 'at last']]);
  });

  it('bounds an async validation the same way', async () => {
    const t = await app({ handlerTimeoutMs: 100 });
    const client = await t.connect();
    client.send('bid', { amount: 3 }, { id: 'b1' });
    await t.clock.advance(100);
    await t.idle();
    assert.deepEqual(replies(client), [['b1', ErrorCode.HANDLER_TIMEOUT]]);
  });
});

describe('@On(event, { timeoutMs })', () => {
  it("overrides the app's timeout for that handler", async () => {
    const t = await app({ handlerTimeoutMs: 100 });
    const client = await t.connect();
    client.send('patient', undefined, { id: 'p1' });
    await t.clock.advance(4999);
    await settle(5);
    assert.deepEqual(replies(client), []);
    await t.clock.advance(1);
    await t.idle();
    assert.deepEqual(replies(client), [['p1', ErrorCode.HANDLER_TIMEOUT]]);
  });

  it('0 turns it off for that handler only', async () => {
    const t = await app({ handlerTimeoutMs: 100 });
    const client = await t.connect();
    client.send('forever', undefined, { id: 'f1' });
    await t.clock.advance(60_000);
    await settle(5);
    assert.deepEqual(replies(client), []);
  });

  it('that cannot work is refused when the app is built', async () => {
    for (const bad of [-1, 1.5, 2 ** 31, '100', Number.NaN]) {
      class Bad {
        @On('x', { dto: false, timeoutMs: bad as number })
        x(): void {}
      }
      await assert.rejects(make({ handlers: [Bad] }), {
        code: 'CAROM_ERR_BAD_OPTION',
        message: /timeoutMs of @On\('x'\) on Bad\.x must be 0 \(none\) or a whole number/,
      });
    }
  });
});
