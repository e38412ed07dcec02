/**
 * Per-handler guards: `@On(event, { guard })`. A refusal is `FORBIDDEN` as the
 * app's `canHandle` gives; only `true` lets an envelope through; whatever a
 * guard throws or returns goes through the guarded path, and a guard that
 * never settles is ended by the handler's timeout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientError, ErrorCode, Handler, On, type Context } from '../../src/index.js';
import { settle, type TestApp, type TestClient } from '../../src/testing/index.js';
import {
  CAROM_THROWS,
  FIRST_WINS,
  REJECTING_RETURNS,
  UNEXPECTED_THROWS,
} from '../support/hostile-values.js';
import { testApps } from '../support/test-apps.js';

const make = testApps();

/** What the guard under test does; each test sets it. */
let guard: (ctx: Context) => unknown = () => true;
/** Every handler run, as `event:data`. */
let ran: string[] = [];

class Auction {
  @On('bid', { dto: false, guard: (ctx) => guard(ctx) as boolean })
  bid(data: unknown): string {
    ran.push(`bid:${JSON.stringify(data)}`);
    return 'accepted';
  }

  @On('look', { dto: false })
  look(): string {
    ran.push('look');
    return 'looked';
  }

  /** Two handlers of one event, only the second guarded: the general path. */
  @On('close')
  first(): string {
    ran.push('close:first');
    return 'closed';
  }

  @On('close', { guard: (ctx) => guard(ctx) as boolean })
  second(): void {
    ran.push('close:second');
  }
}

@On('admin', {
  dto: false,
  guard: (ctx) => (ctx.connection.user as { admin?: boolean }).admin === true,
})
class AdminHandler extends Handler {
  handle(): string {
    ran.push('admin');
    return 'done';
  }
}

async function app(options = {}): Promise<TestApp> {
  guard = () => true;
  ran = [];
  return make({ handlers: [Auction, AdminHandler], ...options });
}

function errorLogs(t: TestApp): string[] {
  return t.logs.filter((l) => l.level === 'error').map((l) => String(l.args[0]));
}

async function assertForbidden(client: TestClient, event: string, id: string): Promise<void> {
  const reply = await client.request(event, { amount: 5 }, { id });
  assert.equal(reply.event, 'error');
  assert.equal(reply.id, id);
  assert.equal(reply.data.code, ErrorCode.FORBIDDEN);
  assert.equal(reply.data.event, event);
}

describe('a per-handler guard', () => {
  it('refuses with FORBIDDEN and the handler does not run; true lets it through', async () => {
    const t = await app();
    const client = await t.connect();
    guard = () => false;
    await assertForbidden(client, 'bid', 'b1');
    assert.deepEqual(ran, []);
    guard = () => true;
    const reply = await client.request('bid', { amount: 6 }, { id: 'b2' });
    assert.deepEqual([reply.event, reply.data], ['ack', 'accepted']);
    assert.deepEqual(ran, ['bid:{"amount":6}']);
  });

  it('guards its own handler only: another event of the same class is not asked', async () => {
    const t = await app();
    const client = await t.connect();
    guard = () => assert.fail('the guard of bid ran for look');
    const reply = await client.request('look', undefined, { id: 'l1' });
    assert.deepEqual([reply.event, reply.data], ['ack', 'looked']);
  });

  it('sees the connection: a class handler guarded by the user', async () => {
    const t = await app();
    const plain = await t.connect({ user: { admin: false } });
    await assertForbidden(plain, 'admin', 'a1');
    const admin = await t.connect({ user: { admin: true } });
    const reply = await admin.request('admin', undefined, { id: 'a2' });
    assert.deepEqual([reply.event, reply.data], ['ack', 'done']);
    assert.deepEqual(ran, ['admin']);
  });

  it('an async guard: a promise of false refuses, of true allows', async () => {
    const t = await app();
    const client = await t.connect();
    guard = async () => {
      await settle(1);
      return false;
    };
    await assertForbidden(client, 'bid', 'b1');
    guard = () => Promise.resolve(true);
    const reply = await client.request('bid', 1, { id: 'b2' });
    assert.equal(reply.event, 'ack');
  });

  it('with several handlers for one event, one refusal stops them all', async () => {
    const t = await app();
    const client = await t.connect();
    guard = () => false;
    await assertForbidden(client, 'close', 'c1');
    assert.deepEqual(ran, []);
    guard = () => true;
    const reply = await client.request('close', undefined, { id: 'c2' });
    assert.deepEqual([reply.event, reply.data], ['ack', 'closed']);
    assert.deepEqual(ran, ['close:first', 'close:second']);
  });

  it("runs after the app's canHandle, and not at all when that refused", async () => {
    const order: string[] = [];
    const t = await app({
      canHandle: (ctx: Context) => {
        order.push('canHandle');
        return ctx.id !== 'no';
      },
    });
    const client = await t.connect();
    guard = () => {
      order.push('guard');
      return true;
    };
    await assertForbidden(client, 'bid', 'no');
    assert.deepEqual(order, ['canHandle']);
    await client.request('bid', 1, { id: 'yes' });
    assert.deepEqual(order, ['canHandle', 'canHandle', 'guard']);
  });

  it('a refusal does not move the staleness watermark', async () => {
    const t = await app();
    const client = await t.connect();
    const at = t.clock.now();
    guard = () => false;
    await assertForbidden(client, 'bid', 'b1');
    guard = () => true;
    const reply = await client.request('bid', 1, { id: 'b2', timestamp: at - 1000 });
    assert.equal(reply.event, 'ack');
  });

  it('that is not a function is refused when the app is built', async () => {
    class Bad {
      @On('x', { dto: false, guard: 'admins' as never })
      x(): void {}
    }
    await assert.rejects(make({ handlers: [Bad] }), {
      name: 'ConfigurationError',
      code: 'CAROM_ERR_BAD_OPTION',
      message: /guard of @On\('x'\) on Bad\.x must be a function/,
    });
  });
});

