/**
 * The `resume` / `recent` parser of a `subscribe`, fed by hostile clients: any
 * input is either accepted, with what it accepted checked against the rules
 * written out here, or refused with `BAD_ENVELOPE`; it never throws anything else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CaromError } from '../../src/core/errors.js';
import { readRecoveryAsk, type RecoveryAsk } from '../../src/core/recovery-request.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const LIMITS = { maxLength: 20, maxSubscriptions: 5 };

/** Bounded runs: every property stops after its count or its time, whichever comes first. */
function run<T>(property: fc.IPropertyWithHooks<T>, numRuns: number, ms = 4000): void {
  fc.assert(property, { numRuns, interruptAfterTimeLimit: ms });
}

type Outcome = { kind: 'ok'; ask: RecoveryAsk | undefined } | { kind: 'refused' };

/** Reads, and fails the property on any throw but a `BAD_ENVELOPE` CaromError. */
function read(data: unknown, carom = true, withId = true): Outcome {
  try {
    return { kind: 'ok', ask: readRecoveryAsk(data, carom, withId, LIMITS) };
  } catch (err) {
    assert.ok(err instanceof CaromError, `threw ${String(err)}`);
    assert.equal(err.code, ErrorCode.BAD_ENVELOPE);
    return { kind: 'refused' };
  }
}

// --- The rules, written from the protocol page, independent of the parser. ---

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u; // eslint-disable-line no-control-regex

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function goodName(name: string): boolean {
  if (name.length === 0 || name.length > LIMITS.maxLength || CONTROL.test(name)) return false;
  // Exact names only: no pattern, and `*` nowhere.
  return !name.includes('*');
}

function goodPosition(v: unknown): boolean {
  if (!isRecord(v)) return false;
  const { epoch, offset } = v;
  return (
    typeof epoch === 'string' &&
    epoch.length >= 1 &&
    epoch.length <= 64 &&
    Number.isSafeInteger(offset) &&
    (offset as number) >= 0
  );
}

/** Whether the rules accept `data`, and what a parser must then return. */
function oracle(data: unknown): 'none' | 'refused' | 'ok' {
  if (!isRecord(data)) return 'none';
  const { resume, recent } = data;
  if (resume === undefined && recent === undefined) return 'none';
  if (recent !== undefined) {
    if (!Number.isInteger(recent) || (recent as number) < 0 || (recent as number) > 100_000) {
      return 'refused';
    }
  }
  if (resume !== undefined) {
    if (!isRecord(resume)) return 'refused';
    const names = Object.keys(resume);
    if (names.length > LIMITS.maxSubscriptions) return 'refused';
    for (const name of names) if (!goodName(name) || !goodPosition(resume[name])) return 'refused';
  }
  return 'ok';
}

const epoch = fc.oneof(
  fc.string({ minLength: 0, maxLength: 70 }),
  fc.constantFrom('e', '', 'e'.repeat(64), 'e'.repeat(65)),
);
const offset = fc.oneof(
  fc.integer({ min: -3, max: 1_000_000 }),
  fc.integer({ min: 0, max: 10 }),
  fc.constantFrom(2 ** 53, -0, 1.5, Number.NaN, Infinity),
  fc.string(),
);
const position = fc.oneof(
  { arbitrary: fc.record({ epoch, offset }), weight: 6 },
  { arbitrary: fc.record({ epoch }, { requiredKeys: [] }), weight: 1 },
  { arbitrary: fc.anything(), weight: 1 },
);
const name = fc.oneof(
  fc.constantFrom('chat', 'room.a', 'room.*', '*', 'a..b', '.a', 'a.', 'x'.repeat(21), 'a\u0001'),
  fc.string({ maxLength: 22 }),
);
const resume = fc.oneof(
  { arbitrary: fc.dictionary(name, position, { maxKeys: 7 }), weight: 4 },
  { arbitrary: fc.anything(), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);
const recent = fc.oneof(
  fc.integer({ min: -2, max: 100_002 }),
  fc.constantFrom(undefined, 1.5, '3', null, 100_000, 0),
);
const data = fc.oneof(
  fc.record({ events: fc.constant(['chat']), resume, recent }, { requiredKeys: ['events'] }),
  fc.anything(),
);

describe('readRecoveryAsk', () => {
  it('accepts exactly what the rules accept, and refuses the rest with BAD_ENVELOPE', () => {
    run(
      fc.property(data, (d) => {
        const outcome = read(d);
        const expected = oracle(d);
        if (expected === 'refused') {
          assert.equal(outcome.kind, 'refused', JSON.stringify(d));
          return;
        }
        assert.equal(outcome.kind, 'ok', JSON.stringify(d));
        const ask = (outcome as { ask: RecoveryAsk | undefined }).ask;
        if (expected === 'none') {
          assert.equal(ask, undefined);
          return;
        }
        const given = (d as { resume?: Record<string, { epoch: string; offset: number }> }).resume;
        assert.deepEqual(
          [...ask!.resume].map(([n, p]) => [n, p.epoch, p.offset]),
          Object.entries(given ?? {}).map(([n, p]) => [n, p.epoch, p.offset]),
        );
        assert.equal(ask!.recent, (d as { recent?: number }).recent);
      }),
      600,
    );
  });

  it('refuses anything that asks, from a plain client or without an id', () => {
    run(
      fc.property(data, fc.boolean(), fc.boolean(), (d, carom, withId) => {
        fc.pre(!(carom && withId));
        const asks = oracle(d) !== 'none';
        assert.equal(read(d, carom, withId).kind, asks ? 'refused' : 'ok');
      }),
      300,
    );
  });

  it('holds its bounds at their edges', () => {
    const one = (epoch: string, offset: number) => ({ resume: { chat: { epoch, offset } } });
    assert.equal(read(one('e'.repeat(64), 0)).kind, 'ok');
    assert.equal(read(one('e'.repeat(65), 0)).kind, 'refused');
    assert.equal(read(one('e', Number.MAX_SAFE_INTEGER)).kind, 'ok');
    assert.equal(read(one('e', Number.MAX_SAFE_INTEGER + 1)).kind, 'refused');
    const five = Object.fromEntries(
      [1, 2, 3, 4, 5].map((i) => [`e${i}`, { epoch: 'e', offset: i }]),
    );
    assert.equal(read({ resume: five }).kind, 'ok');
    assert.equal(read({ resume: { ...five, e6: { epoch: 'e', offset: 6 } } }).kind, 'refused');
    assert.equal(read({ recent: 100_000 }).kind, 'ok');
    assert.equal(read({ recent: 100_001 }).kind, 'refused');
  });

  it('returns positions of the parsed object, not of its prototype', () => {
    const parsed = JSON.parse('{"resume":{"toString":{"epoch":"e","offset":2}}}') as unknown;
    const outcome = read(parsed);
    assert.equal(outcome.kind, 'ok');
    const ask = (outcome as { ask: RecoveryAsk }).ask;
    assert.deepEqual([...ask.resume], [['toString', { epoch: 'e', offset: 2 }]]);
    assert.equal(read({ resume: Object.create({ chat: { epoch: 'e', offset: 1 } }) }).kind, 'ok');
  });
});
