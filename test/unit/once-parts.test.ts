/**
 * The parts of requests handled once that stand alone: the envelope's `key`
 * as the decoder reads it (property-based: any value is accepted or refused
 * cleanly), the `carom.client.` subprotocol entry, and the memory store's
 * window, bounds and waiters on a fake clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeEnvelope,
  isEnvelopeKey,
  isRejection,
  type DecodeLimits,
} from '../../src/protocol/envelope.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { MemoryOnceStore } from '../../src/core/memory-once.js';
import type { FirstAnswer } from '../../src/core/once.js';
import { FakeClock } from '../../src/testing/index.js';
import {
  clientIdFromProtocols,
  selectProtocol,
  CLIENT_PROTOCOL_PREFIX,
} from '../../src/transport/subprotocol.js';

const KEYED: DecodeLimits = { maxEventLength: 200, maxDepth: 32, keys: true };
const PLAIN: DecodeLimits = { maxEventLength: 200, maxDepth: 32 };
const KEY_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';

/** The rule, written from the protocol page rather than from the decoder. */
function wellFormed(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length >= 16 &&
    value.length <= 64 &&
    [...value].every((c) => KEY_CHARS.includes(c))
  );
}

const goodKey = fc
  .array(fc.constantFrom(...KEY_CHARS), { minLength: 16, maxLength: 64 })
  .map((chars) => chars.join(''));
const anyKey = fc.oneof(
  goodKey,
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 70 }),
  fc.anything(),
  goodKey.map((k) => `${k} `),
  goodKey.map((k) => k + 'x'.repeat(64)),
);

function run<T>(property: fc.IPropertyWithHooks<T>, numRuns: number): void {
  fc.assert(property, { numRuns, interruptAfterTimeLimit: 4000 });
}

describe('the envelope key, as the decoder reads it', () => {
  it('accepts exactly the well-formed keys from carom clients, and refuses the rest cleanly', () => {
    run(
      fc.property(
        anyKey,
        fc.oneof(fc.constant(undefined), fc.integer(), fc.string({ maxLength: 8 })),
        (key, id) => {
          const text = JSON.stringify({ event: 'order', data: { a: 1 }, id, key });
          const sent = (JSON.parse(text) as { key?: unknown }).key;
          const decoded = decodeEnvelope(text, KEYED);
          if (sent === undefined) {
            assert.ok(!isRejection(decoded));
            assert.equal(decoded.key, undefined);
          } else if (wellFormed(sent)) {
            assert.ok(!isRejection(decoded));
            assert.equal(decoded.key, sent);
            assert.equal(isEnvelopeKey(sent), true);
          } else {
            assert.ok(isRejection(decoded));
            assert.equal(decoded.error.code, ErrorCode.BAD_ENVELOPE);
            assert.match(decoded.error.message, /"key"/);
            assert.equal(decoded.id, id);
            assert.equal(decoded.event, 'order');
          }
        },
      ),
      400,
    );
  });

  it('ignores the field, well-formed or not, for plain clients', () => {
    run(
      fc.property(anyKey, (key) => {
        const decoded = decodeEnvelope(JSON.stringify({ event: 'order', key }), PLAIN);
        assert.ok(!isRejection(decoded));
        assert.equal(decoded.key, undefined);
        assert.deepEqual(Object.keys(decoded).sort(), ['data', 'event', 'id', 'timestamp']);
      }),
      200,
    );
  });

  it('says which edges of the rule hold', () => {
    assert.equal(isEnvelopeKey('a'.repeat(16)), true);
    assert.equal(isEnvelopeKey('a'.repeat(15)), false);
    assert.equal(isEnvelopeKey('Z-_9'.repeat(16)), true);
    assert.equal(isEnvelopeKey('a'.repeat(65)), false);
    assert.equal(isEnvelopeKey('a'.repeat(15) + '.'), false);
    assert.equal(isEnvelopeKey('a'.repeat(15) + 'é'), false);
  });
});

describe('the carom.client. subprotocol entry', () => {
  it('reads the first well-formed client id, skipping bad entries', () => {
    const id = 'AbC_-123xyz';
    assert.equal(clientIdFromProtocols(`carom, ${CLIENT_PROTOCOL_PREFIX}${id}`), id);
    assert.equal(
      clientIdFromProtocols(
        `carom.client.short, carom.client.${'x'.repeat(65)}, carom.client.${id}`,
      ),
      id,
    );
    for (const bad of [
      undefined,
      '',
      'carom',
      'carom.client.',
      'carom.client.abc',
      'carom.client.abc def12',
      `carom.client.${'é'.repeat(10)}`,
    ]) {
      assert.equal(clientIdFromProtocols(bad), undefined, String(bad));
    }
  });

  it('never selects the entry, as it never selects a token', () => {
    assert.equal(selectProtocol(new Set(['carom.client.abcdefgh', 'carom'])), 'carom');
    assert.equal(selectProtocol(new Set(['carom.client.abcdefgh'])), false);
    assert.equal(selectProtocol(new Set(['carom.client.abcdefgh', 'chat'])), 'chat');
  });

  it('never throws on any header value', () => {
    run(
      fc.property(fc.string({ maxLength: 200 }), (value) => {
        const id = clientIdFromProtocols(value);
        if (id !== undefined) assert.match(id, /^[A-Za-z0-9_-]{8,64}$/);
      }),
      300,
    );
  });
});

