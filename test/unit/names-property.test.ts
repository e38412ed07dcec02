import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  hasControlCharacter,
  patternsCover,
  quoteName,
  someDotPrefix,
  subscriptionNameProblem,
} from '../../src/protocol/names.js';

/** Bounded runs: every property stops after its count or its time, whichever comes first. */
function run<T>(property: fc.IPropertyWithHooks<T>, numRuns: number, ms = 4000): void {
  fc.assert(property, { numRuns, interruptAfterTimeLimit: ms });
}

// The spec, written independently of names.ts: a non-empty string of at most maxLength
// UTF-16 units, no C0, DEL or C1 character, and either no `*` at all, `*` alone, or a
// prefix free of `*` followed by `.*`.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const SHAPE = /^(?:[^*]+|\*|[^*]+\.\*)$/s;

function valid(name: unknown, maxLength: number): boolean {
  return (
    typeof name === 'string' &&
    name.length >= 1 &&
    name.length <= maxLength &&
    !CONTROL.test(name) &&
    SHAPE.test(name)
  );
}

/** Characters that matter to the rules, plus some that do not. */
const unit = fc.constantFrom(
  'a',
  'b',
  '.',
  '*',
  ' ',
  'é',
  '日',
  '\n',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u00a0',
  '\ud800',
  '\udfff',
);
const name = fc.oneof(
  fc.string({ unit, maxLength: 30 }),
  fc.string({ unit, maxLength: 20 }).map((s) => `${s}.*`),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('*', '.*', 'a.*', '**', 'a.**', '*.a', 'room.42', ''),
);

describe('subscriptionNameProblem: properties', () => {
  it('never throws and accepts exactly the valid names', () => {
    run(
      fc.property(name, fc.integer({ min: 1, max: 40 }), (n, maxLength) => {
        const problem = subscriptionNameProblem(n, maxLength);
        assert.equal(
          problem === undefined,
          valid(n, maxLength),
          `${JSON.stringify(n)}: ${problem}`,
        );
        if (problem !== undefined) {
          assert.equal(typeof problem, 'string');
          assert.equal(hasControlCharacter(problem), false, problem);
        }
      }),
      3000,
    );
  });

  it('never throws on values that are not strings, and refuses them', () => {
    run(
      fc.property(fc.anything({ withBigInt: true, withMap: true }), (value) => {
        if (typeof value === 'string') return;
        const problem = subscriptionNameProblem(value, 200);
        assert.equal(typeof problem, 'string');
        assert.match(problem!, /must be a string/);
      }),
      1000,
    );
  });

  it('never quotes more than 40 characters of a long name', () => {
    run(
      fc.property(
        fc.string({ unit, minLength: 41, maxLength: 2000 }),
        fc.integer({ min: 1, max: 3000 }),
        (n, maxLength) => {
          const problem = subscriptionNameProblem(n, maxLength);
          if (problem === undefined) return;
          // The quoted part, unescaped, is a prefix of the name of at most 40 characters.
          assert.ok(problem.length < 40 * 6 + 80, problem);
          assert.equal(problem.includes(n), false);
        },
      ),
      1000,
    );
  });
});

