import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Injectable, Sender, TimedSender, Topic } from '../../src/index.js';
import { settle, type TestApp } from '../../src/testing/index.js';
import { testApps } from '../support/test-apps.js';
import { deferred, type Deferred } from '../support/deferred.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0, 0);

/** Publishes a counter every second. */
@Topic('tick', { everyMs: 1000 })
class TickSender extends TimedSender<{ n: number }> {
  calls = 0;
  override createMessageData(): { n: number } {
    this.calls++;
    return { n: this.calls };
  }
}

/** Publishes every 250 ms; createMessageData waits for a promise the test controls. */
@Topic('slow', { everyMs: 250 })
class SlowSender extends TimedSender<{ n: number }> {
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** When set, the next call waits for it; otherwise it answers at once. */
  gate: Deferred<void> | undefined;

  override async createMessageData(): Promise<{ n: number }> {
    const n = ++this.calls;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const gate = this.gate;
      if (gate) await gate.promise;
      return { n };
    } finally {
      this.inFlight--;
    }
  }
}

/** Fails on chosen calls, synchronously or asynchronously. */
@Topic('flaky', { everyMs: 100 })
class FlakySender extends TimedSender<{ n: number }> {
  calls = 0;
  failSync = new Set<number>();
  failAsync = new Set<number>();

  override createMessageData(): { n: number } | Promise<{ n: number }> {
    const n = ++this.calls;
    if (this.failSync.has(n)) throw new Error(`sync failure ${n}`);
    if (this.failAsync.has(n)) return Promise.reject(new Error(`async failure ${n}`));
    return { n };
  }
}

const make = testApps({ startTime: T0 });

/** A log line's arguments as text, errors by their message. */
function logText(args: unknown[]): string {
  return args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
}

function errorLines(t: TestApp): unknown[][] {
  return t.logs.filter((l) => l.level === 'error').map((l) => l.args);
}

