/** Called with each pub/sub message the link receives. */
export type MessageListener = (message: string, channel: string) => void;

/**
 * The broker's two connections to Redis, as it uses them, whether one server
 * (plain pub/sub) or a cluster (sharded pub/sub). Every call that reaches the
 * server rejects at once while it is unreachable: nothing is queued offline.
 */
export interface RedisLink {
  /** True for a Redis Cluster: the broker then splits publishes by topic. */
  readonly sharded: boolean;
  /** Connects both connections; resolves when they are ready, retrying a server that is down. */
  connect(): Promise<void>;
  /** Calls `listener` each time the subscribing connection is ready again after losing the server. */
  onReconnect(listener: () => void): void;
  /** Publishes on a channel (`SPUBLISH` when sharded). */
  publish(channel: string, message: string): Promise<unknown>;
  /** Subscribes (`SSUBSCRIBE` when sharded); the client restores it after a reconnect. */
  subscribe(channels: readonly string[], listener: MessageListener): Promise<void>;
  /** Ends a subscription. */
  unsubscribe(channels: readonly string[], listener: MessageListener): Promise<void>;
  /** Adds a member to a set. */
  addMember(key: string, ...members: string[]): Promise<unknown>;
  /** Removes a member from a set. */
  removeMember(key: string, member: string): Promise<unknown>;
  /** The members of a set. */
  members(key: string): Promise<string[]>;
  /**
   * Runs a Lua script (presence, leases, histories and request keys: each
   * change is one atomic step), by its SHA1 once the server holds it.
   * On a cluster every key must hash to the same slot.
   */
  script(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** Closes the connections the link opened; the application's own ones are left open. */
  close(): Promise<void>;
}
