/**
 * Whatever application code returns or throws, the client gets one
 * well-formed `ack` or `error` frame, an unexpected failure is logged, and
 * nothing reaches `uncaughtException` or `unhandledRejection`. Each hostile
 * value is tried through every place application code runs: class handlers
 * and controller methods (sync and async), several handlers for one event,
 * `canHandle`, `canSubscribe`, connect and disconnect hooks, `authenticate`,
 * and validation (a DTO whose constructor throws, an async constraint that
 * rejects).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  IsString,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { Logger } from 'tslog';
import {
  ClientError,
  CloseCode,
  ConnectionRefused,
  ErrorCode,
  Handler,
  On,
  OnConnect,
  OnDisconnect,
  Payload,
  Sender,
  Topic,
  type CaromLogger,
  type Connection,
} from '../../src/index.js';
import {
  createTestApp,
  settle,
  type ReceivedEnvelope,
  type TestApp,
  type TestAppOptions,
  type TestClient,
} from '../../src/testing/index.js';
import { failOnEscapes } from '../support/no-escapes.js';

failOnEscapes();

import {
  boom,
  hostileProxy,
  circular,
  UNEXPECTED_THROWS,
  CAROM_THROWS,
  BAD_RETURNS,
  REJECTING_RETURNS,
  FIRST_WINS,
  REJECTS_FIRST,
} from '../support/hostile-values.js';

// ---------------------------------------------------------------------------
// The app under test: every piece of application code calls `behave`
// ---------------------------------------------------------------------------

/** What the application code under test does; each test sets it. */
let behave: () => unknown = () => 'fine';

/** Makes `behave` throw `value()` (a fresh value each time). */
function throwing(value: () => unknown): () => unknown {
  return () => {
    throw value();
  };
}

/** Makes `behave` return `value()`. */
function returning(value: () => unknown): () => unknown {
  return () => value();
}

@Topic('news')
class NewsSender extends Sender<unknown> {}

@On('class.sync')
class ClassSync extends Handler {
  handle(): unknown {
    return behave();
  }
}

@On('class.async')
class ClassAsync extends Handler {
  async handle(): Promise<unknown> {
    await null;
    return behave();
  }
}

class Controller {
  @On('ctrl.sync')
  sync(): unknown {
    return behave();
  }

  @On('ctrl.async')
  async later(): Promise<unknown> {
    await null;
    return behave();
  }

  /** Two handlers for one event: the general path. */
  @On('multi')
  first(): unknown {
    return behave();
  }

  @On('multi')
  second(): string {
    return 'second';
  }

  @On('ok')
  ok(): string {
    return 'ok';
  }
}

/** A DTO whose constructor runs `behave`, so class-transformer meets whatever it throws. */
class ExplodingDto {
  @IsString()
  text!: string;

  constructor() {
    behave();
  }
}

@ValidatorConstraint({ name: 'hostile', async: true })
class HostileConstraint implements ValidatorConstraintInterface {
  validate(): Promise<boolean> {
    return Promise.resolve().then(() => behave() as boolean);
  }
}

class RejectingDto {
  @Validate(HostileConstraint)
  text!: string;
}

@On('validate.ctor')
class ValidateCtor extends Handler<ExplodingDto> {
  handle(@Payload() data: ExplodingDto): string {
    return data.text;
  }
}

@On('validate.async')
class ValidateAsync extends Handler<RejectingDto> {
  handle(@Payload() data: RejectingDto): string {
    return data.text;
  }
}

/** Hooks that misbehave only for the connection named `victim`. */
class Hooks {
  @OnConnect()
  connected(connection: Connection): unknown {
    return connection.user === 'victim' ? behave() : undefined;
  }

  @OnDisconnect()
  disconnected(connection: Connection): unknown {
    return connection.user === 'victim' ? behave() : undefined;
  }
}

const HANDLER_KINDS = ['class.sync', 'class.async', 'ctrl.sync', 'ctrl.async', 'multi'] as const;

const handlers = [ClassSync, ClassAsync, Controller, ValidateCtor, ValidateAsync];

let t: TestApp | undefined;

afterEach(async () => {
  behave = () => 'fine';
  await t?.close();
  t = undefined;
});