describe('TimedSender', () => {
  it('publishes every everyMs while the app runs, each at its own time', async () => {
    const t = await make({ senders: [TickSender] });
    const a = await t.connect();
    await a.subscribe('tick');
    await t.clock.advance(999);
    assert.deepEqual(a.dataOf('tick'), []);
    await t.clock.advance(1);
    assert.deepEqual(a.dataOf('tick'), [{ n: 1 }]);
    await t.clock.advance(3000);
    assert.deepEqual(a.dataOf('tick'), [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    const stamps = a.received.filter((e) => e.event === 'tick').map((e) => e.timestamp);
    assert.deepEqual(
      stamps,
      [1000, 2000, 3000, 4000].map((d) => new Date(T0 + d).toISOString()),
    );
    assert.equal(t.app.stats().timers, 1);
  });

  it('reaches every subscriber, through patterns too, and not the others', async () => {
    const t = await make({ senders: [TickSender] });
    const a = await t.connect();
    const b = await t.connect();
    const c = await t.connect();
    await a.subscribe('tick');
    await b.subscribe('*');
    await t.clock.advance(2000);
    assert.equal(a.dataOf('tick').length, 2);
    assert.equal(b.dataOf('tick').length, 2);
    assert.deepEqual(c.received, []);
    assert.equal(
      t.app.get(TickSender).calls,
      2,
      'one call per tick, whatever the subscriber count',
    );
  });

  it('skips createMessageData entirely while nobody is subscribed', async () => {
    const t = await make({ senders: [TickSender] });
    const sender = t.app.get(TickSender);
    const a = await t.connect();
    await t.clock.advance(5000);
    assert.equal(sender.calls, 0);
    await a.subscribe('tick');
    await t.clock.advance(1000);
    assert.equal(sender.calls, 1);
    await a.unsubscribe('tick');
    await t.clock.advance(3000);
    assert.equal(sender.calls, 1);
    // A wildcard with the event excluded does not count either.
    await a.subscribe('*');
    await a.unsubscribe('tick');
    await t.clock.advance(3000);
    assert.equal(sender.calls, 1);
    await a.subscribe('tick');
    await t.clock.advance(1000);
    assert.equal(sender.calls, 2);
    // A subscriber that disconnects no longer counts.
    a.close();
    await t.clock.advance(3000);
    assert.equal(sender.calls, 2);
    assert.deepEqual(a.dataOf('tick'), [{ n: 1 }, { n: 2 }]);
  });

  it('never overlaps itself while createMessageData is slow, then resumes', async () => {
    const t = await make({ senders: [SlowSender] });
    const sender = t.app.get(SlowSender);
    const a = await t.connect();
    await a.subscribe('slow');
    const gate = deferred<void>();
    sender.gate = gate;
    await t.clock.advance(250);
    assert.equal(sender.calls, 1);
    assert.equal(sender.inFlight, 1);
    // Forty periods pass while the first call is pending.
    for (let i = 0; i < 40; i++) await t.clock.advance(250);
    assert.equal(sender.calls, 1, 'no second call while the first is in flight');
    assert.equal(sender.maxInFlight, 1);
    assert.deepEqual(a.dataOf('slow'), []);
    // It finishes: its data is published, once.
    sender.gate = undefined;
    gate.resolve();
    await settle();
    assert.deepEqual(a.dataOf('slow'), [{ n: 1 }]);
    assert.equal(sender.calls, 1, 'missed ticks are not run in a burst');
    // Ticks resume on the period.
    await t.clock.advance(250);
    assert.equal(sender.calls, 2);
    await t.clock.advance(250);
    assert.equal(sender.calls, 3);
    assert.deepEqual(a.dataOf('slow'), [{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.equal(sender.maxInFlight, 1);
    assert.equal(t.app.stats().timers, 1);
  });

  it('keeps one call in flight when a slow call ends in an error, and goes on', async () => {
    const t = await make({ senders: [SlowSender] });
    const sender = t.app.get(SlowSender);
    const a = await t.connect();
    await a.subscribe('slow');
    const gate = deferred<void>();
    sender.gate = gate;
    await t.clock.advance(250);
    for (let i = 0; i < 10; i++) await t.clock.advance(250);
    assert.equal(sender.calls, 1);
    sender.gate = undefined;
    gate.reject(new Error('backend down'));
    await settle();
    assert.deepEqual(a.dataOf('slow'), []);
    assert.equal(errorLines(t).length, 1);
    assert.match(logText(errorLines(t)[0]!), /backend down/);
    await t.clock.advance(250);
    assert.equal(sender.calls, 2);
    assert.deepEqual(a.dataOf('slow'), [{ n: 2 }]);
    assert.equal(sender.maxInFlight, 1);
  });

  it('logs an error thrown in one tick and still runs the next', async () => {
    const t = await make({ senders: [FlakySender] });
    const sender = t.app.get(FlakySender);
    sender.failSync.add(2);
    sender.failAsync.add(4);
    const a = await t.connect();
    await a.subscribe('flaky');
    await t.clock.advance(100);
    assert.deepEqual(errorLines(t), []);
    await t.clock.advance(100);
    assert.equal(errorLines(t).length, 1, 'the sync failure is logged');
    assert.match(logText(errorLines(t)[0]!), /sync failure 2/);
    await t.clock.advance(100);
    await t.clock.advance(100);
    assert.equal(errorLines(t).length, 2, 'the async failure is logged');
    assert.match(logText(errorLines(t)[1]!), /async failure 4/);
    await t.clock.advance(100);
    assert.equal(sender.calls, 5);
    assert.deepEqual(a.dataOf('flaky'), [{ n: 1 }, { n: 3 }, { n: 5 }]);
    const stamps = a.received.filter((e) => e.event === 'flaky').map((e) => e.timestamp);
    assert.deepEqual(
      stamps,
      [100, 300, 500].map((d) => new Date(T0 + d).toISOString()),
    );
    assert.equal(t.app.stats().timers, 1);
  });

  it('runs several timed senders, each on its own period', async () => {
    const t = await make({ senders: [TickSender, FlakySender] });
    const a = await t.connect();
    await a.subscribe('tick', 'flaky');
    assert.equal(t.app.stats().timers, 2);
    await t.clock.advance(2000);
    assert.equal(a.dataOf('tick').length, 2);
    assert.equal(a.dataOf('flaky').length, 20);
  });

  it('stops on app.close(): no timer left, no call after', async () => {
    const t = await make({ senders: [TickSender, SlowSender] });
    const a = await t.connect();
    await a.subscribe('tick', 'slow');
    await t.clock.advance(1000);
    const tick = t.app.get(TickSender);
    const slow = t.app.get(SlowSender);
    assert.equal(tick.calls, 1);
    assert.equal(slow.calls, 4);
    assert.equal(t.app.stats().timers, 2);
    assert.ok(t.clock.pendingTimers >= 2);
    await t.app.close();
    assert.equal(t.clock.pendingTimers, 0);
    assert.equal(t.app.stats().timers, 0);
    await t.clock.advance(10_000);
    assert.equal(tick.calls, 1);
    assert.equal(slow.calls, 4);
    assert.equal(t.clock.pendingTimers, 0);
    assert.equal(t.app.stats().timers, 0);
  });

  it('a tick in flight at close publishes nothing and arms no timer', async () => {
    const t = await make({ senders: [SlowSender] });
    const slow = t.app.get(SlowSender);
    const a = await t.connect();
    const b = await t.connect();
    await a.subscribe('slow');
    const gate = deferred<void>();
    slow.gate = gate;
    await t.clock.advance(250);
    assert.equal(slow.calls, 1);
    await t.app.close();
    gate.resolve();
    await settle();
    await t.clock.advance(5000);
    assert.equal(slow.calls, 1);
    assert.deepEqual(a.dataOf('slow'), []);
    assert.deepEqual(b.dataOf('slow'), []);
    assert.equal(t.clock.pendingTimers, 0);
    assert.equal(t.app.stats().timers, 0);
  });

  it('a closed app cannot be started again', async () => {
    const t = await make({ senders: [TickSender] });
    await t.app.close();
    assert.throws(() => t.app.start());
    assert.equal(t.clock.pendingTimers, 0);
    assert.equal(t.app.stats().timers, 0);
  });
});

/** Publishes only when the value changed: undefined skips a tick, null is a value. */
@Topic('price', { everyMs: 100 })
class PriceSender extends TimedSender<number | null> {
  values: Array<number | null | undefined> = [];
  override createMessageData(): number | null | undefined {
    return this.values.shift();
  }
}

/** Configuration a sender takes its period from. */
@Injectable()
class TickConfig {
  constructor(readonly everyMs: number) {}
}

/** No period on the decorator: the instance sets one from its configuration. */
@Topic('configured')
class ConfiguredSender extends TimedSender<number> {
  n = 0;
  constructor(config: TickConfig) {
    super();
    this.everyMs = config.everyMs;
  }
  override createMessageData(): number {
    return ++this.n;
  }
}

/** A period on the decorator, overridden by a field of the class. */
@Topic('fast', { everyMs: 1000 })
class FastSender extends TimedSender<number> {
  override everyMs = 10;
  override createMessageData(): number {
    return 1;
  }
}

@Topic('quote')
class QuoteSender extends Sender<string> {
  quote: string | undefined;
  override createMessageData(): string | undefined {
    return this.quote;
  }
}

describe('TimedSender: skipping a tick, and its period from the instance', () => {
  it('undefined skips the tick; null is published; the next ticks go on', async () => {
    const t = await make({ senders: [PriceSender] });
    const sender = t.app.get(PriceSender);
    sender.values = [1, undefined, null, undefined, 2];
    const a = await t.connect();
    await a.subscribe('price');
    await t.clock.advance(500);
    assert.deepEqual(a.dataOf('price'), [1, null, 2]);
    assert.equal(a.received.filter((e) => e.event === 'price').length, 3);
    assert.equal(t.app.stats().timers, 1, 'still ticking');
  });

  it('an async undefined skips too', async () => {
    @Topic('later', { everyMs: 50 })
    class Later extends TimedSender<string> {
      n = 0;
      override async createMessageData(): Promise<string | undefined> {
        await settle(1);
        return ++this.n % 2 === 0 ? `even ${this.n}` : undefined;
      }
    }
    const t = await make({ senders: [Later] });
    const a = await t.connect();
    await a.subscribe('later');
    await t.clock.advance(200);
    assert.deepEqual(a.dataOf('later'), ['even 2', 'even 4']);
  });

  it('send() without data publishes nothing when createMessageData gives undefined, and resolves 0', async () => {
    const t = await make({ senders: [QuoteSender] });
    const sender = t.app.get(QuoteSender);
    const a = await t.connect();
    await a.subscribe('quote');
    assert.equal(await sender.send(), 0);
    sender.quote = 'hello';
    assert.equal(await sender.send(), 1);
    await settle();
    assert.deepEqual(a.dataOf('quote'), ['hello']);
  });

  it('takes its period from the instance, set in its constructor from injected configuration', async () => {
    const t = await make({
      senders: [ConfiguredSender],
      providers: [{ provide: TickConfig, useValue: new TickConfig(250) }],
    });
    const a = await t.connect();
    await a.subscribe('configured');
    await t.clock.advance(249);
    assert.deepEqual(a.dataOf('configured'), []);
    await t.clock.advance(751);
    assert.deepEqual(a.dataOf('configured'), [1, 2, 3, 4]);
  });

  it("the instance's period wins over the decorator's", async () => {
    const t = await make({ senders: [FastSender] });
    const a = await t.connect();
    await a.subscribe('fast');
    await t.clock.advance(50);
    assert.equal(a.dataOf('fast').length, 5);
  });

  it('a period that cannot work is refused when the app is built', async () => {
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '100']) {
      await assert.rejects(
        make({
          senders: [ConfiguredSender],
          providers: [{ provide: TickConfig, useValue: new TickConfig(bad as number) }],
        }),
        {
          code: 'CAROM_ERR_BAD_PERIOD',
          message: /ConfiguredSender publishing 'configured': everyMs must be/,
        },
        String(bad),
      );
    }
  });

  it('with no period anywhere it is still refused, naming both ways to give one', async () => {
    @Topic('none')
    class NoPeriod extends TimedSender<number> {
      override createMessageData(): number {
        return 1;
      }
    }
    await assert.rejects(make({ senders: [NoPeriod] }), {
      code: 'CAROM_ERR_TIMED_SENDER_WITHOUT_PERIOD',
      message: /set this.everyMs in its constructor/,
    });
  });
});
