import { memberList, opened, quit, type RedisClusterConnection } from './client.js';
import type { MessageListener, RedisLink } from './link.js';

/**
 * A Redis Cluster, over sharded pub/sub (Redis 7): a message goes only to the
 * shard that owns its channel's slot, instead of to every shard as plain
 * pub/sub on a cluster would. One cluster client publishes; a second one holds
 * the `SSUBSCRIBE`s, one connection per shard, and moves them when slots move.
 */
export class ShardedLink implements RedisLink {
  readonly sharded = true;

  constructor(
    private readonly client: RedisClusterConnection,
    private readonly subscriber: RedisClusterConnection,
    private readonly owned: { readonly client: boolean; readonly subscriber: boolean },
  ) {}

  async connect(): Promise<void> {
    await Promise.all([opened(this.client), opened(this.subscriber)]);
  }

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

  addMember(key: string, member: string): Promise<unknown> {
    return this.client.sAdd(key, member);
  }

  removeMember(key: string, member: string): Promise<unknown> {
    return this.client.sRem(key, member);
  }

  async members(key: string): Promise<string[]> {
    return memberList(await this.client.sMembers(key));
  }

  script(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.client.eval(source, { keys: [...keys], arguments: [...args] });
  }

  async close(): Promise<void> {
    await Promise.all([
      this.owned.client ? quit(this.client) : undefined,
      this.owned.subscriber ? quit(this.subscriber) : undefined,
    ]);
  }
}
