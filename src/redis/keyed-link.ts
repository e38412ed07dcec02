import { createHash } from 'node:crypto';
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
  /** Scripts the server is believed to hold, by their text: each one's SHA1. */
  private readonly cached = new Map<string, string>();
  /** True for a Redis Cluster. */
  abstract readonly sharded: boolean;

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

  /**
   * Runs a script. On one server, by its SHA1 (`EVALSHA`), so its text
   * crosses the network once rather than per call; a server that lacks it
   * (restarted, `SCRIPT FLUSH`) answers `NOSCRIPT`, and the call is made again
   * with the text (`EVAL`, which caches it there). Until an `EVAL` of it
   * succeeds, later calls send the text too, so that few calls take the
   * second round trip. On a cluster, always with its text: each master caches
   * scripts apart, and a call retried after `NOSCRIPT` on one could be
   * overtaken there by a later call of another script (a presence list
   * before the join it follows).
   */
  async script(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const options = { keys: keys as string[], arguments: args as string[] };
    if (this.sharded) return this.client.eval(source, options);
    const sha = this.cached.get(source);
    if (sha !== undefined) {
      try {
        return await this.client.evalSha(sha, options);
      } catch (err) {
        if (!isNoScript(err)) throw err;
        this.cached.delete(source);
      }
    }
    const reply = await this.client.eval(source, options);
    this.cached.set(source, sha ?? sha1(source));
    return reply;
  }

  async close(): Promise<void> {
    await Promise.all([
      this.owned.client ? quit(this.client) : undefined,
      this.owned.subscriber ? quit(this.subscriber) : undefined,
    ]);
  }
}

function sha1(source: string): string {
  return createHash('sha1').update(source).digest('hex');
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}
