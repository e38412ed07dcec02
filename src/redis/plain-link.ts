import { memberList, opened, quit, type RedisClientConnection } from './client.js';
import type { MessageListener, RedisLink } from './link.js';

/**
 * One Redis server: a connection that publishes and writes the channel set,
 * and a second one in subscriber mode (a subscribed connection can do nothing
 * else). Connections the application handed over are not closed by the link.
 */
export class PlainLink implements RedisLink {
  readonly sharded = false;

  constructor(
    private readonly client: RedisClientConnection,
    private readonly subscriber: RedisClientConnection,
    private readonly owned: { readonly client: boolean; readonly subscriber: boolean },
  ) {}

  async connect(): Promise<void> {
    await Promise.all([opened(this.client), opened(this.subscriber)]);
  }

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
