import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subscriptions, type Subscriber } from '../../src/core/subscriptions.js';
import {
  CHANNEL_CREATED,
  CHANNEL_DELETED,
  isPattern,
  isReserved,
  patternPrefix,
  patternProblem,
} from '../../src/protocol/names.js';

interface Sub extends Subscriber {
  readonly id: string;
}

function sub(id: string): Sub {
  return { id, exact: new Set(), patterns: new Set(), excluded: new Set(), mark: 0 };
}

/** The names in one of a subscriber's sets, which the index drops when they empty. */
function names(set: Iterable<string> | undefined): string[] {
  return [...(set ?? [])];
}

/** Entries a subscriber holds: names, patterns and exclusions. */
function held(s: Subscriber): number {
  return (s.exact?.size ?? 0) + (s.patterns?.size ?? 0) + (s.excluded?.size ?? 0);
}

/** The ids of an event's recipients, sorted, after checking each appears once. */
function ids(index: Subscriptions<Sub>, event: string): string[] {
  const list = index.recipients(event).map((s) => s.id);
  assert.equal(
    new Set(list).size,
    list.length,
    `duplicate recipients for ${event}: ${list.join(',')}`,
  );
  assert.equal(index.hasRecipients(event), list.length > 0);
  return list.sort();
}

/** Reaches the private maps, to check nothing is left behind. */
interface Internals {
  byName: Map<string, Set<Sub>>;
  byPrefix: Map<string, Set<Sub>>;
  everything: Set<Sub>;
}

describe('Subscriptions: matching', () => {
  it('delivers an exact name to its subscribers only', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    const b = sub('b');
    index.add(a, 'chat');
    index.add(b, 'ping');
    assert.deepEqual(ids(index, 'chat'), ['a']);
    assert.deepEqual(ids(index, 'ping'), ['b']);
    assert.deepEqual(ids(index, 'other'), []);
    assert.deepEqual(ids(index, 'chat.x'), []);
    assert.deepEqual(ids(index, 'cha'), []);
  });

  it('counts a repeated subscription once', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, 'chat');
    index.add(a, 'chat');
    index.add(a, 'room.*');
    index.add(a, 'room.*');
    index.add(a, '*');
    index.add(a, '*');
    assert.deepEqual(index.counts(), { ...index.counts(), exact: 1, patterns: 2, exclusions: 0 });
    assert.deepEqual(names(a.exact), ['chat']);
    assert.deepEqual(names(a.patterns).sort(), ['*', 'room.*']);
  });

  it("'*' covers every event, including names never seen before", () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, '*');
    for (const event of ['chat', 'ping', 'room.1', 'a.b.c.d', 'x', 'never.declared.before']) {
      assert.deepEqual(ids(index, event), ['a'], event);
    }
  });

  it("'room.*' covers names starting with 'room.' and nothing else", () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, 'room.*');
    for (const event of ['room.1', 'room.lobby', 'room.a.b']) {
      assert.deepEqual(ids(index, event), ['a'], event);
    }
    for (const event of ['room', 'rooms.1', 'xroom.1', 'roomy', 'other.room.1', 'chat']) {
      assert.deepEqual(ids(index, event), [], event);
    }
  });

  it("nested prefixes: 'a.*' covers 'a.b.c'; 'a.b.*' covers 'a.b.c' but not 'a.c' or 'a.b'", () => {
    const index = new Subscriptions<Sub>();
    const wide = sub('wide');
    const narrow = sub('narrow');
    index.add(wide, 'a.*');
    index.add(narrow, 'a.b.*');
    assert.deepEqual(ids(index, 'a.b.c'), ['narrow', 'wide']);
    assert.deepEqual(ids(index, 'a.b.c.d'), ['narrow', 'wide']);
    assert.deepEqual(ids(index, 'a.c'), ['wide']);
    assert.deepEqual(ids(index, 'a.b'), ['wide']);
    assert.deepEqual(ids(index, 'a.bc.d'), ['wide']);
    assert.deepEqual(ids(index, 'a'), []);
    assert.deepEqual(ids(index, 'b.a.b.c'), []);
  });

  it('lists a connection once when several of its subscriptions match', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    const b = sub('b');
    const c = sub('c');
    for (const name of ['a.b.c', 'a.*', 'a.b.*', '*']) index.add(a, name);
    index.add(b, 'a.b.c');
    index.add(b, 'a.*');
    index.add(c, 'x');
    assert.deepEqual(ids(index, 'a.b.c'), ['a', 'b']);
    assert.equal(index.recipients('a.b.c').length, 2);
    assert.deepEqual(ids(index, 'a.q'), ['a', 'b']);
    assert.deepEqual(ids(index, 'x'), ['a', 'c']);
    assert.deepEqual(ids(index, 'y'), ['a']);
  });

  it('keeps matching correct across many publishes (marks do not leak between events)', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    const b = sub('b');
    index.add(a, '*');
    index.add(a, 'chat');
    index.add(b, 'room.*');
    index.add(b, 'chat');
    for (let i = 0; i < 50; i++) {
      assert.deepEqual(ids(index, `e${i}`), ['a']);
      assert.deepEqual(ids(index, `room.${i}`), ['a', 'b']);
    }
    assert.deepEqual(ids(index, 'chat'), ['a', 'b']);
  });
});

