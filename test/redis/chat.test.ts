/**
 * The chat example on two nodes over real Redis: the same scenarios as over
 * the in-memory hub (test/support/chat-two-nodes.ts), each node an app with
 * its own `redisBroker` on one redis-server, each test under a fresh prefix.
 */
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { createLogger } from '../../src/index.js';
import { redisBroker } from '../../src/redis/index.js';
import type { TestApp } from '../../src/testing/index.js';
import { chatOnTwoNodes, type NodeSet } from '../support/chat-two-nodes.js';
import { settle as settleRelays } from '../support/broker-contract.js';
import { RedisServer } from '../support/redis-server.js';

let redis: RedisServer;

before(async () => {
  redis = await RedisServer.start();
});

after(async () => {
  await redis?.end();
});

/**
 * Waits until what each node sent has arrived. A presence read goes through the
 * same connection as the node's presence and lease writes, so once it answers
 * Redis holds every write made before it; relayed publishes are then awaited
 * until the nodes' received counts stop moving.
 */
async function settled(apps: readonly TestApp[]): Promise<void> {
  for (const t of apps) {
    await t.app.presence('room.settle').catch(() => undefined);
  }
  await settleRelays(apps);
}

chatOnTwoNodes('redisBroker on one redis-server', () => {
  const prefix = `chat${randomBytes(4).toString('hex')}`;
  const set: NodeSet = {
    broker: (nodeId: string) =>
      redisBroker({ url: redis.url, nodeId, prefix, logger: createLogger('fatal') }),
    settled,
    close: () => Promise.resolve(),
  };
  return Promise.resolve(set);
});
