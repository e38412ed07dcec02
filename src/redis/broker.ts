import {
  nodeOf,
  type Broker,
  type BrokerNode,
  type BrokerStats,
  type ConnectionCommand,
  type RelayScope,
} from '../core/broker.js';
import type { CaromLogger } from '../core/logger.js';
import { Frame } from '../protocol/frame.js';
import { reconnectDelay } from './backoff.js';
import type { MessageListener, RedisLink } from './link.js';
import { RedisHistory } from './history.js';
import {
  decodeMessage,
  decodeRecorded,
  decodeScope,
  encodeMessage,
  encodeScope,
  Kind,
  type Message,
} from './message.js';
import { RedisNames } from './names.js';
import type { ResolvedRedisOptions } from './options.js';
import { Outage } from './outage.js';
import { RedisLeases } from './leases.js';
import { RedisOnce } from './once.js';
import { RedisPresence } from './presence.js';

/** How often subscriptions the server refused (it was down) are tried again. */
const RETRY_MS = 1000;
/** Begins the channel set's epoch member: a NUL, which no channel name may hold. */
const EPOCH_MARK = '\u0000epoch:';

function isEpoch(member: string): boolean {
  return member.startsWith(EPOCH_MARK);
}

/** What the Redis broker has relayed, received, lost and dropped. */
export interface RedisBrokerStats extends BrokerStats {
  /**
   * Commands that reached their node after the connection had closed there.
   * (A command for a node that no longer listens counts as `lost`.)
   */
  readonly missed: number;
  /** Messages on the prefix's channels that carom did not write; dropped. */
  readonly malformed: number;
  /**
   * Presence joins, leaves and heartbeats Redis could not take. Not lost: the
   * node keeps its entries and writes them again once Redis answers.
   */
  readonly presenceFailures: number;
}

/**
 * A {@link Broker} over Redis pub/sub. Without a cluster, every node
 * publishes on one channel (`<prefix>:bus`), which keeps all of one node's
 * publishes and channel changes in one order for every other node; on a
 * Redis Cluster, each topic has its own sharded channel, so traffic spreads
 * over the shards and is ordered per topic. Commands for a connection go to
 * its node's own channel. Channels are also kept in a set, read by a node
 * when it starts.
 *
 * Delivery across nodes is at most once: a relay Redis cannot take is
 * counted in `lost`, never queued, and never blocks or throws into the caller.
 * Presence ({@link RedisPresence}) and leases ({@link RedisLeases}) are keys
 * under the same prefix.
 */
export class RedisBroker implements Broker {
  readonly nodeId: string;
  /** Who is subscribed where, across the nodes; entries of a dead node expire within `presenceTtlMs`. */
  readonly presence: RedisPresence;
  /** Leases for the `TimedSender`s declared `onOneNode`. */
  readonly leases: RedisLeases;
  /** Histories of the events that declare one, in Redis Streams: any node can serve a resume. */
  readonly history: RedisHistory;
  /** Keys of requests handled once, so that a retry on another node is recognised. */
  readonly once: RedisOnce;
  private node: BrokerNode | undefined;
  private readonly names: RedisNames;
  private readonly outage: Outage;
  private relayedCount = 0;
  private receivedCount = 0;
  private missedCount = 0;
  private malformedCount = 0;
  /** Channels subscribed to, or to subscribe to once the server takes it. */
  private readonly wanted = new Set<string>();
  private readonly pending = new Set<string>();
  private retry: ReturnType<typeof setTimeout> | undefined;
  private resyncRetry: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** Channel changes this node made that the set has not taken yet: name, and whether it exists. */
  private readonly unstored = new Map<string, boolean>();
  /** The epoch of the channel set this node last synced with. */
  private epoch: string | undefined;

  // Bound once: a publish hands these to its promise, with no closure per message.
  private readonly onMessage: MessageListener = (message) => this.receive(message);
  private readonly onRelayed = (): void => {
    this.relayedCount++;
    this.outage.relayed();
  };
  private readonly onCommandRelayed = (listeners: unknown): void => {
    // PUBLISH answers how many connections heard it: none means no node has that id now.
    if (listeners === 0) this.outage.lost++;
    else this.onRelayed();
  };
  private readonly onFailed = (error: unknown): void => this.outage.failed(error);