describe('Subscriptions: exclusions', () => {
  it("'*' then removing 'ping' gives everything but ping", () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, '*');
    assert.deepEqual(ids(index, 'ping'), ['a']);
    index.remove(a, 'ping');
    assert.deepEqual(ids(index, 'ping'), []);
    assert.deepEqual(ids(index, 'chat'), ['a']);
    assert.deepEqual(ids(index, 'ping.x'), ['a']);
    assert.deepEqual(names(a.excluded), ['ping']);
    assert.deepEqual(index.counts(), { ...index.counts(), exact: 0, patterns: 1, exclusions: 1 });
  });

  it("re-adding 'ping' lifts the exclusion", () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, '*');
    index.remove(a, 'ping');
    index.add(a, 'ping');
    assert.deepEqual(ids(index, 'ping'), ['a']);
    assert.equal(names(a.excluded).length, 0);
    assert.equal(index.counts().exclusions, 0);
    // And removing it again excludes it again, once.
    index.remove(a, 'ping');
    index.remove(a, 'ping');
    assert.deepEqual(ids(index, 'ping'), []);
    assert.deepEqual(index.counts(), { ...index.counts(), exact: 0, patterns: 1, exclusions: 1 });
  });

  it('removing an exact subscription that a pattern also covers excludes the name', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, 'room.*');
    index.add(a, 'room.1');
    index.remove(a, 'room.1');
    assert.deepEqual(ids(index, 'room.1'), []);
    assert.deepEqual(ids(index, 'room.2'), ['a']);
    assert.deepEqual(index.counts(), { ...index.counts(), exact: 0, patterns: 1, exclusions: 1 });
  });

  it('an exclusion belongs to one connection', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    const b = sub('b');
    const c = sub('c');
    index.add(a, '*');
    index.add(b, '*');
    index.add(c, 'ping');
    index.remove(a, 'ping');
    assert.deepEqual(ids(index, 'ping'), ['b', 'c']);
    assert.deepEqual(ids(index, 'chat'), ['a', 'b']);
  });

  it('removing a name no pattern covers creates no exclusion', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, 'chat');
    index.add(a, 'room.*');
    index.remove(a, 'chat');
    index.remove(a, 'never');
    index.remove(a, 'roomx');
    assert.equal(names(a.excluded).length, 0);
    assert.deepEqual(index.counts(), { ...index.counts(), exact: 0, patterns: 1, exclusions: 0 });
    assert.deepEqual(ids(index, 'chat'), []);
  });

  it("removing '*' clears everything, exclusions included", () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, '*');
    index.add(a, 'room.*');
    index.add(a, 'chat');
    index.remove(a, 'ping');
    index.remove(a, 'room.1');
    index.remove(a, '*');
    assert.equal(held(a), 0);
    assert.deepEqual(index.counts(), { ...index.counts(), exact: 0, patterns: 0, exclusions: 0 });
    for (const event of ['ping', 'chat', 'room.1', 'room.2', 'x']) {
      assert.deepEqual(ids(index, event), [], event);
    }
    // A later '*' starts clean: the old exclusions are gone.
    index.add(a, '*');
    assert.deepEqual(ids(index, 'ping'), ['a']);
    assert.deepEqual(ids(index, 'room.1'), ['a']);
  });

  it('removing a prefix pattern drops the exclusions it alone covered', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, 'room.*');
    index.add(a, 'x.*');
    index.remove(a, 'room.1');
    index.remove(a, 'x.1');
    assert.equal(index.counts().exclusions, 2);
    index.remove(a, 'room.*');
    assert.deepEqual(names(a.excluded), ['x.1']);
    assert.equal(index.counts().exclusions, 1);
    assert.deepEqual(ids(index, 'room.2'), []);
    assert.deepEqual(ids(index, 'x.1'), []);
    assert.deepEqual(ids(index, 'x.2'), ['a']);
    // Subscribing the prefix again does not resurrect the dropped exclusion.
    index.add(a, 'room.*');
    assert.deepEqual(ids(index, 'room.1'), ['a']);
  });

  it('keeps an exclusion that another pattern still covers', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, 'a.*');
    index.add(a, 'a.b.*');
    index.remove(a, 'a.b.c');
    index.remove(a, 'a.b.*');
    assert.deepEqual(names(a.excluded), ['a.b.c']);
    assert.deepEqual(ids(index, 'a.b.c'), []);
    assert.deepEqual(ids(index, 'a.b.d'), ['a']);

    const b = sub('b');
    index.add(b, '*');
    index.add(b, 'p.*');
    index.remove(b, 'p.1');
    index.remove(b, 'p.*');
    assert.deepEqual(names(b.excluded), ['p.1']);
    assert.deepEqual(ids(index, 'p.1'), []);
    assert.equal(index.counts().exclusions, 2);
  });

  it('removing a pattern the connection does not hold changes nothing', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, 'room.*');
    index.remove(a, 'room.1');
    const before = index.counts();
    index.remove(a, 'other.*');
    index.remove(a, 'room.1.*');
    assert.deepEqual(index.counts(), before);
    assert.deepEqual(names(a.excluded), ['room.1']);
    assert.deepEqual(ids(index, 'room.1'), []);
  });
});

