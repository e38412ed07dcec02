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

  /**
   * The hash of one event's history: its `epoch` and newest `offset`. `tag`
   * ({@link tagOfSlot}) puts it, and the event's {@link historyLog}, in the
   * slot of the topic's sharded channel, so one script writes both and
   * publishes on that channel.
   */
  historyMeta(tag: string, event: string): string {
    return `${this.prefix}:history:{${tag}}:meta:${event}`;
  }

  /** The stream of one event's history: entry ID `<offset>-0`, fields `t` (ms), `d` (the frame), `s` (its scope, if any). */
  historyLog(tag: string, event: string): string {
    return `${this.prefix}:history:{${tag}}:log:${event}`;
  }

  /**
   * The key of one request key of a client identity: `p` while it is being
   * handled, then its first answer. Every key of an identity shares its
   * {@link onceKeys}' slot.
   */
  once(identity: string, key: string): string {
    return `${this.onceBase(identity)}${key}`;
  }

  /** What {@link once} begins with: a key is this followed by the request key. */
  onceBase(identity: string): string {
    return `${this.prefix}:once:{${identityTag(identity)}}:${identity}:`;
  }

  /** The sorted set of an identity's keys, by when each was claimed: what bounds their count. */
  onceKeys(identity: string): string {
    return `${this.prefix}:oncekeys:{${identityTag(identity)}}:${identity}`;
  }
}

/** An identity as a hash tag: never empty, never a `}` (which would end it early). */
function identityTag(identity: string): string {
  return identity === '' ? '_' : identity.replaceAll('}', ')');
}
