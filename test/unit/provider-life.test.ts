/**
 * Providers' start and close hooks: `onStart()` in dependency order when the
 * app starts (ready waits; timed senders tick after), `onClose()` in reverse on
 * `app.close()`; failures, hostile results and hooks that never settle are
 * bounded and reported, never raised past the app.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Carom,
  Handler,
  Injectable,
  On,
  TimedSender,
  Topic,
  type OnClose,
  type OnStart,
  type TimerHandle,
} from '../../src/index.js';
import { createTestApp, FakeClock, settle, type TestApp } from '../../src/testing/index.js';
import { deferred, type Deferred } from '../support/deferred.js';
import { UNEXPECTED_THROWS } from '../support/hostile-values.js';
import { testApps } from '../support/test-apps.js';

const make = testApps();

/** Every hook run, in order, as `Class.hook`. */
let runs: string[] = [];
/** What Database's hooks do besides recording; each test sets them. */
let startBehaviour: () => unknown = () => undefined;
let closeBehaviour: () => unknown = () => undefined;

@Injectable()
class Config implements OnStart, OnClose {
  onStart(): void {
    runs.push('Config.onStart');
  }
  onClose(): void {
    runs.push('Config.onClose');
  }
}

@Injectable()
class Database implements OnStart, OnClose {
  constructor(readonly config: Config) {}
  onStart(): unknown {
    runs.push('Database.onStart');
    return startBehaviour();
  }
  onClose(): unknown {
    runs.push('Database.onClose');
    return closeBehaviour();
  }
}

/** Uses the app's clock for its own timer, started and stopped with the app. */
@Injectable()
class Cache implements OnStart, OnClose {
  private timer: TimerHandle;
  sweeps = 0;
  constructor(
    readonly db: Database,
    private readonly app: Carom,
  ) {}
  onStart(): void {
    runs.push('Cache.onStart');
    this.arm();
  }
  onClose(): void {
    runs.push('Cache.onClose');
    this.app.clock.clearTimeout(this.timer);
  }
  private arm(): void {
    this.timer = this.app.clock.setTimeout(() => {
      this.sweeps++;
      this.arm();
    }, 1000);
  }
}

@On('get', { dto: false })
class GetHandler extends Handler {
  constructor(readonly cache: Cache) {
    super();
  }
  handle(): number {
    return this.cache.sweeps;
  }
}

@Topic('beat', { everyMs: 100 })
class Beat extends TimedSender<number> {
  createMessageData(): number {
    return 1;
  }
}

function reset(): void {
  runs = [];
  startBehaviour = () => undefined;
  closeBehaviour = () => undefined;
}

// Listed against their dependency order on purpose: the order is the container's, not the list's.
const OPTIONS = { handlers: [GetHandler], providers: [Cache, Database, Config] };

/** What an app built without the testing kit logged, first arguments only. */
let lines: string[] = [];
function logger() {
  lines = [];
  const push = (...args: unknown[]): void => void lines.push(String(args[0]));
  return { debug: push, info: push, warn: push, error: push };
}

function errorLogs(t: TestApp): string[] {
  return t.logs.filter((l) => l.level === 'error').map((l) => String(l.args[0]));
}

