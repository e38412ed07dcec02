/**
 * Every option is checked in one place, `resolveOptions`, and a bad one is a
 * `ConfigurationError` (`CAROM_ERR_BAD_OPTION`) naming it, thrown by
 * `new Carom`, never a TypeError from deep inside.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Carom,
  ConfigurationError,
  DEFAULTS,
  systemClock,
  type CaromOptions,
} from '../../src/index.js';

/**
 * A value that cannot work for every option, or several. Typed by the options'
 * keys, so an option added without a bad value here does not compile.
 */
const BAD: { readonly [K in keyof CaromOptions]-?: readonly unknown[] } = {
  handlers: ['ChatHandler', {}],
  senders: [42],
  providers: [{ provide: 'x' }],
  topics: ['room.*', [42], [{ delivery: 'latest' }]],
  presence: ['room.*', [''], ['a**'], [42]],
  presenceNotices: ['yes', 1],
  allowUndeclared: ['yes', 1],
  staleness: ['global', 5],
  maxPayload: [0, 1.5, '1024'],
  maxBufferedBytes: [-1, 0.5, Number.POSITIVE_INFINITY],
  backlogBytes: [0, 1.5, '1mb'],
  maxWaitingKeys: [0, -1],
  maxEventLength: [0, Number.NaN],
  maxInFlight: [0, '1'],
  maxQueued: [0, -3],
  rateLimit: [true, 1000, 'off'],
  timestampFormat: ['iso', 0],
  unknownProperties: ['drop', true],
  exposeErrors: [Error, ['Error']],
  authenticate: [true, 'token'],
  canSubscribe: ['yes'],
  canHandle: [{}],
  path: ['ws', 42, ''],
  heartbeatMs: [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '30000'],
  logger: [console.log, { info() {} }, 'debug'],
  logLevel: ['loud', 3],
  clock: [Date.now, { now: () => 0 }],
  broker: ['redis://localhost', { start: () => Promise.resolve() }],
  observers: [{}, [{ bind() {} }], 'prometheus'],
  maxDepth: [1.5, 0],
  maxValidatedValues: [0],
  maxSubscriptions: [-1],
  maxClockSkewMs: [Number.NaN, -1, Number.POSITIVE_INFINITY],
  maxConnections: [0],
  maxConnectionsPerAddress: [0],
  clientAddress: ['x-forwarded-for'],
  maxChannels: [0],
  handshakeTimeoutMs: [0, 2 ** 31, 0.5],
  maxPendingAsks: [0, -1, 1.5, '10'],
  askTimeoutMs: [0, 2 ** 31, 0.5, '1000'],
  allowedOrigins: [42, 'https://app.example.com', ['app.example.com'], ['https://a.example/path']],
  unvalidatedHandlers: ['ignore', false],
  interceptors: [() => undefined, [42], ['timing']],
  handlerTimeoutMs: [-1, 1.5, 2 ** 31, '5000', Number.NaN],
  lifecycleTimeoutMs: [0, -1, 2 ** 31, '1000'],
  once: [true, 'on', 120_000],
};

/** Bad values of the options that are objects, each named by its path. */
const BAD_NESTED: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['staleness.scope', { staleness: { scope: 'sometimes' } }],
  ['staleness.maxAgeMs', { staleness: { maxAgeMs: 0 } }],
  ['staleness.maxAgeMs', { staleness: { maxAgeMs: '5s' } }],
  ['rateLimit.messages', { rateLimit: { messages: 0, perMs: 1000 } }],
  ['rateLimit.messages', { rateLimit: { perMs: 1000, messages: 2.5 } }],
  ['rateLimit.perMs', { rateLimit: { messages: 1, perMs: 0 } }],
  ['rateLimit.perMs', { rateLimit: { messages: 1, perMs: Number.POSITIVE_INFINITY } }],
  ['once.windowMs', { once: { windowMs: 0 } }],
  ['once.windowMs', { once: { windowMs: 2 ** 31 } }],
  ['once.maxKeys', { once: { maxKeys: 0 } }],
  ['once.maxKeys', { once: { maxKeys: 1.5 } }],
  ['once.identity', { once: { identity: 'user.id' } }],
];

/** Asserts that `options` make `new Carom` throw the option error naming `name`. */
function assertRefused(name: string, options: Record<string, unknown>): void {
  assert.throws(
    () => new Carom({ logLevel: 'fatal', ...options } as CaromOptions),
    (err: unknown) => {
      assert.ok(err instanceof ConfigurationError, String(err));
      assert.equal(err.code, 'CAROM_ERR_BAD_OPTION');
      assert.ok(err.message.startsWith(`option ${name} must be `), err.message);
      assert.match(err.message, /, got /);
      return true;
    },
  );
}

describe('options', () => {
  for (const [name, values] of Object.entries(BAD)) {
    for (const value of values) {
      const shown = typeof value === 'function' ? value.name || 'a function' : String(value);
      it(`${name}: ${shown} is a ConfigurationError naming it`, () => {
        assertRefused(name, { [name]: value });
      });
    }
  }

  for (const [name, options] of BAD_NESTED) {
    it(`${name}: ${JSON.stringify(options)} is a ConfigurationError naming it`, () => {
      assertRefused(name, options);
    });
  }

  it('a bad value is shown in the message, never dumped', () => {
    assert.throws(() => new Carom({ path: 'ws' }), {
      message: "option path must be a path starting with '/', got 'ws'",
    });
    assert.throws(() => new Carom({ maxPayload: 0 }), {
      message: 'option maxPayload must be a positive integer, got 0',
    });
    assert.throws(() => new Carom({ canHandle: { secret: 'hunter2' } as never }), {
      message: "option canHandle must be a function of the envelope's context, got an object",
    });
  });

  it('good values of every kind start, and null or undefined take the default', () => {
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    assert.doesNotThrow(() => new Carom({ logLevel: 'fatal' }));
    assert.doesNotThrow(() => new Carom({ logLevel: 'fatal', rateLimit: false }));
    assert.doesNotThrow(
      () =>
        new Carom({
          logger,
          clock: systemClock,
          heartbeatMs: 0,
          maxBufferedBytes: 0,
          maxClockSkewMs: 0,
          allowedOrigins: ['https://app.example.com', 'http://localhost:8080'],
          staleness: { scope: 'global', maxAgeMs: 5000 },
          rateLimit: { messages: 10, perMs: 0.5 },
          exposeErrors: [RangeError],
          topics: ['room.*', 'lobby'],
          handshakeTimeoutMs: 2 ** 31 - 1,
        }),
    );
    assert.doesNotThrow(
      () => new Carom({ logLevel: 'fatal', path: null, rateLimit: null } as never),
    );
    assert.deepEqual(DEFAULTS.rateLimit, { messages: 1000, perMs: 1000 });
  });
});
