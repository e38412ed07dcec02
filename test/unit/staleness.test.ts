import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { On, Sender, Topic, type Context } from '../../src/index.js';
import { type TestApp, type TestClient } from '../../src/testing/index.js';
import { testApps } from '../support/test-apps.js';
import { pythonIsoformat } from '../support/timestamps.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0, 0);

/** Records every envelope its handlers ran for. */
class Recorder {
  readonly seen: Array<{ event: string; tag: unknown; connection: string }> = [];
  pending: Array<() => void> = [];

  @On('move')
  move(data: { tag?: unknown }, ctx: Context): unknown {
    this.seen.push({ event: 'move', tag: data.tag, connection: ctx.connection.id });
    return data.tag ?? null;
  }

  @On('chat')
  chat(data: { tag?: unknown }, ctx: Context): unknown {
    this.seen.push({ event: 'chat', tag: data.tag, connection: ctx.connection.id });
    return data.tag ?? null;
  }

  @On('slow')
  slow(data: { tag?: unknown }, ctx: Context): Promise<unknown> {
    this.seen.push({ event: 'slow', tag: data.tag, connection: ctx.connection.id });
    return new Promise((resolve) => this.pending.push(() => resolve(data.tag ?? null)));
  }
}

@Topic('ping')
class PingSender extends Sender<unknown> {}

@Topic('pong')
class PongSender extends Sender<unknown> {}

const make = testApps({
  handlers: [Recorder],
  senders: [PingSender, PongSender],
  startTime: T0,
});