describe('a per-handler guard that misbehaves', () => {
  for (const [what, value] of UNEXPECTED_THROWS) {
    it(`throwing ${what}: HANDLER_ERROR, logged, the handler does not run`, async () => {
      const t = await app();
      const client = await t.connect();
      guard = () => {
        throw value();
      };
      const reply = await client.request('bid', 1, { id: 'g1' });
      assert.deepEqual(
        [reply.event, reply.data.code, reply.data.event],
        ['error', 'HANDLER_ERROR', 'bid'],
      );
      assert.equal(reply.data.message, 'the handler failed');
      assert.ok(
        errorLogs(t).some((l) => l.includes("'bid'")),
        'logged',
      );
      assert.deepEqual(ran, []);
      const other = await client.request('look', undefined, { id: 'l1' });
      assert.equal(other.event, 'ack');
    });
  }

  for (const [what, value, expected] of CAROM_THROWS) {
    it(`throwing ${what}: its code`, async () => {
      const t = await app();
      const client = await t.connect();
      guard = () => {
        throw value();
      };
      const reply = await client.request('bid', 1, { id: 'g1' });
      assert.equal(reply.data.code, expected.code);
      assert.ok(String(reply.data.message).startsWith(expected.message));
      assert.deepEqual(ran, []);
    });
  }

  for (const [what, value] of REJECTING_RETURNS) {
    it(`returning ${what}: HANDLER_ERROR, the handler does not run`, async () => {
      const t = await app();
      const client = await t.connect();
      guard = () => value();
      const reply = await client.request('bid', 1, { id: 'g1' });
      assert.deepEqual([reply.event, reply.data.code], ['error', 'HANDLER_ERROR']);
      assert.deepEqual(ran, []);
    });
  }

  const JUNK: ReadonlyArray<readonly [string, () => unknown]> = [
    ['a string', () => 'yes'],
    ['a number', () => 1],
    ['an object', () => ({ allowed: true })],
    ['undefined', () => undefined],
    ['null', () => null],
    ['a promise of a string', () => Promise.resolve('true')],
  ];
  for (const [what, value] of JUNK) {
    it(`returning ${what}: refused (FORBIDDEN, fail closed) and logged`, async () => {
      const t = await app();
      const client = await t.connect();
      guard = () => value();
      await assertForbidden(client, 'bid', 'g1');
      assert.deepEqual(ran, []);
      assert.ok(
        errorLogs(t).some(
          (l) => l.includes('the guard of Auction.bid returned') && l.includes('refused'),
        ),
        JSON.stringify(errorLogs(t)),
      );
    });
  }

  for (const [what, make, first] of FIRST_WINS) {
    it(`returning ${what} (first: true): the first settlement wins`, async () => {
      const t = await app();
      const client = await t.connect();
      guard = () => {
        const thenable = make() as {
          then: (ok: (v: unknown) => void, fail: (e: unknown) => void) => void;
        };
        return {
          then: (ok: (v: unknown) => void, fail: (e: unknown) => void) =>
            thenable.then((v) => ok(v === first ? true : v), fail),
        };
      };
      const reply = await client.request('bid', 1, { id: 'g1' });
      assert.deepEqual([reply.event, reply.data], ['ack', 'accepted']);
      await settle(2);
      assert.equal(client.received.filter((e) => e.id === 'g1').length, 1);
    });
  }

  it('never settling: HANDLER_TIMEOUT after the timeout, and the next envelope is handled', async () => {
    const t = await app({ handlerTimeoutMs: 1000 });
    const client = await t.connect();
    guard = () => new Promise(() => undefined);
    client.send('bid', 1, { id: 'hung' });
    client.send('look', undefined, { id: 'behind' });
    await t.clock.advance(999);
    assert.deepEqual(
      client.received.filter((e) => e.id !== undefined),
      [],
    );
    await t.clock.advance(1);
    await t.idle();
    const replies = client.received.map((e) => [
      e.id,
      e.event,
      e.event === 'error' ? e.data.code : e.data,
    ]);
    assert.deepEqual(replies, [
      ['hung', 'error', ErrorCode.HANDLER_TIMEOUT],
      ['behind', 'ack', 'looked'],
    ]);
    assert.deepEqual(ran, ['look']);
  });

  it('throwing a ClientError with an application code: the code reaches the client', async () => {
    const t = await app();
    const client = await t.connect();
    guard = () => {
      throw new ClientError('the auction is closed', { appCode: 'AUCTION_CLOSED' });
    };
    const reply = await client.request('bid', 1, { id: 'g1' });
    assert.deepEqual(reply.data, {
      code: 'HANDLER_ERROR',
      appCode: 'AUCTION_CLOSED',
      message: 'the auction is closed',
      event: 'bid',
    });
  });
});