describe('Subscriptions: dropName', () => {
  it('removes an exact name from every connection and leaves the rest', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    const b = sub('b');
    const c = sub('c');
    index.add(a, 'room.1');
    index.add(a, 'chat');
    index.add(b, 'room.1');
    index.add(c, '*');
    assert.deepEqual(ids(index, 'room.1'), ['a', 'b', 'c']);
    const before = index.counts().exact;
    index.dropName('room.1');
    assert.equal(index.counts().exact, before - 2);
    assert.deepEqual(ids(index, 'room.1'), ['c']);
    assert.deepEqual(ids(index, 'chat'), ['a', 'c']);
    assert.deepEqual(names(a.exact), ['chat']);
    assert.equal(names(b.exact).length, 0);
    assert.ok(c.patterns?.has('*'));
  });

  it('ignores a name nobody holds', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, 'chat');
    const before = index.counts();
    index.dropName('nothing');
    assert.deepEqual(index.counts(), before);
    assert.deepEqual(ids(index, 'chat'), ['a']);
  });

  it('leaves the connection able to subscribe to the name again', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    index.add(a, 'room.1');
    index.dropName('room.1');
    index.add(a, 'room.1');
    assert.deepEqual(ids(index, 'room.1'), ['a']);
    assert.equal(index.counts().exact, 1);
    index.removeAll(a);
    assert.equal(index.counts().exact, 0);
  });
});