describe('provider hooks', () => {
  it('onStart runs in dependency order, onClose in reverse, each once', async () => {
    reset();
    const t = await make(OPTIONS);
    assert.deepEqual(runs, ['Config.onStart', 'Database.onStart', 'Cache.onStart']);
    await t.close();
    await t.close();
    assert.deepEqual(runs.slice(3), ['Cache.onClose', 'Database.onClose', 'Config.onClose']);
  });

  it('a provider scheduling on app.clock is driven by the fake clock and stopped by close', async () => {
    reset();
    const t = await make(OPTIONS);
    const client = await t.connect();
    await t.clock.advance(3000);
    assert.equal((await client.request('get', undefined, { id: 'g' })).data, 3);
    assert.equal(t.clock.pendingTimers, 1);
    await t.close();
    assert.equal(t.clock.pendingTimers, 0, 'onClose cleared its timer');
  });

  it('ready waits for an async onStart, and timed senders tick only after it', async () => {
    reset();
    const gate: Deferred<void> = deferred();
    startBehaviour = () => gate.promise;
    const app = new Carom({ ...OPTIONS, senders: [Beat], logLevel: 'silent' });
    app.start();
    let ready = false;
    const waiting = app.ready().then(() => (ready = true));
    await settle(5);
    assert.deepEqual([ready, app.stats().timers], [false, 0]);
    assert.deepEqual(runs, ['Config.onStart', 'Database.onStart']);
    gate.resolve();
    await waiting;
    assert.deepEqual(runs, ['Config.onStart', 'Database.onStart', 'Cache.onStart']);
    assert.equal(app.stats().timers, 1);
    await app.close();
  });

  for (const [what, value] of [
    ...UNEXPECTED_THROWS,
    ['a rejection', () => Promise.reject(new Error('down'))] as const,
  ]) {
    it(`an onStart throwing ${what}: ready rejects, later providers do not start, started ones close`, async () => {
      reset();
      startBehaviour = () => {
        if (what === 'a rejection') return value();
        throw value();
      };
      const t = createTestApp(OPTIONS);
      await assert.rejects(t, {
        code: 'CAROM_ERR_START_HOOK_FAILED',
        message: /Database\.onStart\(\) failed/,
      });
      assert.deepEqual(runs, ['Config.onStart', 'Database.onStart']);
    });
  }

  it('an onStart that fails is logged, and close runs onClose of the ones that started', async () => {
    reset();
    startBehaviour = () => Promise.reject(new Error('no database'));
    const app = new Carom({ ...OPTIONS, logger: logger() });
    app.start();
    await assert.rejects(
      app.ready(),
      (err: Error) => (err.cause as Error).message === 'no database',
    );
    assert.ok(lines.some((l) => l.includes('Database.onStart() failed')));
    await app.close();
    assert.deepEqual(runs, ['Config.onStart', 'Database.onStart', 'Config.onClose']);
  });

  it('an onStart that never settles fails the start after lifecycleTimeoutMs', async () => {
    reset();
    startBehaviour = () => new Promise(() => undefined);
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const app = new Carom({ ...OPTIONS, lifecycleTimeoutMs: 500, clock, logger: logger() });
    app.start();
    let failure: Error | undefined;
    const failed = (): Error | undefined => failure;
    app.ready().catch((err: Error) => (failure = err));
    await settle(3);
    await clock.advance(499);
    assert.equal(failed(), undefined);
    await clock.advance(1);
    await settle(3);
    assert.ok(failed() instanceof Error);
    assert.match(String(failed()?.cause), /Database\.onStart\(\) did not settle within 500 ms/);
    await app.close();
    assert.deepEqual(runs, ['Config.onStart', 'Database.onStart', 'Config.onClose']);
  });

  for (const [what, value] of UNEXPECTED_THROWS) {
    it(`an onClose throwing ${what}: logged, the others still close, close resolves`, async () => {
      reset();
      closeBehaviour = () => {
        throw value();
      };
      const t = await make(OPTIONS);
      await t.close();
      assert.deepEqual(runs.slice(3), ['Cache.onClose', 'Database.onClose', 'Config.onClose']);
      assert.ok(errorLogs(t).some((l) => l.includes('Database.onClose() failed')));
    });
  }

  it('an onClose that never settles holds close for lifecycleTimeoutMs, then the others close', async () => {
    reset();
    closeBehaviour = () => new Promise(() => undefined);
    const t = await make({ ...OPTIONS, lifecycleTimeoutMs: 2000 });
    let closed = false;
    const closing = t.close().then(() => (closed = true));
    await settle(10);
    assert.deepEqual([closed, runs.slice(3)], [false, ['Cache.onClose', 'Database.onClose']]);
    await t.clock.advance(2000);
    await closing;
    assert.deepEqual(runs.slice(3), ['Cache.onClose', 'Database.onClose', 'Config.onClose']);
    assert.ok(errorLogs(t).some((l) => l.includes('Database.onClose() failed')));
  });

  it('an app closed before it started runs no hook', async () => {
    reset();
    const app = new Carom({ ...OPTIONS, logLevel: 'silent' });
    await app.close();
    assert.deepEqual(runs, []);
  });

  it('hooks run on handlers, senders and ready instances too, and never on the app itself', async () => {
    reset();
    const given = new Config();
    @On('h', { dto: false })
    class Hooked extends Handler implements OnStart {
      onStart(): void {
        runs.push('Hooked.onStart');
      }
      handle(): void {}
    }
    const t = await make({ handlers: [Hooked], providers: [given] });
    assert.deepEqual(runs, ['Config.onStart', 'Hooked.onStart']);
    await t.close();
  });
});
