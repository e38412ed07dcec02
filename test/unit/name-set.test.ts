import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { NameSet } from '../../src/core/name-set.js';

describe('NameSet', () => {
  it('holds what a Set holds, in the same order, through any adds and deletes', () => {
    const op = fc.record({ add: fc.boolean(), name: fc.constantFrom('a', 'b', 'c', 'd', '') });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const names = new NameSet();
        const set = new Set<string>();
        for (const { add, name } of ops) {
          if (add) {
            assert.equal(names.add(name), names);
            set.add(name);
          } else {
            assert.equal(names.delete(name), set.delete(name));
          }
          assert.deepEqual([...names], [...set]);
          assert.equal(names.size, set.size);
          for (const n of ['a', 'b', 'c', 'd', '', 'x']) assert.equal(names.has(n), set.has(n));
        }
      }),
    );
  });

  it('keeps insertion order when its oldest name goes', () => {
    const names = new NameSet().add('a').add('b').add('c');
    assert.equal(names.delete('a'), true);
    names.add('d').add('a');
    assert.deepEqual([...names], ['b', 'c', 'd', 'a']);
    assert.equal(names.delete('zz'), false);
    for (const n of ['b', 'c', 'd', 'a']) names.delete(n);
    assert.equal(names.size, 0);
    assert.deepEqual([...names], []);
  });
});
