/**
 * The broker contract (test/support/broker-contract.ts) against the Redis
 * broker, with its presence and lease parts: apps of one process, each with its own `redisBroker`, over one real
 * redis-server; each test gets a fresh prefix, so no test hears another's.
 */
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { createLogger } from '../../src/index.js';
import { redisBroker } from '../../src/redis/index.js';
import {
  brokerContract,
  leaseContract,
  presenceContract,
  type NodeSet,
} from '../support/broker-contract.js';
import { RedisServer } from '../support/redis-server.js';

let redis: RedisServer;

before(async () => {
  redis = await RedisServer.start();
});

after(async () => {
  await redis?.end();
});

function nodes(): Promise<NodeSet> {
  const prefix = `c${randomBytes(4).toString('hex')}`;
  return Promise.resolve({
    broker: (nodeId: string) =>
      redisBroker({ url: redis.url, nodeId, prefix, logger: createLogger('fatal') }),
    close: () => Promise.resolve(),
  });
}

brokerContract('redisBroker on one redis-server', nodes);
presenceContract('redisBroker on one redis-server', nodes);
leaseContract('redisBroker on one redis-server', nodes);