async function app(options: TestAppOptions = {}): Promise<TestApp> {
  t = await createTestApp({ handlers, senders: [NewsSender], ...options });
  return t;
}

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

/** Every frame the client received parses as JSON and is an envelope; returns them. */
function wellFormed(client: TestClient): ReceivedEnvelope[] {
  return client.socket.frames.map((text) => {
    let envelope: ReceivedEnvelope;
    try {
      envelope = JSON.parse(text) as ReceivedEnvelope;
    } catch {
      assert.fail(`a frame that is not JSON: ${text.slice(0, 200)}`);
    }
    assert.equal(typeof envelope, 'object');
    assert.ok(envelope !== null);
    assert.equal(typeof envelope.event, 'string');
    assert.equal(typeof envelope.timestamp, 'string');
    assert.ok('data' in envelope, `a frame without data: ${text.slice(0, 200)}`);
    return envelope;
  });
}

/** The only reply to `id` is an error with `code`; every frame is well-formed. */
function assertError(
  client: TestClient,
  reply: ReceivedEnvelope,
  id: string,
  event: string,
  code: string,
): void {
  assert.equal(reply.event, 'error');
  assert.equal(reply.id, id);
  assert.equal(reply.data.code, code);
  assert.equal(reply.data.event, event);
  assert.equal(typeof reply.data.message, 'string');
  const replies = wellFormed(client).filter((e) => e.id === id);
  assert.equal(replies.length, 1, 'exactly one reply');
}

function assertAck(client: TestClient, reply: ReceivedEnvelope, id: string, data: unknown): void {
  assert.equal(reply.event, 'ack');
  assert.equal(reply.id, id);
  assert.deepEqual(reply.data, data);
  assert.equal(wellFormed(client).filter((e) => e.id === id).length, 1, 'exactly one reply');
}

/** An `error`-level log line mentioning `text`. */
function assertLogged(app: TestApp, text: string): void {
  const line = app.logs.find(
    (l) => l.level === 'error' && l.args.some((a) => typeof a === 'string' && a.includes(text)),
  );
  assert.ok(
    line,
    `no error log line mentioning ${text}: ${JSON.stringify(app.logs.map((l) => l.args[0]))}`,
  );
}