describe('Subscriptions: cached recipients stay correct', () => {
  it('after each kind of change, with the cache warm before every step', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    const b = sub('b');
    const events = ['chat', 'ping', 'room.1', 'room.2', 'a.b.c'];
    const warm = (): void => {
      for (const e of events) index.recipients(e);
    };
    const expect = (expected: Record<string, string[]>): void => {
      for (const e of events) assert.deepEqual(ids(index, e), expected[e] ?? [], e);
    };

    warm();
    index.add(a, 'chat');
    expect({ chat: ['a'] });
    index.add(b, 'chat');
    expect({ chat: ['a', 'b'] });
    index.add(a, 'room.*');
    expect({ chat: ['a', 'b'], 'room.1': ['a'], 'room.2': ['a'] });
    index.add(b, '*');
    expect({
      chat: ['a', 'b'],
      ping: ['b'],
      'room.1': ['a', 'b'],
      'room.2': ['a', 'b'],
      'a.b.c': ['b'],
    });
    index.remove(b, 'ping');
    expect({ chat: ['a', 'b'], 'room.1': ['a', 'b'], 'room.2': ['a', 'b'], 'a.b.c': ['b'] });
    index.remove(a, 'room.1');
    expect({ chat: ['a', 'b'], 'room.1': ['b'], 'room.2': ['a', 'b'], 'a.b.c': ['b'] });
    index.add(a, 'room.1');
    expect({ chat: ['a', 'b'], 'room.1': ['a', 'b'], 'room.2': ['a', 'b'], 'a.b.c': ['b'] });
    index.add(b, 'ping');
    expect({
      chat: ['a', 'b'],
      ping: ['b'],
      'room.1': ['a', 'b'],
      'room.2': ['a', 'b'],
      'a.b.c': ['b'],
    });
    index.remove(a, 'room.*');
    expect({
      chat: ['a', 'b'],
      ping: ['b'],
      'room.1': ['a', 'b'],
      'room.2': ['b'],
      'a.b.c': ['b'],
    });
    index.dropName('chat');
    expect({ chat: ['b'], ping: ['b'], 'room.1': ['a', 'b'], 'room.2': ['b'], 'a.b.c': ['b'] });
    index.remove(b, '*');
    expect({ 'room.1': ['a'] });
    index.add(b, 'a.*');
    expect({ 'room.1': ['a'], 'a.b.c': ['b'] });
    index.removeAll(a);
    expect({ 'a.b.c': ['b'] });
    index.removeAll(b);
    expect({});
  });

  it('after removeAll of a connection with only exact names', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    const b = sub('b');
    index.add(a, 'chat');
    index.add(a, 'ping');
    index.add(b, 'ping');
    assert.deepEqual(ids(index, 'chat'), ['a']);
    assert.deepEqual(ids(index, 'ping'), ['a', 'b']);
    index.removeAll(a);
    assert.deepEqual(ids(index, 'chat'), []);
    assert.deepEqual(ids(index, 'ping'), ['b']);
  });

  it('after removeAll of a connection with patterns and exclusions', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    const b = sub('b');
    index.add(a, '*');
    index.add(a, 'room.*');
    index.remove(a, 'ping');
    index.add(b, 'ping');
    assert.deepEqual(ids(index, 'chat'), ['a']);
    assert.deepEqual(ids(index, 'room.1'), ['a']);
    assert.deepEqual(ids(index, 'ping'), ['b']);
    index.removeAll(a);
    assert.deepEqual(ids(index, 'chat'), []);
    assert.deepEqual(ids(index, 'room.1'), []);
    assert.deepEqual(ids(index, 'ping'), ['b']);
    assert.deepEqual(index.counts(), { ...index.counts(), exact: 1, patterns: 0, exclusions: 0 });
  });

  it('does not change a list it returned earlier', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    const b = sub('b');
    index.add(a, 'chat');
    const before = index.recipients('chat');
    assert.equal(index.recipients('chat'), before, 'the cached list is reused');
    index.add(b, 'chat');
    index.add(b, '*');
    index.remove(a, 'chat');
    assert.deepEqual(
      before.map((s) => s.id),
      ['a'],
    );
    const earlier = index.recipients('nobody.here');
    assert.deepEqual(
      earlier.map((s) => s.id),
      ['b'],
    );
    index.add(a, 'nobody.*');
    assert.deepEqual(
      earlier.map((s) => s.id),
      ['b'],
    );
    assert.deepEqual(ids(index, 'nobody.here'), ['a', 'b']);
  });

  it('bounds the cache and stays correct when it overflows', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    const b = sub('b');
    index.add(a, 'n.*');
    index.add(b, 'n.7');
    for (let i = 0; i < 10_050; i++) index.recipients(`n.${i}`);
    assert.ok(index.counts().cachedEvents <= 10_000, `${index.counts().cachedEvents} cached`);
    assert.deepEqual(ids(index, 'n.7'), ['a', 'b']);
    assert.deepEqual(ids(index, 'n.10049'), ['a']);
    assert.deepEqual(ids(index, 'm.1'), []);
  });

  it('agrees with a simple model over a long sequence of random changes', () => {
    // Deterministic pseudo-random sequence (mulberry32), so a failure reproduces.
    let seed = 0x5eed;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

    const names = ['a', 'b', 'a.b', 'a.c', 'a.b.c', 'a.b.d', 'r.1', 'r.2', 'x.y.z'];
    const patterns = ['*', 'a.*', 'a.b.*', 'r.*', 'x.*', 'x.y.*'];
    const events = [...names, 'q', 'a.q', 'r.3', 'x.q'];

    interface Model {
      exact: Set<string>;
      patterns: Set<string>;
      excluded: Set<string>;
    }
    const covered = (m: Model, name: string): boolean =>
      [...m.patterns].some((p) => p === '*' || name.startsWith(p.slice(0, -1)));
    const subs = Array.from({ length: 6 }, (_, i) => sub(`s${i}`));
    const models = new Map<Sub, Model>(
      subs.map((s) => [s, { exact: new Set(), patterns: new Set(), excluded: new Set() }]),
    );
    const index = new Subscriptions<Sub>();

    for (let step = 0; step < 3000; step++) {
      const s = pick(subs);
      const m = models.get(s)!;
      const roll = random();
      let op: string;
      if (roll < 0.3) {
        const n = pick(names);
        op = `add ${n}`;
        index.add(s, n);
        m.excluded.delete(n);
        m.exact.add(n);
      } else if (roll < 0.45) {
        const p = pick(patterns);
        op = `add ${p}`;
        index.add(s, p);
        m.patterns.add(p);
      } else if (roll < 0.75) {
        const n = pick(names);
        op = `remove ${n}`;
        index.remove(s, n);
        m.exact.delete(n);
        if (covered(m, n)) m.excluded.add(n);
      } else if (roll < 0.9) {
        const p = pick(patterns);
        op = `remove ${p}`;
        index.remove(s, p);
        if (p === '*') {
          m.exact.clear();
          m.patterns.clear();
          m.excluded.clear();
        } else {
          m.patterns.delete(p);
          for (const ex of [...m.excluded]) if (!covered(m, ex)) m.excluded.delete(ex);
        }
      } else if (roll < 0.95) {
        op = 'removeAll';
        index.removeAll(s);
        m.exact.clear();
        m.patterns.clear();
        m.excluded.clear();
      } else {
        const n = pick(names);
        op = `dropName ${n}`;
        index.dropName(n);
        for (const other of models.values()) other.exact.delete(n);
      }
      const where = `step ${step}: ${s.id} ${op}`;
      for (const e of events) {
        const expected = subs
          .filter((x) => {
            const mx = models.get(x)!;
            return mx.exact.has(e) || (covered(mx, e) && !mx.excluded.has(e));
          })
          .map((x) => x.id)
          .sort();
        assert.deepEqual(ids(index, e), expected, `${where}, event ${e}`);
      }
      let exact = 0;
      let pats = 0;
      let exclusions = 0;
      for (const mx of models.values()) {
        exact += mx.exact.size;
        pats += mx.patterns.size;
        exclusions += mx.excluded.size;
      }
      const counts = index.counts();
      assert.deepEqual(
        { exact: counts.exact, patterns: counts.patterns, exclusions: counts.exclusions },
        { exact, patterns: pats, exclusions },
        where,
      );
    }
  });
});