  /** @internal `redisBroker(options)` makes it. */
  constructor(
    private readonly link: RedisLink,
    private readonly options: ResolvedRedisOptions,
    private readonly logger: CaromLogger,
  ) {
    this.nodeId = options.nodeId;
    this.names = new RedisNames(options.prefix);
    this.outage = new Outage(logger);
    this.presence = new RedisPresence(link, this.names, this.nodeId, options.presenceTtlMs, logger);
    this.leases = new RedisLeases(link, this.names, this.nodeId);
    this.history = new RedisHistory(link, this.names, this.nodeId, {
      relayed: this.onRelayed,
      failed: this.onFailed,
    });
    this.once = new RedisOnce(link, this.names, this.onFailed);
  }

  /**
   * Connects and subscribes, then adopts the channels other nodes made.
   * Resolves when that is done, or after `startTimeoutMs` with Redis still
   * unreachable: the node then serves its own connections, logs it, and joins
   * the others by itself once the server answers.
   */
  async start(node: BrokerNode): Promise<void> {
    this.node = node;
    this.history.start((event) => node.topicOf(event));
    this.link.onReconnect(() => void this.resync());
    this.presence.start();
    this.want(this.link.sharded ? this.names.control : this.names.bus);
    this.want(this.names.node(this.nodeId));
    if (this.link.sharded) {
      this.want(this.names.undeclared);
      for (const topic of node.topics()) this.want(this.names.topic(topic));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(resolve, this.options.startTimeoutMs, false);
    });
    const joined = await Promise.race([this.join().then(() => true), late]);
    clearTimeout(timer);
    if (!joined && !this.closed) {
      this.logger.warn(
        `carom/redis: Redis did not answer within ${this.options.startTimeoutMs} ms; node ${this.nodeId} serves its own connections and joins the others once it does`,
      );
    }
  }

  publish(event: string, frame: Frame, scope?: RelayScope): void {
    if (scope !== undefined) {
      // One message for all the topics, on the first one's shard: every node listens to
      // every declared topic's channel, and one message is what keeps each subscriber at one copy.
      const first = scope.topics?.[0] ?? event;
      const channel = this.link.sharded ? this.topicChannel(first) : this.names.bus;
      const subject = encodeScope(event, scope.except, scope.topics);
      this.relay(channel, encodeMessage(Kind.SCOPED, this.nodeId, subject, frame.text));
      return;
    }
    const channel = this.link.sharded ? this.topicChannel(event) : this.names.bus;
    this.relay(channel, encodeMessage(Kind.PUBLISH, this.nodeId, event, frame.text));
  }

  command(connectionId: string, command: ConnectionCommand): void {
    const target = nodeOf(connectionId) ?? '';
    // Not an id of this application's nodes, or one of this node's own that has closed.
    if (target === '' || target === this.nodeId) {
      this.outage.lost++;
      return;
    }
    const [kind, body] = commandParts(command);
    const message = encodeMessage(kind, this.nodeId, connectionId, body);
    this.send(this.names.node(target), message, this.onCommandRelayed);
  }

  channelCreated(name: string): void {
    this.storeChannel(name, true);
    // The SSUBSCRIBE leaves before the others hear of the channel: their publishes follow it.
    if (this.link.sharded) this.want(this.names.topic(name));
    this.relay(this.controlChannel(), encodeMessage(Kind.CHANNEL_CREATED, this.nodeId, name, ''));
  }

  channelDeleted(name: string): void {
    this.storeChannel(name, false);
    this.relay(this.controlChannel(), encodeMessage(Kind.CHANNEL_DELETED, this.nodeId, name, ''));
    if (this.link.sharded) this.unwant(this.names.topic(name));
  }

  stats(): RedisBrokerStats {
    return {
      relayed: this.relayedCount,
      received: this.receivedCount,
      lost: this.outage.lost,
      missed: this.missedCount,
      malformed: this.malformedCount,
      presenceFailures: this.presence.failures,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.outage.stop();
    this.history.close();
    clearTimeout(this.retry);
    clearTimeout(this.resyncRetry);
    // Before the connections go: the node's entries leave with it, not a TTL later.
    await this.presence.close();
    await this.link.close();
  }

  /** Connects, retrying a cluster that refuses at first, then subscribes and adopts channels. */
  private async join(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await this.link.connect();
        break;
      } catch (err) {
        if (attempt === 0)
          this.logger.warn('carom/redis: cannot connect to Redis yet; retrying', err);
        await sleep(reconnectDelay(attempt));
      }
    }
    await this.resync();
  }

  /** After a (re)connection: subscriptions the server refused meanwhile, and channels made meanwhile. */
  private async resync(): Promise<void> {
    if (this.closed) return;
    await this.subscribePending();
    await this.adoptChannels();
  }

  /**
   * Makes this node's channels the cluster's, after a (re)connection. First the
   * changes this node made while the set could not be written; then the set.
   *
   * The set carries an epoch: a member no channel can be (it starts with a NUL,
   * which channel names refuse), written by whoever made the set. A node that
   * finds the epoch it last synced with adopts the set's channels and forgets
   * those it lacks, deleted elsewhere meanwhile. A node that finds another
   * epoch, or none (Redis lost the set: a restart with nothing saved), cannot
   * tell a deletion from a loss: it writes its channels back and forgets
   * nothing, so no channel is lost, and one deleted during that outage may
   * come back.
   */
  private async adoptChannels(): Promise<void> {
    let names: string[];
    const node = this.node!;
    try {
      for (const [name, exists] of [...this.unstored]) {
        await this.writeChannel(name, exists);
        this.unstored.delete(name);
      }
      names = await this.link.members(this.names.channels);
      const epochs = names.filter(isEpoch).sort();
      const epoch = epochs[0] ?? `${EPOCH_MARK}${this.nodeId}.${Date.now().toString(36)}`;
      if (epoch !== this.epoch) {
        await this.link.addMember(this.names.channels, epoch, ...node.channels());
        this.epoch = epoch;
        for (const name of names) if (!isEpoch(name)) this.adopt(name);
        return;
      }
    } catch {
      // The subscriber may be back before the connection that reads and writes the set:
      // try again shortly, as for refused subscriptions, rather than wait for a reconnection.
      this.resyncRetry ??= setTimeout(() => {
        this.resyncRetry = undefined;
        if (!this.closed) void this.adoptChannels();
      }, RETRY_MS);
      this.resyncRetry.unref();
      return;
    }
    const cluster = new Set(names);
    for (const name of names) if (!isEpoch(name)) this.adopt(name);
    for (const name of node.channels()) {
      if (cluster.has(name)) continue;
      try {
        node.channelDeleted(name);
      } catch (err) {
        this.logger.error(`carom/redis: forgetting channel '${name}' failed`, err);
      }
      if (this.link.sharded) this.unwant(this.names.topic(name));
    }
  }

  private async writeChannel(name: string, exists: boolean): Promise<void> {
    if (exists) await this.link.addMember(this.names.channels, name);
    else await this.link.removeMember(this.names.channels, name);
  }

  /** Writes a channel change to the set; one that fails is kept and written at the next resync. */
  private storeChannel(name: string, exists: boolean): void {
    this.unstored.delete(name);
    this.writeChannel(name, exists).then(undefined, (err: unknown) => {
      this.unstored.set(name, exists);
      this.onFailed(err);
    });
  }

  /**
   * Takes in a channel another node made. On a Cluster the node learns it only
   * once its sharded channel is subscribed, so a connection this node lets
   * subscribe to it hears every publish made after the ack.
   */
  private adopt(name: string): void {
    const channel = this.names.topic(name);
    if (!this.link.sharded || this.wanted.has(channel)) {
      this.learn(name);
      return;
    }
    this.wanted.add(channel);
    this.link.subscribe([channel], this.onMessage).then(
      () => {
        // Deleted meanwhile: the deletion already let the shard channel go.
        if (this.wanted.has(channel)) this.learn(name);
      },
      (err: unknown) => {
        if (!this.wanted.has(channel)) return;
        this.pending.add(channel);
        this.retryLater();
        this.learn(name);
        this.onFailed(err);
      },
    );
  }

  private learn(name: string): void {
    try {
      this.node!.channelCreated(name);
    } catch (err) {
      this.logger.error(`carom/redis: adopting channel '${name}' failed`, err);
    }
  }

  private want(channel: string): void {
    if (this.wanted.has(channel)) return;
    this.wanted.add(channel);
    this.pending.add(channel);
    if (this.node !== undefined) void this.subscribePending();
  }

  private unwant(channel: string): void {
    if (!this.wanted.delete(channel)) return;
    if (this.pending.delete(channel)) return;
    this.link.unsubscribe([channel], this.onMessage).then(undefined, this.onFailed);
  }

  private async subscribePending(): Promise<void> {
    if (this.pending.size === 0 || this.closed) return;
    const channels = [...this.pending];
    this.pending.clear();
    try {
      await this.link.subscribe(channels, this.onMessage);
    } catch {
      for (const c of channels) if (this.wanted.has(c)) this.pending.add(c);
      this.retryLater();
    }
  }

  private retryLater(): void {
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      void this.subscribePending();
    }, RETRY_MS);
    this.retry.unref();
  }

  private relay(channel: string, message: string): void {
    this.send(channel, message, this.onRelayed);
  }

  private send(channel: string, message: string, done: (reply: unknown) => void): void {
    let reply: Promise<unknown>;
    try {
      reply = this.link.publish(channel, message);
    } catch (err) {
      this.onFailed(err);
      return;
    }
    reply.then(done, this.onFailed);
  }

  private controlChannel(): string {
    return this.link.sharded ? this.names.control : this.names.bus;
  }

  private topicChannel(event: string): string {
    const topic = this.node?.topicOf(event);
    return topic === undefined ? this.names.undeclared : this.names.topic(topic);
  }

  private receive(text: string): void {
    const message = decodeMessage(text);
    if (message === undefined) {
      this.malformedCount++;
      return;
    }
    if (this.node === undefined) return;
    if (message.kind === Kind.MARK) {
      if (message.origin === this.nodeId) this.history.heard(message.subject);
      return;
    }
    if (message.origin !== this.nodeId) this.receivedCount++;
    // A node hears its own publishes on the shared channel: its subscribers had them already,
    // but for recorded ones, which every node delivers from here, in the order of their offsets.
    else if (message.kind !== Kind.RECORDED && message.kind !== Kind.RECORDED_SCOPED) return;
    try {
      this.carryOut(this.node, message);
    } catch (err) {
      // Never into the client's event emitter, where it would end the process.
      this.logger.error(
        `carom/redis: a ${message.kind} message from ${message.origin} failed`,
        err,
      );
    }
  }

  private carryOut(node: BrokerNode, message: Message): void {
    switch (message.kind) {
      case Kind.RECORDED:
      case Kind.RECORDED_SCOPED:
        this.deliverRecorded(node, message);
        return;
      case Kind.PUBLISH:
        node.deliver(message.subject, new Frame(message.body));
        return;
      case Kind.SCOPED: {
        const scope = decodeScope(message.subject);
        if (scope === undefined) this.malformedCount++;
        else node.deliver(scope.event, new Frame(message.body), scope);
        return;
      }
      case Kind.CHANNEL_CREATED:
        this.adopt(message.subject);
        return;
      case Kind.CHANNEL_DELETED:
        node.channelDeleted(message.subject);
        if (this.link.sharded) this.unwant(this.names.topic(message.subject));
        return;
      default: {
        const command = commandOf(message);
        if (command === undefined) this.malformedCount++;
        else if (!node.command(message.subject, command)) this.missedCount++;
      }
    }
  }

  /** Hands a recorded publish to the node; one that is not carom's counts as malformed. */
  private deliverRecorded(node: BrokerNode, message: Message): void {
    const recorded = decodeRecorded(message.body);
    if (recorded === undefined) {
      this.malformedCount++;
      return;
    }
    const position = { epoch: recorded.epoch, offset: recorded.offset };
    if (message.kind === Kind.RECORDED) {
      node.deliverRecorded(message.subject, new Frame(recorded.text), position, undefined);
      return;
    }
    const scope = decodeScope(message.subject);
    if (scope === undefined) this.malformedCount++;
    else
      node.deliverRecorded(scope.event, new Frame(recorded.text), position, {
        topics: scope.topics,
        except: scope.except,
      });
  }
}

function commandParts(command: ConnectionCommand): [Kind, string] {
  switch (command.kind) {
    case 'send':
      return [Kind.SEND, command.frame];
    case 'subscribe':
      return [Kind.SUBSCRIBE, JSON.stringify(command.names)];
    case 'unsubscribe':
      return [Kind.UNSUBSCRIBE, JSON.stringify(command.names)];
    case 'close':
      return [Kind.CLOSE, JSON.stringify([command.code, command.reason])];
  }
}

/** The command a message carries, or `undefined` when its body is not what carom writes. */
function commandOf(message: Message): ConnectionCommand | undefined {
  if (message.kind === Kind.SEND) return { kind: 'send', frame: message.body };
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(body)) return undefined;
  if (message.kind === Kind.CLOSE) {
    const [code, reason] = body as unknown[];
    if (typeof code !== 'number' || typeof reason !== 'string') return undefined;
    return { kind: 'close', code, reason };
  }
  if (!body.every((n) => typeof n === 'string')) return undefined;
  const names = body;
  return message.kind === Kind.SUBSCRIBE
    ? { kind: 'subscribe', names }
    : { kind: 'unsubscribe', names };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
