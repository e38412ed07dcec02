/**
 * The once store's contract (src/core/once.ts): what every `OnceStore` must do
 * for a request retried after a reconnect to be handled once. `onceContract`
 * runs it against a way of making stores: the memory one (one node) and the
 * Redis one (several nodes sharing keys) both pass it.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { FirstAnswer, OnceStore } from '../../src/core/once.js';

/** Stores of one kind, made on demand; `close` ends all of them. */
export interface OnceSet {
  /** A store for one more node; stores of a shared set share their keys. */
  store(nodeId: string): Promise<OnceStore>;
  /** Ends every store and whatever the set started for them. */
  close(): Promise<void>;
}

const WINDOW = 60_000;
const ACK: FirstAnswer = { kind: 'ack', json: '{"ok":true,"n":1}' };
const KEY = 'k-0123456789abcdef';

function keyOf(n: number): string {
  return `k-${String(n).padStart(16, '0')}`;
}

/**
 * Runs the contract against `make`, which prepares a fresh set of stores for
 * each test. `shared`: the set's stores share keys (the two-node part runs).
 */
export function onceContract(
  name: string,
  make: () => Promise<OnceSet>,
  { shared }: { shared: boolean },
): void {
  describe(`once contract: ${name}`, () => {
    let set: OnceSet;

    beforeEach(async () => {
      set = await make();
    });

    afterEach(async () => {
      await set.close();
    });

    /** What `claim` finds once a fire-and-forget settle or release has landed. */
    async function claimed(store: OnceStore, identity: string, key: string, state: string) {
      let found = await store.claim(identity, key, WINDOW);
      for (let i = 0; i < 100 && found.state !== state; i++) {
        await new Promise((r) => setTimeout(r, 10));
        found = await store.claim(identity, key, WINDOW);
      }
      return found;
    }

    it('hands a key out first once, then says it is pending, then gives its first answer', async () => {
      const store = await set.store('a');
      assert.deepEqual(await store.claim('alice', KEY, WINDOW), { state: 'first' });
      assert.deepEqual(await store.claim('alice', KEY, WINDOW), { state: 'pending' });
      store.settle('alice', KEY, ACK, WINDOW);
      assert.deepEqual(await claimed(store, 'alice', KEY, 'answered'), {
        state: 'answered',
        answer: ACK,
      });
      // A second settle (it cannot happen in the core, but a store must not take it) changes nothing.
      assert.deepEqual(await store.claim('alice', KEY, WINDOW), { state: 'answered', answer: ACK });
    });

    it('keeps an error answer as an error, its JSON as it was', async () => {
      const store = await set.store('a');
      const error: FirstAnswer = {
        kind: 'error',
        json: JSON.stringify({ code: 'NOT_FOUND', message: 'é 🎉 "q" \\ \n' }),
      };
      assert.equal((await store.claim('alice', KEY, WINDOW)).state, 'first');
      store.settle('alice', KEY, error, WINDOW);
      assert.deepEqual(await claimed(store, 'alice', KEY, 'answered'), {
        state: 'answered',
        answer: error,
      });
    });

    it('lets a released key be handled again, and ignores a release after the answer', async () => {
      const store = await set.store('a');
      assert.equal((await store.claim('alice', KEY, WINDOW)).state, 'first');
      store.release('alice', KEY);
      assert.equal((await claimed(store, 'alice', KEY, 'first')).state, 'first');
      store.settle('alice', KEY, ACK, WINDOW);
      await claimed(store, 'alice', KEY, 'answered');
      store.release('alice', KEY);
      // The release was sent before this claim, on the same connection or in the same process.
      assert.deepEqual(await store.claim('alice', KEY, WINDOW), { state: 'answered', answer: ACK });
    });

    it('keeps identities apart, whatever they hold', async () => {
      const store = await set.store('a');
      const identities = ['alice', 'bob', '', '}', '{x}', 'a:b:c', 'é 🎉', '{alice}'];
      for (const identity of identities) {
        assert.equal((await store.claim(identity, KEY, WINDOW)).state, 'first', identity);
      }
      store.settle('alice', KEY, ACK, WINDOW);
      await claimed(store, 'alice', KEY, 'answered');
      for (const identity of identities.slice(1)) {
        assert.equal((await store.claim(identity, KEY, WINDOW)).state, 'pending', identity);
      }
    });

    it('forgets a key once its window has passed', async () => {
      const store = await set.store('a');
      assert.equal((await store.claim('alice', KEY, 300)).state, 'first');
      store.settle('alice', KEY, ACK, 300);
      await claimed(store, 'alice', KEY, 'answered');
      await new Promise((r) => setTimeout(r, 450));
      assert.equal((await store.claim('alice', KEY, 300)).state, 'first');
    });

    it('keeps at most maxKeys keys per identity, forgetting the oldest', async () => {
      const store = await set.store('a');
      for (let n = 1; n <= 5; n++) {
        assert.equal((await store.claim('alice', keyOf(n), WINDOW, 3)).state, 'first');
        store.settle('alice', keyOf(n), ACK, WINDOW);
      }
      assert.equal((await store.claim('bob', keyOf(1), WINDOW, 3)).state, 'first', 'bob’s own');
      await claimed(store, 'alice', keyOf(5), 'answered');
      assert.equal((await store.claim('alice', keyOf(3), WINDOW, 3)).state, 'answered');
      assert.equal((await store.claim('alice', keyOf(1), WINDOW, 3)).state, 'first', 'forgotten');
    });

    if (!shared) return;

    it('recognises on one node a key claimed on another', async () => {
      const a = await set.store('a');
      const b = await set.store('b');
      assert.equal((await a.claim('alice', KEY, WINDOW)).state, 'first');
      assert.equal((await b.claim('alice', KEY, WINDOW)).state, 'pending');
      a.settle('alice', KEY, ACK, WINDOW);
      assert.deepEqual(await claimed(b, 'alice', KEY, 'answered'), {
        state: 'answered',
        answer: ACK,
      });
    });

    it('hands a key claimed on two nodes at once out first to one of them', async () => {
      const a = await set.store('a');
      const b = await set.store('b');
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).claim('bob', KEY, WINDOW)),
      );
      assert.equal(claims.filter((c) => c.state === 'first').length, 1);
      assert.equal(claims.filter((c) => c.state === 'pending').length, 19);
    });
  });
}
