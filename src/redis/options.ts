import { randomBytes } from 'node:crypto';
import type { RedisClusterOptions } from 'redis';
import { appError } from '../core/errors.js';
import type { CaromLogger } from '../core/logger.js';
import type { RedisClientConnection, RedisClusterConnection } from './client.js';

/** How {@link redisBroker} reaches Redis, and how it names this node. Give one of `url`, `client`, `cluster` or `clusterClient`. */
export interface RedisBrokerOptions {
  /** One Redis server, `redis://host:port`: the broker opens its two connections itself. */
  readonly url?: string;
  /**
   * The application's own connection (`createClient()` from `redis`) to one
   * server, connected or not; the broker publishes on it and leaves it open at
   * close. A subscribing connection is `subscriber`, or else a `duplicate()`.
   */
  readonly client?: RedisClientConnection;
  /** A connection the broker may put in subscriber mode (it does nothing else on it). */
  readonly subscriber?: RedisClientConnection;
  /**
   * A Redis Cluster (`createCluster`'s options, `rootNodes` at least): traffic
   * goes over sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`, Redis 7), one channel
   * per topic, so it spreads over the shards.
   */
  readonly cluster?: RedisClusterOptions;
  /** The application's own cluster client; the broker subscribes on a `duplicate()`. */
  readonly clusterClient?: RedisClusterConnection;
  /**
   * Begins every channel and key the broker uses, so applications can share a
   * server. Default `carom`. On a Redis Cluster it may not hold `{` or `}`.
   */
  readonly prefix?: string;
  /**
   * This node's id, unique among the application's nodes, and the start of
   * its connection ids: letters, digits, `_` and `-`. Default: random.
   */
  readonly nodeId?: string;
  /**
   * How long `start` waits for Redis before it resolves anyway (logged; the
   * broker goes on connecting and subscribes when the server answers).
   * Default 5000 ms.
   */
  readonly startTimeoutMs?: number;
  /**
   * Commands the client may hold waiting for the server's replies while
   * connected; past it a relay is lost, not queued. Nothing is ever queued
   * while disconnected. Default 10000.
   */
  readonly maxQueued?: number;
  /**
   * How long presence entries outlive the last word from their node: each node
   * renews its own every third of it, so the entries of a node that dies
   * without closing (`kill -9`, a lost machine) are gone from every list
   * within this time. Default 10000 ms.
   */
  readonly presenceTtlMs?: number;
  /** Where the broker logs its outages. Default: carom's logger at `info`. */
  readonly logger?: CaromLogger;
}

/** The options with their defaults. */
export interface ResolvedRedisOptions {
  readonly prefix: string;
  readonly nodeId: string;
  readonly startTimeoutMs: number;
  readonly maxQueued: number;
  readonly presenceTtlMs: number;
}

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Fills the defaults and throws a configuration error for a value the broker cannot use. */
export function resolveRedisOptions(options: RedisBrokerOptions): ResolvedRedisOptions {
  const given = [options.url, options.client, options.cluster, options.clusterClient].filter(
    (v) => v !== undefined,
  );
  if (given.length !== 1) {
    throw appError(
      'CAROM_ERR_BAD_OPTION',
      'redisBroker({ url | client | cluster | clusterClient })',
      'exactly one way to reach Redis',
      given.length,
    );
  }
  if (options.subscriber !== undefined && options.client === undefined) {
    throw appError(
      'CAROM_ERR_BAD_OPTION',
      'redisBroker subscriber',
      'given with client',
      'no client',
    );
  }
  const nodeId = options.nodeId ?? `n${randomBytes(6).toString('hex')}`;
  if (!NODE_ID.test(nodeId)) {
    throw appError(
      'CAROM_ERR_BAD_OPTION',
      'redisBroker nodeId',
      '1 to 64 letters, digits, _ or - (no :)',
      nodeId,
    );
  }
  const prefix = options.prefix ?? 'carom';
  if (typeof prefix !== 'string' || prefix === '') {
    throw appError('CAROM_ERR_BAD_OPTION', 'redisBroker prefix', 'a non-empty string', prefix);
  }
  // On a cluster the broker's keys carry hash tags of its own: a brace in the prefix would take their place.
  if ((options.cluster ?? options.clusterClient) !== undefined && /[{}]/.test(prefix)) {
    throw appError(
      'CAROM_ERR_BAD_OPTION',
      'redisBroker prefix',
      'no { or } on a Redis Cluster',
      prefix,
    );
  }
  return {
    prefix,
    nodeId,
    startTimeoutMs: positive('startTimeoutMs', options.startTimeoutMs, 5000),
    maxQueued: positive('maxQueued', options.maxQueued, 10_000),
    presenceTtlMs: positive('presenceTtlMs', options.presenceTtlMs, 10_000),
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw appError('CAROM_ERR_BAD_OPTION', `redisBroker ${name}`, 'a positive integer', value);
  }
  return value;
}
