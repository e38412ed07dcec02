/**
 * Where the broker's traffic goes in Redis, all under one prefix so that
 * several applications share a server without hearing each other.
 */
export class RedisNames {
  /** Plain pub/sub: every publish and channel change of every node. */
  readonly bus: string;
  /** Sharded pub/sub: channel changes (publishes go to their topic's channel). */
  readonly control: string;
  /** The set of the application's channels, read by a node when it starts. */
  readonly channels: string;
  /** Sharded pub/sub: publishes of events no topic declares (`allowUndeclared`). */
  readonly undeclared: string;

  constructor(private readonly prefix: string) {
    this.bus = `${prefix}:bus`;
    this.control = `${prefix}:control`;
    this.channels = `${prefix}:channels`;
    this.undeclared = `${prefix}:undeclared`;
  }

  /** The channel of commands for connections held by node `nodeId`. */
  node(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}`;
  }

  /**
   * The hash of one node's entries present on `topic` (connection id to user
   * JSON). The `{topic}` hash tag puts every node's hash of a topic, and the
   * topic's {@link presenceNodes}, in one cluster slot, so that a script reads them together.
   */
  presence(topic: string, nodeId: string): string {
    return `${this.prefix}:presence:{${topic}}:node:${nodeId}`;
  }

  /** The sorted set of the nodes with entries on `topic`, each scored by when its entries expire. */
  presenceNodes(topic: string): string {
    return `${this.prefix}:presence:{${topic}}:nodes`;
  }

  /** The key of a lease: the holding node's id, with the lease's time to live. */
  lease(name: string): string {
    return `${this.prefix}:lease:${name}`;
  }

  /** Sharded pub/sub: the channel of one declared topic, so that topics spread over the shards. */
  topic(topic: string): string {
    return `${this.prefix}:topic:${topic}`;
  }
}
