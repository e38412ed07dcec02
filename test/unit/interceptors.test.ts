/**
 * Interceptors: the app's `interceptors` wrap every handler, a handler's own
 * run inside them; what they return is the reply. Misuse of `next` (twice,
 * late, never) and hostile results end deterministically, with one reply and
 * nothing escaping to `unhandledRejection`. With none set, the handler is
 * called directly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientError, ErrorCode, Handler, On, type Interceptor } from '../../src/index.js';
import { intercept } from '../../src/core/interceptors.js';
import { settle, type TestApp } from '../../src/testing/index.js';
import { BAD_RETURNS, UNEXPECTED_THROWS } from '../support/hostile-values.js';
import { testApps } from '../support/test-apps.js';

const make = testApps();

/** Every step, in order: interceptors and handlers push here. */
let steps: string[] = [];
/** The per-handler interceptor of `bid`; each test sets it. */
let own: Interceptor = (_ctx, next) => next();

class Auction {
  @On('bid', {
    dto: false,
    interceptors: [(ctx, next, handler) => own(ctx, next, handler)],
  })
  bid(data: unknown): unknown {
    steps.push('bid');
    if (data === 'throw') throw new Error('bid failed');
    if (data === 'refuse') throw new ClientError('too low', { appCode: 'BID_TOO_LOW' });
    return { accepted: data };
  }

  @On('look', { dto: false })
  async look(): Promise<string> {
    await settle(1);
    steps.push('look');
    return 'looked';
  }
}

@On('plain', { dto: false })
class Plain extends Handler {
  handle(): string {
    steps.push('plain');
    return 'plain';
  }
}

/** An app-wide interceptor that records around the handler, and times it on the app's clock. */
function recorder(t: () => TestApp, name: string): Interceptor {
  const fn: Interceptor = async (ctx, next, handler) => {
    const started = t().clock.now();
    steps.push(`${name}>${handler}:${ctx.event}`);
    try {
      return await next();
    } finally {
      steps.push(`${name}<${t().clock.now() - started}`);
    }
  };
  return fn;
}

async function app(options = {}): Promise<TestApp> {
  steps = [];
  own = (_ctx, next) => next();
  return make({ handlers: [Auction, Plain], ...options });
}

function errorLogs(t: TestApp): string[] {
  return t.logs.filter((l) => l.level === 'error').map((l) => String(l.args[0]));
}

