/**
 * The once store contract (test/support/once-contract.ts) against the memory
 * store of a lone node: each store is a new `MemoryOnceStore`.
 */
import { MemoryOnceStore } from '../../src/core/memory-once.js';
import { onceContract } from '../support/once-contract.js';

onceContract(
  'MemoryOnceStore',
  () =>
    Promise.resolve({
      store: () => Promise.resolve(new MemoryOnceStore()),
      close: () => Promise.resolve(),
    }),
  { shared: false },
);