function seen(t: TestApp, event?: string): unknown[] {
  return t.app
    .get(Recorder)
    .seen.filter((s) => event === undefined || s.event === event)
    .map((s) => s.tag);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Sends with an id and checks the reply is an ack (handled). */
async function handled(
  client: TestClient,
  event: string,
  tag: unknown,
  timestamp: number | string | null,
) {
  const reply = await client.request(event, { tag }, { timestamp });
  assert.equal(
    reply.event,
    'ack',
    `${event} ${String(tag)} should be handled: ${JSON.stringify(reply)}`,
  );
  return reply;
}

/** Sends with an id and checks the reply is a STALE error echoing it. */
async function stale(
  client: TestClient,
  event: string,
  tag: unknown,
  timestamp: number | string,
  id = `stale-${String(tag)}`,
) {
  const reply = await client.request(event, { tag }, { timestamp, id });
  assert.equal(
    reply.event,
    'error',
    `${event} ${String(tag)} should be stale: ${JSON.stringify(reply)}`,
  );
  assert.equal(reply.data.code, 'STALE');
  assert.equal(reply.data.event, event);
  assert.equal(reply.id, id);
  return reply;
}

describe('staleness, default scope (per connection and event)', () => {
  it('drops an envelope older than the newest handled one: STALE with the id, no handler call', async () => {
    const t = await make();
    const a = await t.connect();
    await handled(a, 'move', 1, iso(T0 + 100));
    await stale(a, 'move', 2, iso(T0 + 50));
    await stale(a, 'move', 3, iso(T0 + 99), 'n42');
    assert.deepEqual(seen(t), [1]);
    // A newer one is handled again.
    await handled(a, 'move', 4, iso(T0 + 101));
    assert.deepEqual(seen(t), [1, 4]);
  });

  it('echoes a numeric id on the STALE error', async () => {
    const t = await make();
    const a = await t.connect();
    await handled(a, 'move', 1, iso(T0 + 100));
    const reply = await a.request('move', { tag: 2 }, { timestamp: iso(T0), id: 7 });
    assert.equal(reply.event, 'error');
    assert.equal(reply.data.code, 'STALE');
    assert.equal(reply.id, 7);
  });

  it('drops a stale envelope without an id silently', async () => {
    const t = await make();
    const a = await t.connect();
    await handled(a, 'move', 1, iso(T0 + 100));
    a.clear();
    a.send('move', { tag: 2 }, { timestamp: iso(T0 + 50) });
    await t.idle();
    assert.deepEqual(a.received, []);
    assert.deepEqual(seen(t), [1]);
    // The connection keeps working.
    await handled(a, 'move', 3, iso(T0 + 200));
    assert.deepEqual(seen(t), [1, 3]);
  });

  it('an envelope with the same timestamp as the newest one is not stale', async () => {
    const t = await make();
    const a = await t.connect();
    await handled(a, 'move', 1, iso(T0 + 100));
    await handled(a, 'move', 2, iso(T0 + 100));
    await handled(a, 'move', 3, T0 + 100);
    assert.deepEqual(seen(t), [1, 2, 3]);
  });

  it('different events never make each other stale', async () => {
    const t = await make();
    const a = await t.connect();
    await handled(a, 'move', 1, iso(T0 + 1000));
    await handled(a, 'chat', 2, iso(T0 + 10));
    await stale(a, 'chat', 3, iso(T0 + 5));
    await handled(a, 'move', 4, iso(T0 + 1000));
    assert.deepEqual(seen(t, 'move'), [1, 4]);
    assert.deepEqual(seen(t, 'chat'), [2]);
  });

  it('different connections never make each other stale', async () => {
    const t = await make();
    const a = await t.connect();
    const b = await t.connect();
    await handled(a, 'move', 'a1', iso(T0 + 1000));
    await handled(b, 'move', 'b1', iso(T0 + 10));
    await stale(b, 'move', 'b2', iso(T0 + 5));
    await handled(a, 'move', 'a2', iso(T0 + 1000));
    await stale(a, 'move', 'a3', iso(T0 + 999));
    assert.deepEqual(seen(t), ['a1', 'b1', 'a2']);
    assert.equal(t.app.stats().watermarks, 2);
  });

  it('an envelope without a timestamp is never stale and does not move the watermark', async () => {
    const t = await make();
    const a = await t.connect();
    await handled(a, 'move', 1, iso(T0 + 100));
    await handled(a, 'move', 2, null);
    await handled(a, 'move', 3, null);
    // The watermark is still T0 + 100, not the server's "now".
    await t.clock.advance(10_000);
    await handled(a, 'move', 4, null);
    await handled(a, 'move', 5, iso(T0 + 100));
    await stale(a, 'move', 6, iso(T0 + 99));
    assert.deepEqual(seen(t), [1, 2, 3, 4, 5]);
  });

  it('a first envelope without a timestamp creates no watermark', async () => {
    const t = await make();
    const a = await t.connect();
    await handled(a, 'move', 1, null);
    assert.equal(t.app.stats().watermarks, 0);
    await handled(a, 'move', 2, iso(T0 - 60_000));
    assert.equal(t.app.stats().watermarks, 1);
  });

  it('reads timestamps given as epoch milliseconds, compared with ISO ones', async () => {
    const t = await make();
    const a = await t.connect();
    await handled(a, 'move', 1, T0 + 100);
    await stale(a, 'move', 2, T0 + 50);
    await stale(a, 'move', 3, iso(T0 + 50));
    await handled(a, 'move', 4, iso(T0 + 150));
    await stale(a, 'move', 5, T0 + 149);
    await handled(a, 'move', 6, T0 + 150.5);
    await stale(a, 'move', 7, iso(T0 + 150));
    assert.deepEqual(seen(t), [1, 4, 6]);
  });

  it('checks queued envelopes against those handled before them', async () => {
    const t = await make();
    const a = await t.connect();
    a.send('slow', { tag: 1 }, { timestamp: iso(T0 + 100), id: 's1' });
    a.send('slow', { tag: 2 }, { timestamp: iso(T0 + 50), id: 's2' });
    a.send('slow', { tag: 3 }, { timestamp: iso(T0 + 100), id: 's3' });
    await t.clock.advance(0);
    const rec = t.app.get(Recorder);
    assert.deepEqual(seen(t, 'slow'), [1]);
    rec.pending.shift()!();
    await t.clock.advance(0);
    // s2 was dropped when its turn came; s3 started.
    assert.deepEqual(seen(t, 'slow'), [1, 3]);
    rec.pending.shift()!();
    await t.idle();
    const replies = a.received.map((e) => [
      e.event,
      e.id,
      e.event === 'error' ? e.data.code : e.data,
    ]);
    assert.deepEqual(replies, [
      ['ack', 's1', 1],
      ['error', 's2', 'STALE'],
      ['ack', 's3', 3],
    ]);
  });

  describe('naive local ISO timestamps (bounce-ws clients)', () => {
    let saved: string | undefined;
    before(() => {
      saved = process.env.TZ;
      // A zone away from UTC, so that reading local time as UTC would show.
      process.env.TZ = 'Asia/Kolkata';
    });
    after(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });

    it('the zone switch is in effect', () => {
      assert.equal(new Date(T0).getTimezoneOffset(), -330);
      assert.equal(pythonIsoformat(T0 + 100), '2026-01-01T17:30:00.100000');
    });

    it('reads offset-less times as the server’s local time', async () => {
      const t = await make();
      const a = await t.connect();
      await handled(a, 'move', 1, pythonIsoformat(T0 + 200));
      await stale(a, 'move', 2, iso(T0 + 150));
      await handled(a, 'move', 3, iso(T0 + 250));
      await stale(a, 'move', 4, pythonIsoformat(T0 + 249));
      await handled(a, 'move', 5, pythonIsoformat(T0 + 250));
      assert.deepEqual(seen(t), [1, 3, 5]);
    });

    it('compares microseconds: 6 fractional digits count', async () => {
      const t = await make();
      const a = await t.connect();
      await handled(a, 'move', 1, pythonIsoformat(T0 + 100, 456));
      await stale(a, 'move', 2, pythonIsoformat(T0 + 100, 123));
      await stale(a, 'move', 3, pythonIsoformat(T0 + 100, 455));
      await handled(a, 'move', 4, pythonIsoformat(T0 + 100, 456));
      await handled(a, 'move', 5, pythonIsoformat(T0 + 100, 457));
      // Epoch ms 100 is older than .100457.
      await stale(a, 'move', 6, T0 + 100);
      assert.deepEqual(seen(t), [1, 4, 5]);
    });

    it('reads the form without a fraction (isoformat() at a whole second)', async () => {
      const t = await make();
      const a = await t.connect();
      const whole = pythonIsoformat(T0 + 1000);
      assert.doesNotMatch(whole, /\./);
      await handled(a, 'move', 1, whole);
      await stale(a, 'move', 2, iso(T0 + 999));
      await handled(a, 'move', 3, iso(T0 + 1000));
      assert.deepEqual(seen(t), [1, 3]);
    });
  });
});