/** A second connection is still served. */
async function stillServes(app: TestApp): Promise<void> {
  const other = await app.connect();
  const reply = await other.request('ok', undefined, { id: 'other' });
  assertAck(other, reply, 'other', 'ok');
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

describe('a handler that throws or rejects with a hostile value', () => {
  for (const event of HANDLER_KINDS) {
    for (const [what, value] of UNEXPECTED_THROWS) {
      it(`${event}: ${what} is answered HANDLER_ERROR and logged`, async () => {
        const a = await app();
        const client = await a.connect();
        behave = throwing(value);
        const reply = await client.request(event, undefined, { id: 'r1' });
        assertError(client, reply, 'r1', event, ErrorCode.HANDLER_ERROR);
        assert.equal(reply.data.message, 'the handler failed');
        assert.equal(reply.data.details, undefined);
        assertLogged(a, `'${event}'`);
        behave = () => 'fine';
        await stillServes(a);
        assert.equal(client.closed, false);
      });
    }
    for (const [what, value, expected] of CAROM_THROWS) {
      it(`${event}: ${what} keeps its code and message, without details`, async () => {
        const a = await app();
        const client = await a.connect();
        behave = throwing(value);
        const reply = await client.request(event, undefined, { id: 7 as unknown as string });
        assert.equal(reply.event, 'error');
        assert.equal(reply.id, 7);
        assert.equal(reply.data.code, expected.code);
        assert.ok(reply.data.message.startsWith(expected.message), reply.data.message);
        assert.match(reply.data.message, /details omitted/);
        assert.equal('details' in reply.data, false);
        wellFormed(client);
        await stillServes(a);
      });
    }
  }
});

describe('a handler that returns a hostile value', () => {
  for (const event of HANDLER_KINDS) {
    for (const [what, value] of BAD_RETURNS) {
      it(`${event}: ${what} is answered HANDLER_ERROR, never "data":undefined, and logged`, async () => {
        const a = await app();
        const client = await a.connect();
        behave = returning(value);
        const reply = await client.request(event, undefined, { id: 'r1' });
        assertError(client, reply, 'r1', event, ErrorCode.HANDLER_ERROR);
        assert.ok(
          a.logs.some((l) => l.level === 'error'),
          'the failure is logged',
        );
        for (const text of client.socket.frames) assert.ok(!text.includes(':undefined'), text);
        behave = () => 'fine';
        await stillServes(a);
      });
    }
    for (const [what, value, data] of FIRST_WINS) {
      it(`${event}: ${what} is answered once, with the first settlement`, async () => {
        const a = await app();
        const client = await a.connect();
        behave = returning(value);
        const reply = await client.request(event, undefined, { id: 'r1' });
        assertAck(client, reply, 'r1', data);
        await settle();
        assert.equal(client.socket.frames.length, 1, 'no second frame');
        await stillServes(a);
      });
    }
    it(`${event}: a thenable that rejects, then resolves, is an error`, async () => {
      const a = await app();
      const client = await a.connect();
      behave = returning(REJECTS_FIRST);
      const reply = await client.request(event, undefined, { id: 'r1' });
      assertError(client, reply, 'r1', event, ErrorCode.HANDLER_ERROR);
      await settle();
      assert.equal(client.socket.frames.length, 1, 'no second frame');
    });
  }

  it('a value whose then getter throws is read once: the getter does not run again', async () => {
    let reads = 0;
    const a = await app();
    const client = await a.connect();
    behave = () => ({
      get then(): never {
        reads++;
        throw new Error('then getter');
      },
    });
    const reply = await client.request('ctrl.sync', undefined, { id: 'r1' });
    assertError(client, reply, 'r1', 'ctrl.sync', ErrorCode.HANDLER_ERROR);
    assert.equal(reads, 1);
  });

  it('a well-behaved value still gets its ack on every path', async () => {
    const a = await app();
    const client = await a.connect();
    behave = () => ({ answer: [1, 'two', null] });
    for (const event of HANDLER_KINDS) {
      const reply = await client.request(event, undefined, { id: event });
      assertAck(client, reply, event, { answer: [1, 'two', null] });
    }
  });
});

describe('a thenable that never settles', () => {
  it('leaves its request pending, holds that connection’s queue (one in flight) and no other', async () => {
    const a = await app();
    const victim = await a.connect();
    const other = await a.connect();
    behave = () => ({ then: (): void => undefined });
    victim.send('ctrl.sync', undefined, { id: 'hung' });
    victim.send('ok', undefined, { id: 'behind' });
    await settle(5);
    assert.deepEqual(wellFormed(victim), [], 'nothing is answered while the first is in flight');
    assert.equal(a.app.stats().pending, 2, 'one in flight, one queued');
    behave = () => 'fine';
    const reply = await other.request('ok', undefined, { id: 'o1' });
    assertAck(other, reply, 'o1', 'ok');
    await a.close();
    t = undefined;
    // On shutdown the queued one is told; the hung one has nothing to say.
    const errors = wellFormed(victim).filter((e) => e.event === 'error');
    assert.deepEqual(
      errors.map((e) => [e.id, e.data.code]),
      [['behind', ErrorCode.UNAVAILABLE]],
    );
    assert.equal(victim.closeCode, CloseCode.GOING_AWAY);
  });

  it('with maxInFlight 2 the next envelope is still handled', async () => {
    const a = await app({ maxInFlight: 2 });
    const victim = await a.connect();
    behave = () => ({ then: (): void => undefined });
    victim.send('ctrl.async', undefined, { id: 'hung' });
    await settle();
    const reply = await victim.request('ok', undefined, { id: 'next' });
    assertAck(victim, reply, 'next', 'ok');
  });

  it('in canHandle it holds the request the same way', async () => {
    const a = await app({
      canHandle: (ctx) => (ctx.event === 'ok' ? true : (behave() as boolean)),
    });
    const victim = await a.connect();
    const other = await a.connect();
    behave = () => ({ then: (): void => undefined });
    victim.send('ctrl.sync', undefined, { id: 'hung' });
    await settle(5);
    assert.deepEqual(wellFormed(victim), []);
    const reply = await other.request('ok', undefined, { id: 'o1' });
    assertAck(other, reply, 'o1', 'ok');
  });
});

// ---------------------------------------------------------------------------
// Guards
// ---------------------------------------------------------------------------

describe('a canHandle guard that misbehaves', () => {
  const guard = { canHandle: (ctx: { event: string }) => (ctx.event === 'ok' ? true : behave()) };

  for (const [what, value] of UNEXPECTED_THROWS) {
    it(`throwing ${what}: HANDLER_ERROR, logged, the handler does not run`, async () => {
      const a = await app(guard as TestAppOptions);
      const client = await a.connect();
      let ran = false;
      behave = () => {
        if (ran) return 'handler ran';
        ran = true;
        throw value();
      };
      const reply = await client.request('ctrl.sync', undefined, { id: 'g1' });
      assertError(client, reply, 'g1', 'ctrl.sync', ErrorCode.HANDLER_ERROR);
      assertLogged(a, `'ctrl.sync'`);
      await stillServes(a);
    });
  }

  for (const [what, value, expected] of CAROM_THROWS) {
    it(`throwing ${what}: its code, no details`, async () => {
      const a = await app(guard as TestAppOptions);
      const client = await a.connect();
      behave = throwing(value);
      const reply = await client.request('ctrl.sync', undefined, { id: 'g1' });
      assertError(client, reply, 'g1', 'ctrl.sync', expected.code);
      assert.equal('details' in reply.data, false);
      await stillServes(a);
    });
  }

  for (const [what, value] of REJECTING_RETURNS) {
    it(`returning ${what}: HANDLER_ERROR`, async () => {
      const a = await app(guard as TestAppOptions);
      const client = await a.connect();
      behave = returning(value);
      const reply = await client.request('ctrl.sync', undefined, { id: 'g1' });
      // The handler runs only when the guard resolved to something truthy.
      if (reply.event === 'error') {
        assertError(client, reply, 'g1', 'ctrl.sync', ErrorCode.HANDLER_ERROR);
      } else {
        assert.fail(`the guard let it through: ${JSON.stringify(reply)}`);
      }
      await stillServes(a);
    });
  }

  it('returning false: FORBIDDEN', async () => {
    const a = await app(guard as TestAppOptions);
    const client = await a.connect();
    behave = () => false;
    const reply = await client.request('ctrl.sync', undefined, { id: 'g1' });
    assertError(client, reply, 'g1', 'ctrl.sync', ErrorCode.FORBIDDEN);
  });
});

describe('a canSubscribe guard that misbehaves', () => {
  const options: TestAppOptions = { canSubscribe: () => behave() as boolean };

  for (const [what, value] of UNEXPECTED_THROWS) {
    it(`throwing ${what}: HANDLER_ERROR for the subscribe, logged`, async () => {
      const a = await app(options);
      const client = await a.connect();
      behave = throwing(value);
      const reply = await client.request('subscribe', { events: ['news'] }, { id: 's1' });
      assertError(client, reply, 's1', 'subscribe', ErrorCode.HANDLER_ERROR);
      assertLogged(a, `'subscribe'`);
      assert.deepEqual(a.app.subscribers('news'), []);
      await stillServes(a);
    });
  }

  for (const [what, value, expected] of CAROM_THROWS) {
    it(`throwing ${what}: its code, no details`, async () => {
      const a = await app(options);
      const client = await a.connect();
      behave = throwing(value);
      const reply = await client.request('subscribe', { events: ['news'] }, { id: 's1' });
      assertError(client, reply, 's1', 'subscribe', expected.code);
      assert.equal('details' in reply.data, false);
    });
  }

  for (const [what, value] of REJECTING_RETURNS) {
    it(`returning ${what}: HANDLER_ERROR`, async () => {
      const a = await app(options);
      const client = await a.connect();
      behave = returning(value);
      const reply = await client.request('subscribe', { events: ['news'] }, { id: 's1' });
      assertError(client, reply, 's1', 'subscribe', ErrorCode.HANDLER_ERROR);
      await stillServes(a);
    });
  }
});

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

describe('validation that throws', () => {
  for (const event of ['validate.ctor', 'validate.async']) {
    for (const [what, value] of UNEXPECTED_THROWS) {
      it(`${event}: ${what} is answered HANDLER_ERROR and logged`, async () => {
        const a = await app();
        const client = await a.connect();
        behave = throwing(value);
        const reply = await client.request(event, { text: 'hi' }, { id: 'v1' });
        assertError(client, reply, 'v1', event, ErrorCode.HANDLER_ERROR);
        assertLogged(a, `'${event}'`);
        await stillServes(a);
      });
    }
    for (const [what, value, expected] of CAROM_THROWS) {
      it(`${event}: ${what} keeps its code, no details`, async () => {
        const a = await app();
        const client = await a.connect();
        behave = throwing(value);
        const reply = await client.request(event, { text: 'hi' }, { id: 'v1' });
        assertError(client, reply, 'v1', event, expected.code);
        assert.equal('details' in reply.data, false);
      });
    }
  }

  it('validates as usual when nothing misbehaves', async () => {
    const a = await app();
    const client = await a.connect();
    behave = () => true;
    assertAck(
      client,
      await client.request('validate.ctor', { text: 'hi' }, { id: 'a' }),
      'a',
      'hi',
    );
    assertAck(
      client,
      await client.request('validate.async', { text: 'yo' }, { id: 'b' }),
      'b',
      'yo',
    );
    const bad = await client.request('validate.ctor', { text: 5 }, { id: 'c' });
    assertError(client, bad, 'c', 'validate.ctor', ErrorCode.VALIDATION_FAILED);
  });
});

// ---------------------------------------------------------------------------
// Hooks and authenticate
// ---------------------------------------------------------------------------

describe('a connect hook that misbehaves', () => {
  for (const [what, value] of UNEXPECTED_THROWS) {
    for (const mode of ['throwing', 'rejecting with'] as const) {
      it(`${mode} ${what}: closed with 1011, logged, others unaffected`, async () => {
        const a = await app({ handlers: [...handlers, Hooks] });
        behave =
          mode === 'throwing' ? throwing(value) : () => Promise.resolve().then(throwing(value));
        const victim = await a.connect({ user: 'victim' });
        await settle();
        assert.equal(victim.closeCode, CloseCode.INTERNAL_ERROR);
        assert.equal(victim.closeReason, 'connect hook failed');
        assertLogged(a, 'Hooks.connected');
        wellFormed(victim);
        behave = () => 'fine';
        await stillServes(a);
      });
    }
  }

  for (const [what, value] of REJECTING_RETURNS) {
    it(`returning ${what}: closed with 1011`, async () => {
      const a = await app({ handlers: [...handlers, Hooks] });
      behave = returning(value);
      const victim = await a.connect({ user: 'victim' });
      await settle();
      assert.equal(victim.closeCode, CloseCode.INTERNAL_ERROR);
      await stillServes(a);
    });
  }

  for (const [what, make] of [
    ['ClientError', () => new ClientError('banned', { details: circular() })],
    ['ConnectionRefused', () => new ConnectionRefused('banned')],
  ] as const) {
    it(`throwing ${what}: closed with 1008 and its message`, async () => {
      const a = await app({ handlers: [...handlers, Hooks] });
      behave = throwing(make);
      const victim = await a.connect({ user: 'victim' });
      await settle();
      assert.equal(victim.closeCode, CloseCode.POLICY_VIOLATION);
      assert.equal(victim.closeReason, 'banned');
      assert.ok(
        a.logs.some((l) => l.args.some((x) => typeof x === 'string' && x.includes('banned'))),
      );
      await stillServes(a);
    });
  }

  it('a ClientError whose message getter throws still refuses with 1008', async () => {
    class Sneaky extends ClientError {
      constructor(message: string) {
        super(message);
        Object.defineProperty(this, 'message', { get: boom });
      }
    }
    const a = await app({ handlers: [...handlers, Hooks] });
    behave = throwing(() => new Sneaky('x'));
    const victim = await a.connect({ user: 'victim' });
    await settle();
    assert.equal(victim.closeCode, CloseCode.POLICY_VIOLATION);
    assert.equal(typeof victim.closeReason, 'string');
    await stillServes(a);
  });
});

describe('a disconnect hook that misbehaves', () => {
  const cases: ReadonlyArray<readonly [string, () => unknown]> = [
    ...UNEXPECTED_THROWS.map(([w, v]) => [`throwing ${w}`, throwing(v)] as const),
    ...UNEXPECTED_THROWS.map(
      ([w, v]) => [`rejecting with ${w}`, () => Promise.reject(v())] as const,
    ),
    ...REJECTING_RETURNS.map(([w, v]) => [`returning ${w}`, returning(v)] as const),
  ];
  for (const [what, make] of cases) {
    it(`${what}: logged, nothing escapes, others served`, async () => {
      const a = await app({ handlers: [...handlers, Hooks] });
      const victim = await a.connect({ user: 'victim' });
      behave = make;
      victim.close();
      await settle(5);
      assertLogged(a, 'Hooks.disconnected');
      behave = () => 'fine';
      await stillServes(a);
    });
  }
});

describe('authenticate that misbehaves', () => {
  const cases: ReadonlyArray<readonly [string, () => unknown]> = [
    ...UNEXPECTED_THROWS.map(([w, v]) => [`throwing ${w}`, throwing(v)] as const),
    ...UNEXPECTED_THROWS.map(
      ([w, v]) => [`rejecting with ${w}`, () => Promise.reject(v())] as const,
    ),
    ...REJECTING_RETURNS.map(([w, v]) => [`returning ${w}`, returning(v)] as const),
  ];
  for (const [what, make] of cases) {
    it(`${what}: refused with 1008, logged, others admitted`, async () => {
      const a = await app({
        authenticate: (request) => (request.headers['x-user'] === 'victim' ? behave() : 'user'),
      });
      behave = make;
      const victim = await a.connect({ headers: { 'x-user': 'victim' } });
      assert.equal(victim.closeCode, CloseCode.POLICY_VIOLATION);
      assert.equal(victim.closeReason, 'unauthorized');
      assertLogged(a, 'authenticate');
      behave = () => 'fine';
      await stillServes(a);
    });
  }
});

// ---------------------------------------------------------------------------
// Loggers
// ---------------------------------------------------------------------------

describe('a logger that throws', () => {
  it('an application logger whose every method throws: the app keeps serving', async () => {
    let calls = 0;
    const broken: CaromLogger = {
      debug: () => {
        calls++;
        throw hostileProxy();
      },
      info: () => {
        calls++;
        throw new Error('info');
      },
      warn: () => {
        calls++;
        throw new Error('warn');
      },
      error: () => {
        calls++;
        throw hostileProxy();
      },
    };
    const a = await app({ logger: broken });
    const client = await a.connect();
    for (const [, value] of UNEXPECTED_THROWS) {
      behave = throwing(value);
      const reply = await client.request('ctrl.sync', undefined, { id: 'l' });
      assertError(client, reply, 'l', 'ctrl.sync', ErrorCode.HANDLER_ERROR);
      client.clear();
    }
    behave = returning(() => () => 1);
    const bad = await client.request('ctrl.async', undefined, { id: 'l2' });
    assertError(client, bad, 'l2', 'ctrl.async', ErrorCode.HANDLER_ERROR);
    assert.ok(calls > 0, 'the logger was called');
    behave = () => 'fine';
    await stillServes(a);
  });

  it('a logger whose methods are getters that throw: the app keeps serving', async () => {
    const broken = new Proxy({} as CaromLogger, { get: boom });
    const a = await app({ logger: broken });
    const client = await a.connect();
    behave = throwing(hostileProxy);
    const reply = await client.request('class.sync', undefined, { id: 'l' });
    assertError(client, reply, 'l', 'class.sync', ErrorCode.HANDLER_ERROR);
    await stillServes(a);
  });

  it('tslog, which throws on a Proxy argument: the app keeps serving', async () => {
    const a = await app({ logger: new Logger({ type: 'hidden' }) });
    const client = await a.connect();
    for (const [, value] of UNEXPECTED_THROWS) {
      behave = throwing(value);
      const reply = await client.request('ctrl.async', undefined, { id: 'l' });
      assertError(client, reply, 'l', 'ctrl.async', ErrorCode.HANDLER_ERROR);
      client.clear();
    }
    behave = () => 'fine';
    await stillServes(a);
  });
});
