/**
 * Every option is checked in one place, `resolveOptions`, and a bad one is a
 * `ConfigurationError` naming it, thrown by `new Carom`, never a TypeError
 * from deep inside.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Carom, ConfigurationError, DEFAULTS, type CaromOptions } from '../../src/index.js';

/** Options that cannot work, each with the option name its error must mention. */
const BAD: Array<[string, Record<string, unknown>]> = [
  ['staleness.scope', { staleness: { scope: 'sometimes' } }],
  ['staleness.maxAgeMs', { staleness: { maxAgeMs: 0 } }],
  ['unknownProperties', { unknownProperties: 'drop' }],
  ['logLevel', { logLevel: 'loud' }],
  ['timestampFormat', { timestampFormat: 'iso' }],
  ['path', { path: 'ws' }],
  ['maxPayload', { maxPayload: 0 }],
  ['maxDepth', { maxDepth: 1.5 }],
  ['maxSubscriptions', { maxSubscriptions: -1 }],
  ['maxClockSkewMs', { maxClockSkewMs: Number.NaN }],
  ['maxConnections', { maxConnections: 0 }],
  ['maxConnectionsPerAddress', { maxConnectionsPerAddress: 0 }],
  ['maxChannels', { maxChannels: 0 }],
  ['maxValidatedValues', { maxValidatedValues: 0 }],
  ['handshakeTimeoutMs', { handshakeTimeoutMs: 0 }],
  ['rateLimit.messages', { rateLimit: { messages: 0, perMs: 1000 } }],
  ['rateLimit.perMs', { rateLimit: { messages: 1, perMs: 0 } }],
  ['unvalidatedHandlers', { unvalidatedHandlers: 'ignore' }],
  ['allowedOrigins', { allowedOrigins: 42 }],
  ['clientAddress', { clientAddress: 'x-forwarded-for' }],
  ['authenticate', { authenticate: true }],
  ['canSubscribe', { canSubscribe: 'yes' }],
  ['canHandle', { canHandle: {} }],
  ['handlers', { handlers: 'ChatHandler' }],
  ['topics', { topics: 'room.*' }],
];

describe('options', () => {
  for (const [name, options] of BAD) {
    it(`a bad ${name} is a ConfigurationError naming it`, () => {
      assert.throws(
        () => new Carom({ logLevel: 'fatal', ...options } as CaromOptions),
        (err: unknown) =>
          err instanceof ConfigurationError && err.message.includes(`option ${name} `),
      );
    });
  }

  it('the defaults start, and rateLimit: false turns the limit off', () => {
    assert.doesNotThrow(() => new Carom({ logLevel: 'fatal' }));
    assert.doesNotThrow(() => new Carom({ logLevel: 'fatal', rateLimit: false }));
    assert.deepEqual(DEFAULTS.rateLimit, { messages: 1000, perMs: 1000 });
  });
});
