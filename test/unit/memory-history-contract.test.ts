/**
 * The history store contract (test/support/history-contract.ts) against the
 * memory history of a lone node: each store is a new `MemoryHistory`, so a
 * store made after `lose()` is a restarted node's.
 */
import { MemoryHistory } from '../../src/core/memory-history.js';
import { historyContract } from '../support/history-contract.js';

historyContract(
  'MemoryHistory',
  () =>
    Promise.resolve({
      store: (node) => {
        const history = new MemoryHistory();
        history.start(node);
        return Promise.resolve(history);
      },
      // Every store is a new one, with nothing of the stores before it.
      lose: () => Promise.resolve(),
      close: () => Promise.resolve(),
    }),
  { shared: false },
);
