/**
 * The client takes the protocol's names, close codes and pattern matching from
 * src/protocol (bundled into the one served module). These tests pin what it
 * exports to the server's, so a copy creeping back in would be caught.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as client from '../../src/client/index.js';
import * as clientNames from '../../src/client/names.js';
import { CloseCode as ServerCloseCode } from '../../src/protocol/errors.js';
import * as serverNames from '../../src/protocol/names.js';

describe("the client's copies of the protocol's constants", () => {
  it('names the reserved events as the server does', () => {
    assert.equal(client.CHANNEL_CREATED, serverNames.CHANNEL_CREATED);
    assert.equal(client.CHANNEL_DELETED, serverNames.CHANNEL_DELETED);
    assert.equal(client.WELCOME, serverNames.WELCOME);
    assert.equal(clientNames.PING, serverNames.PING);
    assert.equal(clientNames.ALL, serverNames.ALL);
    for (const name of [
      clientNames.SUBSCRIBE,
      clientNames.UNSUBSCRIBE,
      clientNames.ACK,
      clientNames.ERROR,
    ]) {
      assert.ok(serverNames.RESERVED_EVENTS.has(name), `${name} is one of the protocol's events`);
    }
    for (const name of [
      client.CHANNEL_CREATED,
      client.CHANNEL_DELETED,
      client.WELCOME,
      clientNames.PING,
    ]) {
      assert.ok(serverNames.isReserved(name), `${name} is reserved on the server`);
    }
  });

  it('gives every close code it shares with the server the same value', () => {
    const shared = Object.keys(client.CloseCode).filter((k) => k in ServerCloseCode);
    assert.ok(shared.length >= 5, `too few shared codes: ${shared.join(', ')}`);
    for (const key of shared) {
      assert.equal(
        client.CloseCode[key as keyof typeof client.CloseCode],
        ServerCloseCode[key as keyof typeof ServerCloseCode],
        key,
      );
    }
    const values = Object.values(client.CloseCode);
    assert.equal(new Set(values).size, values.length, 'no two codes share a value');
  });

  it('names each of its own error codes by itself', () => {
    for (const [key, value] of Object.entries(client.ClientErrorCode)) assert.equal(value, key);
  });
});

describe("coveredByPattern (the client's dot-prefix walk)", () => {
  const held = (...names: string[]) => new Set(names);
  it('is true under `*` and under `prefix.*` for a prefix ending at a dot of the name', () => {
    assert.equal(clientNames.coveredByPattern('anything', held('*')), true);
    assert.equal(clientNames.coveredByPattern('room.lobby', held('room.*')), true);
    assert.equal(clientNames.coveredByPattern('a.b.c', held('a.b.*')), true);
    assert.equal(clientNames.coveredByPattern('a.b.c', held('a.*')), true);
  });

  it('is false for the pattern of another prefix, a prefix that ends mid-word, or exact names', () => {
    assert.equal(clientNames.coveredByPattern('room.lobby', held('rooms.*')), false);
    assert.equal(clientNames.coveredByPattern('roomy.lobby', held('room.*')), false);
    assert.equal(clientNames.coveredByPattern('room', held('room.*')), false);
    assert.equal(clientNames.coveredByPattern('room.lobby', held('room.lobby')), false);
    assert.equal(clientNames.coveredByPattern('room.lobby', held()), false);
  });
});

describe("coveredByPattern is the server's patternsCover", () => {
  // Names, patterns and exact names built from dots and short parts, so that prefixes
  // that do and do not end at a dot both come up often.
  const dotted = fc
    .array(fc.constantFrom('a', 'b', 'ab', '', '*', 'room', 'é'), { minLength: 1, maxLength: 5 })
    .map((parts) => parts.join('.'));
  const held = fc.array(
    fc.oneof(
      dotted,
      dotted.map((d) => `${d}.*`),
      fc.constant('*'),
    ),
    {
      maxLength: 8,
    },
  );

  it('agrees with the server on every name and held set', () => {
    fc.assert(
      fc.property(held, dotted, (names, name) => {
        const set = new Set(names);
        assert.equal(
          clientNames.coveredByPattern(name, set),
          serverNames.patternsCover(set, name),
          `${[...set].join(' ')} / ${name}`,
        );
      }),
      { numRuns: 3000, interruptAfterTimeLimit: 4000 },
    );
  });

  it('agrees on isPattern too', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          dotted,
          dotted.map((d) => `${d}.*`),
        ),
        (name) => {
          assert.equal(clientNames.isPattern(name), serverNames.isPattern(name), name);
        },
      ),
      { numRuns: 1000, interruptAfterTimeLimit: 2000 },
    );
  });
});