describe("staleness, scope 'global'", () => {
  it('keeps one watermark per event across connections', async () => {
    const t = await make({ staleness: { scope: 'global' } });
    const a = await t.connect();
    const b = await t.connect();
    await handled(a, 'move', 'a1', iso(T0 + 100));
    await stale(b, 'move', 'b1', iso(T0 + 50));
    await handled(b, 'move', 'b2', iso(T0 + 100));
    await handled(b, 'move', 'b3', iso(T0 + 200));
    await stale(a, 'move', 'a2', iso(T0 + 150));
    // Other events keep their own watermark.
    await handled(a, 'chat', 'a3', iso(T0 + 10));
    await stale(b, 'chat', 'b4', iso(T0 + 5));
    assert.deepEqual(seen(t), ['a1', 'b2', 'b3', 'a3']);
    assert.equal(t.app.stats().watermarks, 2);
  });

  it('without an id a globally stale envelope is dropped silently', async () => {
    const t = await make({ staleness: { scope: 'global' } });
    const a = await t.connect();
    const b = await t.connect();
    await handled(a, 'move', 'a1', iso(T0 + 100));
    b.send('move', { tag: 'b1' }, { timestamp: iso(T0 + 50) });
    await t.idle();
    assert.deepEqual(b.received, []);
    assert.deepEqual(seen(t), ['a1']);
  });
});

