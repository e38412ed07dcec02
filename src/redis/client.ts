import type { MessageListener } from './link.js';

/**
 * What the broker calls on a node-redis connection (`createClient()` or
 * `createCluster()` from `redis`), so that an application may hand its own
 * and so that nothing else of the client's wide types leaks into carom's.
 */
export interface RedisConnection {
  /** True once `connect` was called and until the connection is closed. */
  readonly isOpen: boolean;
  /** True while the server answers. */
  readonly isReady: boolean;
  /** Opens the connection. */
  connect(): Promise<unknown>;
  /** Listens to the client's life: errors, readiness, the end. */
  on(
    event: 'error' | 'ready' | 'end' | 'node-ready' | 'node-error',
    listener: (...args: any[]) => void,
  ): unknown;
  /** Closes once what was sent is answered. */
  close(): Promise<unknown>;
  /** Closes at once. */
  destroy(): void;
  /** `SADD`. */
  sAdd(key: string, members: string | string[]): Promise<unknown>;
  /** `SREM`. */
  sRem(key: string, members: string): Promise<unknown>;
  /** `SMEMBERS`. */
  sMembers(key: string): Promise<unknown>;
  /** A Lua script; on a cluster it runs on the shard of its first key. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** A Lua script the server has cached, by its SHA1; rejects with `NOSCRIPT` when it has not. */
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** A connection to one Redis server. */
export interface RedisClientConnection extends RedisConnection {
  /** `PUBLISH`. */
  publish(channel: string, message: string): Promise<unknown>;
  /** `SUBSCRIBE`, with the listener of the channels' messages. */
  subscribe(channels: string[], listener: MessageListener): Promise<unknown>;
  /** `UNSUBSCRIBE`. */
  unsubscribe(channels: string[], listener: MessageListener): Promise<unknown>;
  /** A second connection with the same settings (a subscriber needs its own). */
  duplicate(): RedisClientConnection;
}

/** A connection to a Redis Cluster. */
export interface RedisClusterConnection extends RedisConnection {
  /** `SPUBLISH`: a sharded publish, to the shard of the channel. */
  sPublish(channel: string, message: string): Promise<unknown>;
  /** `SSUBSCRIBE`, with the listener of the channels' messages. */
  sSubscribe(channels: string[], listener: MessageListener): Promise<unknown>;
  /** `SUNSUBSCRIBE`. */
  sUnsubscribe(channels: string[], listener: MessageListener): Promise<unknown>;
  /** A second connection with the same settings (a subscriber needs its own). */
  duplicate(): RedisClusterConnection;
}

/** Connects `connection` unless the application has already. */
export async function opened(connection: RedisConnection): Promise<void> {
  if (!connection.isOpen) await connection.connect();
}

/** The members a `SMEMBERS` reply holds, whatever shape the RESP version gives it. */
export function memberList(reply: unknown): string[] {
  const items: unknown[] =
    reply instanceof Set ? [...(reply as Set<unknown>)] : Array.isArray(reply) ? reply : [];
  return items.filter((m): m is string => typeof m === 'string');
}

/** Closes a connection: politely when the server answers, at once when it does not. */
export async function quit(connection: RedisConnection): Promise<void> {
  if (!connection.isOpen) return;
  if (!connection.isReady) {
    connection.destroy();
    return;
  }
  try {
    await connection.close();
  } catch {
    connection.destroy();
  }
}