const ANSWER: FirstAnswer = { kind: 'ack', json: '{"ok":true}' };

describe('MemoryOnceStore', () => {
  it('answers first, then pending, then the settled answer, within the window', async () => {
    const clock = new FakeClock();
    const store = new MemoryOnceStore({ clock });
    assert.deepEqual(await store.claim('u', 'k', 1000), { state: 'first' });
    assert.deepEqual(await store.claim('u', 'k', 1000), { state: 'pending' });
    store.settle('u', 'k', ANSWER, 1000);
    assert.deepEqual(await store.claim('u', 'k', 1000), { state: 'answered', answer: ANSWER });
    await clock.advance(999);
    assert.equal((await store.claim('u', 'k', 1000)).state, 'answered');
    await clock.advance(1);
    assert.equal((await store.claim('u', 'k', 1000)).state, 'first');
  });

  it('forgets a released key, and ignores a release of a settled one', async () => {
    const store = new MemoryOnceStore({ clock: new FakeClock() });
    await store.claim('u', 'a', 1000);
    store.release('u', 'a');
    assert.equal((await store.claim('u', 'a', 1000)).state, 'first');
    store.settle('u', 'a', ANSWER, 1000);
    store.release('u', 'a');
    assert.equal((await store.claim('u', 'a', 1000)).state, 'answered');
    assert.equal(store.keys, 1);
  });

  it('keeps at most maxKeys per identity, the oldest going first', async () => {
    const store = new MemoryOnceStore({ clock: new FakeClock() });
    for (let i = 0; i < 5; i++) await store.claim('u', `k${i}`, 1000, 3);
    assert.equal(store.keys, 3);
    assert.equal((await store.claim('u', 'k4', 1000, 3)).state, 'pending');
    assert.equal((await store.claim('u', 'k0', 1000, 3)).state, 'first');
  });

  it('keeps at most maxIdentities, forgetting the one least recently heard from', async () => {
    const store = new MemoryOnceStore({ clock: new FakeClock(), maxIdentities: 2 });
    await store.claim('a', 'k', 1000);
    await store.claim('b', 'k', 1000);
    await store.claim('a', 'k2', 1000);
    await store.claim('c', 'k', 1000);
    assert.equal(store.identities, 2);
    assert.equal((await store.claim('a', 'k', 1000)).state, 'pending');
    assert.equal((await store.claim('b', 'k', 1000)).state, 'first');
  });

  it('stays under maxChars, however large the answers', async () => {
    const store = new MemoryOnceStore({ clock: new FakeClock(), maxChars: 10_000 });
    const big: FirstAnswer = { kind: 'ack', json: `"${'x'.repeat(3000)}"` };
    for (let i = 0; i < 20; i++) {
      await store.claim(`id${i % 4}`, `k${i}`, 60_000);
      store.settle(`id${i % 4}`, `k${i}`, big, 60_000);
    }
    assert.ok(store.keys <= 3, `${store.keys} keys`);
    assert.equal((await store.claim('id3', 'k19', 60_000)).state, 'answered');
  });

  it('drops expired keys of an identity as it is heard from again', async () => {
    const clock = new FakeClock();
    const store = new MemoryOnceStore({ clock });
    for (let i = 0; i < 50; i++) await store.claim('u', `k${i}`, 1000);
    await clock.advance(1001);
    await store.claim('u', 'fresh', 1000);
    assert.equal(store.keys, 1);
  });

  it('wakes a waiter when the key is settled or released, or after its timeout', async () => {
    const clock = new FakeClock();
    const store = new MemoryOnceStore({ clock });
    await store.claim('u', 'k', 1000);
    let woke = 0;
    const a = store.awaitSettled('u', 'k', 500).then(() => woke++);
    const b = store.awaitSettled('u', 'k', 500).then(() => woke++);
    await Promise.resolve();
    assert.equal(woke, 0);
    store.settle('u', 'k', ANSWER, 1000);
    await Promise.all([a, b]);
    assert.equal(woke, 2);
    assert.equal(clock.pendingTimers, 0);

    await store.claim('u', 'r', 1000);
    const c = store.awaitSettled('u', 'r', 500);
    store.release('u', 'r');
    await c;

    await store.claim('u', 't', 1000);
    let timedOut = false;
    const d = store.awaitSettled('u', 't', 500).then(() => (timedOut = true));
    await clock.advance(499);
    assert.equal(timedOut, false);
    await clock.advance(1);
    await d;
    assert.equal(timedOut, true);
    assert.equal((await store.claim('u', 't', 1000)).state, 'pending');
  });
});
