import { memberList, opened, quit, type RedisConnection } from './client.js';

/** Which of a link's two connections the application handed over, and so keeps. */
export interface Owned {
  readonly client: boolean;
  readonly subscriber: boolean;
}

/**
 * What a link does the same way on one server and on a cluster: open and
 * close its two connections, and the key commands (the channel set, the
 * presence and lease scripts), which go through the publishing connection.
 * Connections the application handed over are not closed by the link.
 */
export abstract class KeyedLink<C extends RedisConnection> {
  constructor(
    protected readonly client: C,
    protected readonly subscriber: C,
    private readonly owned: Owned,
  ) {}

  async connect(): Promise<void> {
    await Promise.all([opened(this.client), opened(this.subscriber)]);
  }

  /** Adds members to a set in one command, so a reader sees all of them or none. */
  addMember(key: string, ...members: string[]): Promise<unknown> {
    return this.client.sAdd(key, members);
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
