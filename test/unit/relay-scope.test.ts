/**
 * The scope of a publish as carom/redis carries it between nodes: what one
 * node encodes another reads back exactly, and whatever else arrives on the
 * prefix's channels (another program, a corrupted message) is refused, never
 * thrown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeMessage,
  decodeScope,
  encodeMessage,
  encodeScope,
  Kind,
} from '../../src/redis/message.js';

const name = fc.string({ minLength: 1, maxLength: 40 });

describe('a scoped publish between nodes', () => {
  it('reads back what was encoded, inside a whole message (property)', () => {
    fc.assert(
      fc.property(
        name,
        fc.option(name, { nil: undefined }),
        fc.option(fc.array(name, { minLength: 1, maxLength: 6 }), { nil: undefined }),
        fc.string(),
        (event, except, topics, frame) => {
          const text = encodeMessage(Kind.SCOPED, 'n1', encodeScope(event, except, topics), frame);
          const message = decodeMessage(text);
          assert.ok(message !== undefined);
          assert.equal(message.kind, Kind.SCOPED);
          assert.equal(message.body, frame);
          assert.deepEqual(decodeScope(message.subject), { event, except, topics });
        },
      ),
    );
  });

  it('refuses any other subject without throwing (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (subject) => {
          const scope = decodeScope(subject);
          if (scope === undefined) return true;
          const parts = JSON.parse(subject) as string[];
          return (
            Array.isArray(parts) &&
            parts.length >= 2 &&
            scope.event === parts[0] &&
            scope.event !== ''
          );
        },
      ),
      { numRuns: 2000 },
    );
    for (const bad of ['', '[', '[]', '["a"]', '[1,2]', '["","x"]', '{"a":1}', '["a",null]']) {
      assert.equal(decodeScope(bad), undefined, bad);
    }
  });
});