describe('staleness, maxAgeMs', () => {
  it('drops an envelope older than maxAgeMs by the server clock, even the first one', async () => {
    const t = await make({ staleness: { maxAgeMs: 1000 } });
    const a = await t.connect();
    const sentAt = t.clock.now();
    await t.clock.advance(1500);
    await stale(a, 'move', 1, iso(sentAt));
    await stale(a, 'chat', 2, sentAt);
    assert.deepEqual(seen(t), []);
    // Fresh ones pass.
    await handled(a, 'move', 3, iso(t.clock.now() - 200));
    // Exactly maxAgeMs old is not older than maxAgeMs.
    await handled(a, 'chat', 4, t.clock.now() - 1000);
    await stale(a, 'chat', 5, t.clock.now() - 1001);
    // No timestamp: never stale.
    await handled(a, 'chat', 6, null);
    assert.deepEqual(seen(t), [3, 4, 6]);
  });

  it('still applies the per-connection watermark', async () => {
    const t = await make({ staleness: { maxAgeMs: 60_000 } });
    const a = await t.connect();
    await handled(a, 'move', 1, iso(T0));
    await stale(a, 'move', 2, iso(T0 - 10));
    assert.deepEqual(seen(t), [1]);
  });

  it("applies with scope 'off' too", async () => {
    const t = await make({ staleness: { scope: 'off', maxAgeMs: 1000 } });
    const a = await t.connect();
    await t.clock.advance(5000);
    await stale(a, 'move', 1, iso(T0));
    await handled(a, 'move', 2, iso(t.clock.now()));
    await handled(a, 'move', 3, iso(t.clock.now() - 500));
    assert.deepEqual(seen(t), [2, 3]);
  });
});

describe("staleness, scope 'off'", () => {
  it('handles every envelope whatever its timestamp and keeps no watermark', async () => {
    const t = await make({ staleness: { scope: 'off' } });
    const a = await t.connect();
    await handled(a, 'move', 1, iso(T0 + 100));
    await handled(a, 'move', 2, iso(T0 + 50));
    await handled(a, 'move', 3, T0 - 3_600_000);
    await a.subscribe('ping');
    const reply = await a.request('unsubscribe', { events: ['ping'] }, { timestamp: iso(T0 - 1) });
    assert.equal(reply.event, 'ack');
    assert.deepEqual(seen(t), [1, 2, 3]);
    assert.equal(t.app.stats().watermarks, 0);
  });
});

describe('staleness of subscribe and unsubscribe', () => {
  it('a stale subscribe is refused with STALE and changes nothing', async () => {
    const t = await make();
    const a = await t.connect();
    const first = await a.request('subscribe', { events: ['ping'] }, { timestamp: iso(T0 + 100) });
    assert.equal(first.event, 'ack');
    const reply = await a.request(
      'subscribe',
      { events: ['pong'] },
      { timestamp: iso(T0 + 50), id: 'sub2' },
    );
    assert.equal(reply.event, 'error');
    assert.equal(reply.data.code, 'STALE');
    assert.equal(reply.data.event, 'subscribe');
    assert.equal(reply.id, 'sub2');
    assert.deepEqual(a.connection!.subscriptions, ['ping']);
    assert.equal(t.app.publish('pong', {}), 0);
  });

  it('a stale subscribe without an id is dropped silently', async () => {
    const t = await make();
    const a = await t.connect();
    await a.request('subscribe', { events: ['ping'] }, { timestamp: iso(T0 + 100) });
    a.clear();
    a.send('subscribe', { events: ['pong'] }, { timestamp: iso(T0 + 50) });
    await t.idle();
    assert.deepEqual(a.received, []);
    assert.deepEqual(a.connection!.subscriptions, ['ping']);
  });

  it('a stale unsubscribe is refused and the subscription stays', async () => {
    const t = await make();
    const a = await t.connect();
    await a.request('subscribe', { events: ['ping', 'pong'] }, { timestamp: iso(T0) });
    const first = await a.request(
      'unsubscribe',
      { events: ['ping'] },
      { timestamp: iso(T0 + 100) },
    );
    assert.equal(first.event, 'ack');
    const reply = await a.request(
      'unsubscribe',
      { events: ['pong'] },
      { timestamp: iso(T0 + 50), id: 'u2' },
    );
    assert.equal(reply.event, 'error');
    assert.equal(reply.data.code, 'STALE');
    assert.equal(reply.data.event, 'unsubscribe');
    assert.equal(reply.id, 'u2');
    assert.deepEqual(a.connection!.subscriptions, ['pong']);
    assert.equal(t.app.publish('pong', {}), 1);
  });

  it('subscribe envelopes do not make other events stale', async () => {
    const t = await make();
    const a = await t.connect();
    await a.request('subscribe', { events: ['ping'] }, { timestamp: iso(T0 + 1000) });
    await handled(a, 'move', 1, iso(T0));
    assert.deepEqual(seen(t), [1]);
  });
});