describe('Subscriptions: counts', () => {
  it('return to zero after removeAll on many subscribers, leaving no index entries', () => {
    const index = new Subscriptions<Sub>();
    const subs = Array.from({ length: 300 }, (_, i) => sub(`s${i}`));
    subs.forEach((s, i) => {
      index.add(s, 'chat');
      index.add(s, `own.${i}`);
      if (i % 2 === 0) index.add(s, '*');
      if (i % 3 === 0) index.add(s, 'room.*');
      if (i % 5 === 0) index.add(s, `room.${i}.*`);
      if (i % 2 === 0) index.remove(s, 'ping');
      if (i % 3 === 0) index.remove(s, 'room.1');
    });
    for (const e of ['chat', 'ping', 'room.1', 'own.7', 'room.10.x']) index.recipients(e);
    const full = index.counts();
    assert.equal(full.exact, 600);
    assert.equal(full.patterns, 150 + 100 + 60);
    assert.equal(full.exclusions, 150 + 100);

    for (const s of subs) index.removeAll(s);
    const counts = index.counts();
    assert.deepEqual(
      { exact: counts.exact, patterns: counts.patterns, exclusions: counts.exclusions },
      { exact: 0, patterns: 0, exclusions: 0 },
    );
    for (const s of subs) assert.equal(held(s), 0);
    for (const e of ['chat', 'ping', 'room.1', 'own.7', 'room.10.x', 'anything']) {
      assert.deepEqual(ids(index, e), [], e);
    }
    const internals = index as unknown as Internals;
    assert.equal(internals.byName.size, 0, 'no empty exact-name sets left');
    assert.equal(internals.byPrefix.size, 0, 'no empty prefix sets left');
    assert.equal(internals.everything.size, 0);
  });

  it('removeAll twice, or on a connection that holds nothing, is harmless', () => {
    const index = new Subscriptions<Sub>();
    const a = sub('a');
    const b = sub('b');
    index.add(a, 'chat');
    index.add(a, '*');
    index.removeAll(a);
    index.removeAll(a);
    index.removeAll(b);
    index.remove(b, '*');
    index.remove(b, 'chat');
    assert.deepEqual(index.counts(), { ...index.counts(), exact: 0, patterns: 0, exclusions: 0 });
  });
});

