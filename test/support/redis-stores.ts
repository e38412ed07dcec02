/**
 * The history and once contracts' sets over Redis: each store is the
 * `history` or `once` of a started `redisBroker` of its own (one node each),
 * under a prefix fresh per set, so that no test sees another's keys.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { BrokerNode } from '../../src/core/broker.js';
import { createLogger } from '../../src/index.js';
import { redisBroker, type RedisBroker, type RedisBrokerOptions } from '../../src/redis/index.js';
import {
  HISTORY_TOPICS,
  historyTopicOf,
  type HistorySet,
  type Recorder,
} from './history-contract.js';
import type { OnceSet } from './once-contract.js';

const run = promisify(execFile);

/** How the stores reach Redis (`url` or `cluster`), and the ports of its masters, for `FLUSHALL`. */
export interface RedisReach {
  readonly options: Pick<RedisBrokerOptions, 'url' | 'cluster'>;
  readonly ports: readonly number[];
}

/** Empties every master: Redis as after a restart with nothing saved. */
export async function flushAll(ports: readonly number[]): Promise<void> {
  for (const port of ports) await run('redis-cli', ['-p', String(port), 'FLUSHALL']);
}

/** The node a store's broker is started with: the contract's topics, and its recorder. */
export function nodeFor(recorder: Recorder | undefined): BrokerNode & Recorder {
  const node = {
    deliver: () => 0,
    command: () => false,
    channelCreated: () => undefined,
    channelDeleted: () => undefined,
    topicOf: historyTopicOf,
    topics: () => [...HISTORY_TOPICS],
    channels: () => [],
  };
  return Object.assign(recorder ?? { deliverRecorded: () => 0 }, node) as unknown as BrokerNode &
    Recorder;
}

function brokers(reach: RedisReach) {
  const prefix = `h${randomBytes(4).toString('hex')}`;
  const started: RedisBroker[] = [];
  return {
    async start(nodeId: string, recorder: Recorder | undefined): Promise<RedisBroker> {
      const broker = redisBroker({
        ...reach.options,
        nodeId,
        prefix,
        logger: createLogger('fatal'),
      });
      started.push(broker);
      await broker.start(nodeFor(recorder));
      return broker;
    },
    async close(): Promise<void> {
      await Promise.all(started.map((b) => b.close()));
    },
  };
}

/** A {@link HistorySet} of Redis histories. */
export function redisHistories(reach: RedisReach): () => Promise<HistorySet> {
  return () => {
    const set = brokers(reach);
    return Promise.resolve({
      store: async (node: Recorder, nodeId: string) => (await set.start(nodeId, node)).history,
      lose: () => flushAll(reach.ports),
      close: () => set.close(),
    });
  };
}

/** A {@link OnceSet} of Redis once stores. */
export function redisOnces(reach: RedisReach): () => Promise<OnceSet> {
  return () => {
    const set = brokers(reach);
    return Promise.resolve({
      store: async (nodeId: string) => (await set.start(nodeId, undefined)).once,
      close: () => set.close(),
    });
  };
}