describe('subscriptionNameProblem: rules, in order', () => {
  it('accepts exact names, * and prefix.* patterns within the length', () => {
    for (const n of ['chat', '*', 'room.*', 'a.b.*', 'carom.x', 'é.*', 'x'.repeat(200)]) {
      assert.equal(subscriptionNameProblem(n, 200), undefined, n);
    }
  });

  it('refuses a value that is not a string without showing it', () => {
    const big = { a: 'x'.repeat(10_000) };
    for (const [value, kind] of [
      [5, 'a number'],
      [null, 'null'],
      [undefined, 'undefined'],
      [['chat'], 'an array'],
      [big, 'an object'],
      [true, 'a boolean'],
    ] as const) {
      const problem = subscriptionNameProblem(value, 200)!;
      assert.equal(problem, `a name must be a string, not ${kind}`);
    }
  });

  it('refuses an empty name', () => {
    assert.equal(subscriptionNameProblem('', 200), 'a name must not be empty');
  });

  it('checks the length before anything else walks the name, and quotes 40 characters', () => {
    // Too long, with control characters and a bad pattern: the length is what is reported.
    const long = `${'.'.repeat(1_000_000)}\n*x`;
    const problem = subscriptionNameProblem(long, 200)!;
    assert.equal(problem, `"${'.'.repeat(40)}…" is longer than 200 characters`);
    assert.equal(subscriptionNameProblem('x'.repeat(200), 200), undefined);
  });

  it('refuses control characters before looking at the shape, escaping them in the reason', () => {
    for (const c of ['\u0000', '\n', '\u001b', '\u007f', '\u0085', '\u009f']) {
      const problem = subscriptionNameProblem(`a${c}*`, 200)!;
      assert.match(problem, /control character/);
      assert.equal(hasControlCharacter(problem), false);
    }
    assert.equal(subscriptionNameProblem('a\u00a0b', 200), undefined);
  });

  it('then checks the shape of a pattern', () => {
    for (const n of ['a*', '*.x', 'a.*.b', '.*', '**', 'a.**']) {
      assert.match(subscriptionNameProblem(n, 200)!, /may only stand alone/, n);
    }
  });
});

describe('quoteName', () => {
  it('keeps short names, cuts long ones to 40 characters and never splits a surrogate pair', () => {
    assert.equal(quoteName('chat'), 'chat');
    assert.equal(quoteName('x'.repeat(41)), `${'x'.repeat(40)}…`);
    const pairs = `${'x'.repeat(39)}😀😀`;
    assert.equal(quoteName(pairs), `${'x'.repeat(39)}…`);
    assert.equal(quoteName('a\nb\u0085'), 'a\\u000ab\\u0085');
  });
});

// The spec of coverage, written without the dot walk: `*` covers everything, and
// `p.*` covers exactly the names that start with `p.`.
function coversBySpec(patterns: readonly string[], n: string): boolean {
  return patterns.some((p) => p === '*' || (p.endsWith('.*') && n.startsWith(p.slice(0, -1))));
}

const dotted = fc
  .array(fc.constantFrom('a', 'b', 'ab', '', '*', 'é'), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join('.'));

describe('patternsCover and someDotPrefix: properties', () => {
  it('patternsCover agrees with the spec on names and patterns built from dots', () => {
    run(
      fc.property(
        fc.array(
          dotted.map((d) => `${d}.*`),
          { maxLength: 6 },
        ),
        fc.boolean(),
        dotted,
        (patterns, withAll, n) => {
          const held = withAll ? [...patterns, '*'] : patterns;
          assert.equal(patternsCover(new Set(held), n), coversBySpec(held, n), `${held} / ${n}`);
        },
      ),
      3000,
    );
  });

  it('someDotPrefix visits every prefix ending in a dot, shortest first, and stops on true', () => {
    run(
      fc.property(dotted, fc.nat({ max: 6 }), (n, stopAt) => {
        const expected: string[] = [];
        for (let i = 0; i < n.length; i++) if (n[i] === '.') expected.push(n.slice(0, i + 1));
        const seen: string[] = [];
        const stopped = someDotPrefix(
          n,
          (prefix, out: string[]) => out.push(prefix) > stopAt,
          seen,
        );
        assert.equal(stopped, expected.length > stopAt);
        assert.deepEqual(seen, expected.slice(0, stopAt + 1));
      }),
      2000,
    );
  });

  it('patternsCover is false for no patterns at all, and true for * whatever the name', () => {
    assert.equal(patternsCover(undefined, 'a.b'), false);
    assert.equal(patternsCover(new Set(), 'a.b'), false);
    assert.equal(patternsCover(new Set(['*']), ''), true);
    assert.equal(patternsCover(new Set(['a.*']), 'a'), false);
    assert.equal(patternsCover(new Set(['a.*']), 'a.b.*'), true);
  });
});
