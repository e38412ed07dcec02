/**
 * Over real sockets, with the Node client: a per-handler guard's refusal, an
 * application error code and a handler timeout as the client sees them, and a
 * provider started by `listen` and stopped by `close`.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  Carom,
  ClientError,
  Injectable,
  On,
  type CaromOptions,
  type OnClose,
  type OnStart,
  type TimerHandle,
} from '../../src/index.js';
import { connect, RequestError, type CaromClient } from '../../src/client/index.js';
import { eventually } from '../support/wait.js';

/** A provider that ticks on the app's clock between onStart and onClose. */
@Injectable()
class Ticker implements OnStart, OnClose {
  ticks = 0;
  events: string[] = [];
  private timer: TimerHandle;

  constructor(private readonly app: Carom) {}

  onStart(): void {
    this.events.push('start');
    this.arm();
  }

  onClose(): void {
    this.events.push('close');
    if (this.timer !== undefined) this.app.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = this.app.clock.setTimeout(() => {
      this.ticks++;
      this.arm();
    }, 5);
  }
}

class Auction {
  @On('bid', { dto: false, guard: (ctx) => ctx.rawData !== 'forbidden' })
  bid(amount: unknown): number {
    if (amount === 'crash') throw new Error('internal');
    if (typeof amount !== 'number' || amount < 10) {
      throw new ClientError('your bid is too low', {
        appCode: 'BID_TOO_LOW',
        details: { minimum: 10 },
      });
    }
    return amount;
  }

  @On('stuck', { dto: false, timeoutMs: 50 })
  stuck(): Promise<never> {
    return new Promise(() => undefined);
  }
}

const apps: Carom[] = [];
const clients: CaromClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const app of apps.splice(0)) await app.close();
});

async function serve(options: CaromOptions = {}): Promise<{ app: Carom; client: CaromClient }> {
  const app = new Carom({
    handlers: [Auction],
    providers: [Ticker],
    logLevel: 'silent',
    ...options,
  });
  apps.push(app);
  const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
  const client = connect(`ws://127.0.0.1:${port}/ws`);
  clients.push(client);
  return { app, client };
}

async function failure(promise: Promise<unknown>): Promise<RequestError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof RequestError, String(err));
    return err;
  }
  assert.fail('the request succeeded');
}

describe('handlers and the app’s life over a real socket', () => {
  it('the client tells an application code from a crash and from a guard’s refusal', async () => {
    const { client } = await serve();
    assert.equal(await client.request('bid', 12), 12);
    const low = await failure(client.request('bid', 3));
    assert.deepEqual(
      [low.code, low.appCode, low.message, low.details],
      ['HANDLER_ERROR', 'BID_TOO_LOW', 'your bid is too low', { minimum: 10 }],
    );
    const crash = await failure(client.request('bid', 'crash'));
    assert.deepEqual([crash.code, crash.appCode], ['HANDLER_ERROR', undefined]);
    const refused = await failure(client.request('bid', 'forbidden'));
    assert.deepEqual([refused.code, refused.appCode], ['FORBIDDEN', undefined]);
  });

  it('a handler that never settles is answered HANDLER_TIMEOUT and the connection goes on', async () => {
    const { client } = await serve();
    const stuck = await failure(client.request('stuck', undefined, { timeoutMs: 5000 }));
    assert.equal(stuck.code, 'HANDLER_TIMEOUT');
    assert.equal(await client.request('bid', 20), 20);
  });

  it('listen starts the providers and close stops them, leaving no timer running', async () => {
    const { app, client } = await serve();
    const ticker = app.get(Ticker);
    assert.deepEqual(ticker.events, ['start']);
    assert.equal(await client.request('bid', 10), 10);
    await eventually(() => ticker.ticks > 0, 'the provider ticks on the app clock');
    await app.close();
    assert.deepEqual(ticker.events, ['start', 'close']);
    const ticks = ticker.ticks;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(ticker.ticks, ticks, 'no tick after close');
  });

  it('listen rejects, and nothing listens, when an onStart fails', async () => {
    @Injectable()
    class Broken implements OnStart {
      onStart(): Promise<void> {
        return Promise.reject(new Error('no database'));
      }
    }
    const app = new Carom({ providers: [Broken], logLevel: 'silent' });
    apps.push(app);
    await assert.rejects(
      app.listen({ port: 0, host: '127.0.0.1' }),
      (err: Error & { code?: string; cause?: Error }) => {
        assert.equal(err.code, 'CAROM_ERR_START_HOOK_FAILED');
        assert.equal(err.cause?.message, 'no database');
        return true;
      },
    );
  });
});
