import type { RedisClusterConnection } from './client.js';
import { KeyedLink } from './keyed-link.js';
import type { MessageListener, RedisLink } from './link.js';

/**
 * A Redis Cluster, over sharded pub/sub (Redis 7): a message goes only to the
 * shard that owns its channel's slot, instead of to every shard as plain
 * pub/sub on a cluster would. One cluster client publishes; a second one holds
 * the `SSUBSCRIBE`s, one connection per shard, and moves them when slots move.
 */
export class ShardedLink extends KeyedLink<RedisClusterConnection> implements RedisLink {
  readonly sharded = true;

  onReconnect(listener: () => void): void {
    // A cluster client is ready once; its shards come and go beneath it, each
    // restoring its own subscriptions. A shard back from an outage is a reconnect.
    this.subscriber.on('node-ready', listener);
  }

  publish(channel: string, message: string): Promise<unknown> {
    return this.client.sPublish(channel, message);
  }

  // One SSUBSCRIBE per channel: the channels of one command must share a slot.
  async subscribe(channels: readonly string[], listener: MessageListener): Promise<void> {
    await Promise.all(channels.map((c) => this.subscriber.sSubscribe([c], listener)));
  }

  async unsubscribe(channels: readonly string[], listener: MessageListener): Promise<void> {
    await Promise.all(channels.map((c) => this.subscriber.sUnsubscribe([c], listener)));
  }
}
