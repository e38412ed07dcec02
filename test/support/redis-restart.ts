/**
 * The Redis-restart scenario of carom/redis presence, for one server and for
 * a cluster alike: a node's entries, and one joined while Redis was down, are
 * written again once Redis is back with nothing in it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import 'reflect-metadata';
import { createLogger } from '../../src/index.js';
import { redisBroker, type RedisBrokerOptions } from '../../src/redis/index.js';
import { createTestApp } from '../../src/testing/index.js';
import { eventually } from './wait.js';

/** Redis as the scenario handles it: a server or a whole cluster, killed and started again empty. */
export interface Restartable {
  stop(): Promise<void>;
  restart(): Promise<void>;
}

interface Entry {
  connectionId: string;
  node: string;
  user: unknown;
}

const byId = (entries: Entry[]) =>
  [...entries].sort((x, y) => x.connectionId.localeCompare(y.connectionId));

/**
 * Runs the scenario with a broker that reaches Redis through `reach` (`url`
 * or `cluster`); `redis` is what the scenario stops and restarts.
 */
export async function presenceRewrittenAfterRestart(
  redis: Restartable,
  reach: Pick<RedisBrokerOptions, 'url' | 'cluster'>,
): Promise<void> {
  const broker = redisBroker({
    ...reach,
    nodeId: 'solo',
    prefix: `r${randomBytes(4).toString('hex')}`,
    presenceTtlMs: 3000,
    logger: createLogger('fatal'),
  });
  const t = await createTestApp({
    topics: ['room.*'],
    presence: ['room.*'],
    heartbeatMs: 0,
    logLevel: 'fatal',
    broker,
  });
  try {
    const alice = await t.connect({ user: { name: 'alice' } });
    await alice.subscribe('room.lobby');
    const mine = [{ connectionId: alice.connection!.id, node: 'solo', user: { name: 'alice' } }];
    assert.deepEqual(await t.app.presence('room.lobby'), mine);
    await redis.stop();
    await assert.rejects(t.app.presence('room.lobby'), 'no answer without Redis');
    // A join Redis cannot take: counted, kept, and written once Redis is back.
    const bob = await t.connect({ user: { name: 'bob' } });
    await bob.subscribe('room.lobby');
    await eventually(() => broker.stats().presenceFailures > 0, 'the failed write is counted');
    mine.push({ connectionId: bob.connection!.id, node: 'solo', user: { name: 'bob' } });
    await redis.restart();
    let seen: unknown = [];
    // Bounded: rewritten at the reconnection or the next heartbeat (1 s); 10 s at most.
    for (let i = 0; i < 100; i++) {
      seen = await t.app.presence('room.lobby').catch(() => []);
      if (Array.isArray(seen) && seen.length === mine.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(byId(seen as Entry[]), byId(mine));
  } finally {
    await t.close();
  }
}