describe('interceptors', () => {
  it("the app's wrap every handler, first outermost, a handler's own inside them", async () => {
    const t: TestApp = await app({
      interceptors: [recorder(() => t, 'outer'), recorder(() => t, 'inner')],
    });
    own = async (_ctx, next) => {
      steps.push('own>');
      const value = await next();
      steps.push('own<');
      return value;
    };
    const client = await t.connect();
    const reply = await client.request('bid', 7, { id: 'b1' });
    assert.deepEqual([reply.event, reply.data], ['ack', { accepted: 7 }]);
    assert.deepEqual(steps, [
      'outer>Auction.bid:bid',
      'inner>Auction.bid:bid',
      'own>',
      'bid',
      'own<',
      'inner<0',
      'outer<0',
    ]);
    steps = [];
    await client.request('plain', undefined, { id: 'p1' });
    assert.deepEqual(steps, [
      'outer>Plain.handle:plain',
      'inner>Plain.handle:plain',
      'plain',
      'inner<0',
      'outer<0',
    ]);
  });

  it('time on the fake clock: an interceptor measures a handler that waits for it', async () => {
    const t: TestApp = await app({ interceptors: [recorder(() => t, 'timer')] });
    own = async (_ctx, next) => {
      await new Promise<void>((resolve) => t.clock.setTimeout(resolve, 250));
      return next();
    };
    const client = await t.connect();
    client.send('bid', 1, { id: 'b1' });
    await settle(3);
    await t.clock.advance(250);
    await t.idle();
    assert.deepEqual(steps, ['timer>Auction.bid:bid', 'bid', 'timer<250']);
  });

  it('may change the reply, or answer without calling next (the handler does not run)', async () => {
    const t = await app();
    const client = await t.connect();
    own = async (_ctx, next) => ({ wrapped: await next() });
    let reply = await client.request('bid', 2, { id: 'b1' });
    assert.deepEqual(reply.data, { wrapped: { accepted: 2 } });
    steps = [];
    own = () => 'from the cache';
    reply = await client.request('bid', 3, { id: 'b2' });
    assert.deepEqual([reply.event, reply.data], ['ack', 'from the cache']);
    assert.deepEqual(steps, []);
  });

  it("sees the handler's failure through next, and may turn it into a reply", async () => {
    const t = await app();
    const client = await t.connect();
    own = async (_ctx, next) => {
      try {
        return await next();
      } catch (err) {
        return { failed: (err as Error).message };
      }
    };
    const reply = await client.request('bid', 'throw', { id: 'b1' });
    assert.deepEqual(reply.data, { failed: 'bid failed' });
  });

  it("passes a ClientError's application code on when it lets the failure through", async () => {
    const t = await app({
      interceptors: [(_ctx: unknown, next: () => Promise<unknown>) => next()],
    });
    const client = await t.connect();
    const reply = await client.request('bid', 'refuse', { id: 'b1' });
    assert.deepEqual([reply.data.code, reply.data.appCode], ['HANDLER_ERROR', 'BID_TOO_LOW']);
  });

  it('that calls next twice: the handler runs once, the second call rejects and is logged', async () => {
    const t = await app();
    const client = await t.connect();
    let second: unknown;
    own = async (_ctx, next) => {
      const first = await next();
      second = await next().catch((err: unknown) => err);
      return first;
    };
    const reply = await client.request('bid', 4, { id: 'b1' });
    assert.deepEqual(reply.data, { accepted: 4 });
    assert.deepEqual(steps, ['bid']);
    assert.equal((second as { code: string }).code, 'CAROM_ERR_NEXT_TWICE');
    assert.ok(errorLogs(t).some((l) => l.includes('called next() twice for Auction.bid')));
  });

  it('that calls next twice and ignores the rejection: nothing escapes', async () => {
    const t = await app();
    const client = await t.connect();
    own = (_ctx, next) => {
      void next();
      void next();
      return 'mine';
    };
    const reply = await client.request('bid', 'throw', { id: 'b1' });
    assert.deepEqual(reply.data, 'mine');
    await settle(5);
    assert.deepEqual(steps, ['bid']);
  });

  it('that calls next after it answered: the handler does not run, the call rejects and is logged', async () => {
    const t = await app();
    const client = await t.connect();
    let late: Promise<unknown> | undefined;
    own = (_ctx, next) => {
      t.clock.setTimeout(() => {
        late = next();
      }, 10);
      return 'early';
    };
    const reply = await client.request('bid', 5, { id: 'b1' });
    assert.equal(reply.data, 'early');
    await t.clock.advance(10);
    await assert.rejects(late!, { code: 'CAROM_ERR_NEXT_LATE' });
    assert.deepEqual(steps, []);
    assert.ok(errorLogs(t).some((l) => l.includes('after it had answered')));
    assert.equal(client.received.filter((e) => e.id === 'b1').length, 1);
  });

  it('that never calls next and never settles: HANDLER_TIMEOUT, and the connection moves on', async () => {
    const t = await app({ handlerTimeoutMs: 500 });
    const client = await t.connect();
    own = () => new Promise(() => undefined);
    client.send('bid', 6, { id: 'hung' });
    client.send('look', undefined, { id: 'next' });
    await t.clock.advance(500);
    await t.idle();
    const replies = client.received.map((e) => [e.id, e.event === 'error' ? e.data.code : e.data]);
    assert.deepEqual(replies, [
      ['hung', ErrorCode.HANDLER_TIMEOUT],
      ['next', 'looked'],
    ]);
    assert.deepEqual(steps, ['look']);
  });

  for (const [what, value] of UNEXPECTED_THROWS) {
    it(`throwing ${what}: HANDLER_ERROR, logged, still serving`, async () => {
      const t = await app();
      const client = await t.connect();
      own = () => {
        throw value();
      };
      const reply = await client.request('bid', 1, { id: 'b1' });
      assert.deepEqual(
        [reply.event, reply.data.code, reply.data.message],
        ['error', 'HANDLER_ERROR', 'the handler failed'],
      );
      assert.ok(errorLogs(t).some((l) => l.includes('Auction.bid')));
      own = () => Promise.reject(value());
      const rejected = await client.request('bid', 1, { id: 'b2' });
      assert.deepEqual([rejected.event, rejected.data.code], ['error', 'HANDLER_ERROR']);
      const other = await client.request('plain', undefined, { id: 'p1' });
      assert.equal(other.event, 'ack');
    });
  }

  for (const [what, value] of BAD_RETURNS) {
    it(`returning ${what}: one well-formed HANDLER_ERROR`, async () => {
      const t = await app({ interceptors: [() => value()] });
      const client = await t.connect();
      const reply = await client.request('plain', undefined, { id: 'p1' });
      assert.deepEqual([reply.event, reply.data.code], ['error', 'HANDLER_ERROR']);
      await settle(3);
      assert.equal(client.received.filter((e) => e.id === 'p1').length, 1);
    });
  }

  it('that are not functions are refused when the app is built', async () => {
    await assert.rejects(make({ interceptors: ['timing'] as never }), {
      code: 'CAROM_ERR_BAD_OPTION',
      message: /option interceptors must be an array of functions/,
    });
    class Bad {
      @On('x', { dto: false, interceptors: [42] as never })
      x(): void {}
    }
    await assert.rejects(make({ handlers: [Bad] }), {
      code: 'CAROM_ERR_BAD_OPTION',
      message: /interceptors of @On\('x'\) on Bad\.x must be an array of functions/,
    });
  });

  it('none set: the handler is called as it is, with no wrapper', () => {
    const handler = (): number => 1;
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    assert.equal(intercept(handler, 'H.handle', [], logger), handler);
    assert.notEqual(intercept(handler, 'H.handle', [(_c, next) => next()], logger), handler);
  });
});