describe('names: patternProblem, isPattern, isReserved', () => {
  it('accepts exact names, * and prefix.* patterns', () => {
    for (const name of ['*', 'a.*', 'room.*', 'a.b.*', 'chat', 'room.1', 'a.b.c', 'carom.x']) {
      assert.equal(patternProblem(name), undefined, name);
    }
  });

  it('refuses * anywhere else', () => {
    for (const name of [
      'a*',
      '*.x',
      'a.*.b',
      '.*',
      '**',
      '*a',
      'a.**',
      'a.b*',
      '*.*',
      'a*b',
      'a.*x',
    ]) {
      const problem = patternProblem(name);
      assert.equal(typeof problem, 'string', name);
      assert.ok(problem!.includes(name), `${name}: ${problem}`);
    }
  });

  it('isPattern is true for * and prefix.* only', () => {
    for (const name of ['*', 'a.*', 'a.b.*', 'room.*']) assert.equal(isPattern(name), true, name);
    for (const name of ['a', 'a*', '*.x', 'a.*.b', 'room.1', 'a.b', '']) {
      assert.equal(isPattern(name), false, name);
    }
  });

  it('patternPrefix gives what a pattern matches at the start of a name', () => {
    assert.equal(patternPrefix('*'), '');
    assert.equal(patternPrefix('room.*'), 'room.');
    assert.equal(patternPrefix('a.b.*'), 'a.b.');
  });

  it('isReserved covers the protocol events and the carom. prefix', () => {
    for (const name of [
      'subscribe',
      'unsubscribe',
      'ack',
      'error',
      'carom.x',
      'carom.',
      CHANNEL_CREATED,
      CHANNEL_DELETED,
    ]) {
      assert.equal(isReserved(name), true, name);
    }
    for (const name of [
      'chat',
      'ping',
      'carom',
      'caromx.y',
      'my.carom.x',
      'Subscribe',
      'ACK',
      'subscriber',
      'errors',
      'subscribe.x',
    ]) {
      assert.equal(isReserved(name), false, name);
    }
  });
});
