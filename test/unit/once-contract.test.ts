/**
 * The once store's contract (test/support/once-contract.ts, shared with the
 * Redis store's tests) run against the memory store: alone, as `LocalBroker`
 * holds it, and shared by several nodes in one process, as `BrokerHub` holds it.
 */
import { MemoryOnceStore } from '../../src/core/memory-once.js';
import { LocalBroker } from '../../src/core/broker.js';
import { onceContract } from '../support/once-contract.js';

onceContract(
  'memory, one store per node',
  () => {
    const broker = new LocalBroker();
    return Promise.resolve({
      store: () => Promise.resolve(broker.once),
      close: () => Promise.resolve(),
    });
  },
  { shared: false },
);

onceContract(
  'memory, one store shared by the nodes of a process',
  () => {
    const shared = new MemoryOnceStore();
    return Promise.resolve({
      store: () => Promise.resolve(shared),
      close: () => Promise.resolve(),
    });
  },
  { shared: true },
);
