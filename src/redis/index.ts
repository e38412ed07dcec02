import { createClient, createCluster } from 'redis';
import { guardLogger } from '../core/guard.js';
import { createLogger } from '../core/logger.js';
import { reconnectDelay } from './backoff.js';
import type { RedisClientConnection, RedisClusterConnection, RedisConnection } from './client.js';
import type { RedisLink } from './link.js';
import {
  resolveRedisOptions,
  type RedisBrokerOptions,
  type ResolvedRedisOptions,
} from './options.js';
import { PlainLink } from './plain-link.js';
import { RedisBroker } from './broker.js';
import { ShardedLink } from './sharded-link.js';

export { RedisBroker, type RedisBrokerStats } from './broker.js';
export type { RedisBrokerOptions } from './options.js';
export type { RedisClientConnection, RedisClusterConnection, RedisConnection } from './client.js';
export type { RedisHistory } from './history.js';
export type { RedisLeases } from './leases.js';
export type { RedisOnce } from './once.js';
export type { RedisPresence } from './presence.js';
export type { MessageListener } from './link.js';

/**
 * A broker that makes several carom nodes one application, over Redis (the
 * `redis` package, node-redis, which the application installs). Pass it as
 * `new Carom({ broker: redisBroker({ url }) })`. Throws a configuration error
 * for options it cannot use; never for a server that is down.
 */
export function redisBroker(options: RedisBrokerOptions): RedisBroker {
  const resolved = resolveRedisOptions(options);
  // Guarded as the app guards its own: a logger that throws (or lacks a level) never stops a relay.
  const logger = guardLogger(options.logger ?? createLogger('info'));
  const link = linkFor(options, resolved, (err: unknown) => {
    // Every connection needs an error listener, or node-redis ends the process; the
    // broker's outage log says what matters, once, so these stay at debug.
    logger.debug('carom/redis: connection error', err);
  });
  return new RedisBroker(link, resolved, logger);
}

function linkFor(
  options: RedisBrokerOptions,
  resolved: ResolvedRedisOptions,
  onError: (err: unknown) => void,
): RedisLink {
  const listen = <C extends RedisConnection>(c: C): C => {
    c.on('error', onError);
    return c;
  };
  // Offline, a relay fails at once and is counted; connected, at most maxQueued wait.
  const bounded = { disableOfflineQueue: true, commandsQueueMaxLength: resolved.maxQueued };
  if (options.url !== undefined) {
    const made = () =>
      listen(
        createClient({
          url: options.url,
          ...bounded,
          socket: { reconnectStrategy: reconnectDelay },
        }),
      ) as unknown as RedisClientConnection;
    return new PlainLink(made(), made(), { client: true, subscriber: true });
  }
  if (options.client !== undefined) {
    const subscriber = options.subscriber ?? listen(options.client.duplicate());
    return new PlainLink(listen(options.client), listen(subscriber), {
      client: false,
      subscriber: options.subscriber === undefined,
    });
  }
  if (options.cluster !== undefined) {
    const given = options.cluster;
    const made = () =>
      listen(
        createCluster({
          ...given,
          defaults: {
            ...given.defaults,
            ...bounded,
            socket: { reconnectStrategy: reconnectDelay, ...given.defaults?.socket },
          },
        }),
      ) as unknown as RedisClusterConnection;
    return new ShardedLink(made(), made(), { client: true, subscriber: true });
  }
  const cluster = options.clusterClient!;
  return new ShardedLink(listen(cluster), listen(cluster.duplicate()), {
    client: false,
    subscriber: true,
  });
}
