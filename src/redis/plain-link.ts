import type { RedisClientConnection } from './client.js';
import { KeyedLink } from './keyed-link.js';
import type { MessageListener, RedisLink } from './link.js';

/**
 * One Redis server: a connection that publishes and writes the channel set,
 * and a second one in subscriber mode (a subscribed connection can do nothing
 * else).
 */
export class PlainLink extends KeyedLink<RedisClientConnection> implements RedisLink {
  readonly sharded = false;

  onReconnect(listener: () => void): void {
    let ready = this.subscriber.isReady;
    this.subscriber.on('ready', () => {
      if (ready) listener();
      ready = true;
    });
  }

  publish(channel: string, message: string): Promise<unknown> {
    return this.client.publish(channel, message);
  }

  async subscribe(channels: readonly string[], listener: MessageListener): Promise<void> {
    await this.subscriber.subscribe([...channels], listener);
  }

  async unsubscribe(channels: readonly string[], listener: MessageListener): Promise<void> {
    await this.subscriber.unsubscribe([...channels], listener);
  }
}
