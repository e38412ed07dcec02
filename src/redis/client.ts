import type { MessageListener } from './link.js';

/**
 * What the broker calls on a node-redis connection (`createClient()` or
 * `createCluster()` from `redis`), so that an application may hand its own
 * and so that nothing else of the client's wide types leaks into carom's.
 */
export interface RedisConnection {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  on(
    event: 'error' | 'ready' | 'end' | 'node-ready' | 'node-error',
    listener: (...args: any[]) => void,
  ): unknown;
  close(): Promise<unknown>;
  destroy(): void;
  sAdd(key: string, members: string | string[]): Promise<unknown>;
  sRem(key: string, members: string): Promise<unknown>;
  sMembers(key: string): Promise<unknown>;
  /** A Lua script; on a cluster it runs on the shard of its first key. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** A connection to one Redis server. */
export interface RedisClientConnection extends RedisConnection {
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(channels: string[], listener: MessageListener): Promise<unknown>;
  unsubscribe(channels: string[], listener: MessageListener): Promise<unknown>;
  duplicate(): RedisClientConnection;
}

/** A connection to a Redis Cluster. */
export interface RedisClusterConnection extends RedisConnection {
  sPublish(channel: string, message: string): Promise<unknown>;
  sSubscribe(channels: string[], listener: MessageListener): Promise<unknown>;
  sUnsubscribe(channels: string[], listener: MessageListener): Promise<unknown>;
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
