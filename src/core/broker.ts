import type { Frame } from '../protocol/frame.js';
import type { HistoryNode, HistoryStore } from './history.js';
import { MemoryHistory, type MemoryHistoryOptions } from './memory-history.js';
import { MemoryOnceStore } from './memory-once.js';
import type { OnceStore } from './once.js';

/**
 * What one node asks of a connection another node holds. A `send` carries the
 * frame's text as the publishing node serialized it, so the holder writes it
 * without parsing it again.
 */
export type ConnectionCommand =
  | {
      /** Write a frame to the connection. */
      readonly kind: 'send';
      /** The frame's text, as serialized by the node that sent it. */
      readonly frame: string;
    }
  | {
      /** Subscribe the connection. */
      readonly kind: 'subscribe';
      /** Names and patterns to add. */
      readonly names: readonly string[];
    }
  | {
      /** Unsubscribe the connection. */
      readonly kind: 'unsubscribe';
      /** Names and patterns to remove. */
      readonly names: readonly string[];
    }
  | {
      /** Close the connection. */
      readonly kind: 'close';
      /** The WebSocket close code. */
      readonly code: number;
      /** The close frame's reason. */
      readonly reason: string;
    };

/**
 * Who a scoped publish reaches, beyond "every subscriber of its event": it
 * travels with the relay, so that every node applies it to its own
 * connections.
 */
export interface RelayScope {
  /** The topics whose subscribers receive it, each subscriber once; `undefined` means the event's own. */
  readonly topics: readonly string[] | undefined;
  /** The id of the one connection that does not receive it (a chat message's sender). */
  readonly except: string | undefined;
}

/**
 * The app as a broker sees it: where traffic relayed from other nodes goes on
 * this one. The app hands it to {@link Broker.start}. Every method is
 * synchronous and never throws; a broker calls them as messages arrive.
 */
export interface BrokerNode extends HistoryNode {
  /**
   * A frame another node published: it is written, as it is, to this node's
   * subscribers of `event`, or, with a `scope`, to the connections the scope
   * names. Returns how many received it.
   */
  deliver(event: string, frame: Frame, scope?: RelayScope): number;
  /** A command for a connection of this node. False when no such connection is open here. */
  command(connectionId: string, command: ConnectionCommand): boolean;
  /** A channel another node created, or one that existed before this node started. */
  channelCreated(name: string): void;
  /** A channel another node deleted. */
  channelDeleted(name: string): void;
  /**
   * The declared topic `event` belongs to: the event itself, the family
   * pattern (`room.*`) that covers it, or `undefined` when nothing declares it
   * (with `allowUndeclared`). A broker that splits traffic by topic (sharded
   * pub/sub) keys it on this.
   */
  topicOf(event: string): string | undefined;
  /**
   * Every topic declared on this node now: exact names, channels included, and
   * family patterns (`room.*`), the values {@link topicOf} returns. A broker
   * that subscribes per topic reads it at start.
   */
  topics(): string[];
  /** The channels this node knows now; a broker reconciles them with the cluster's after an outage. */
  channels(): string[];
}

/** One connection present on a topic: who it is, and where. */
export interface PresenceEntry {
  /** The connection's id, unique across nodes (`app.to(id)` reaches it). */
  readonly connectionId: string;
  /** The node that holds it (`''` for a lone node). */
  readonly node: string;
  /** What `authenticate` returned for it, as JSON carries it between nodes. */
  readonly user: unknown;
}

/**
 * Who is subscribed, by exact name, to the topics the app tracks, across every
 * node. `join` and `leave` never throw and never wait; `list` reads the whole
 * cluster. A store drops the entries of a node that stops (or stops being
 * heard from) within a bound it documents, so no ghost stays.
 */
export interface PresenceStore {
  /** Records that a connection holds `topic`. */
  join(topic: string, entry: PresenceEntry): void;
  /** Records that it no longer does. */
  leave(topic: string, connectionId: string): void;
  /** Who holds `topic`, on every node. */
  list(topic: string): Promise<PresenceEntry[]>;
}

/** Presence kept in this process: exact for a lone node, which holds every connection. */
export class LocalPresence implements PresenceStore {
  private readonly byTopic = new Map<string, Map<string, PresenceEntry>>();

  join(topic: string, entry: PresenceEntry): void {
    let entries = this.byTopic.get(topic);
    if (entries === undefined)
      this.byTopic.set(topic, (entries = new Map<string, PresenceEntry>()));
    entries.set(entry.connectionId, entry);
  }

  leave(topic: string, connectionId: string): void {
    const entries = this.byTopic.get(topic);
    if (entries?.delete(connectionId) && entries.size === 0) this.byTopic.delete(topic);
  }

  list(topic: string): Promise<PresenceEntry[]> {
    return Promise.resolve([...(this.byTopic.get(topic)?.values() ?? [])]);
  }

  /** Forgets every entry of `node` (it stopped). */
  dropNode(node: string): void {
    for (const [topic, entries] of this.byTopic) {
      for (const [id, entry] of entries) if (entry.node === node) entries.delete(id);
      if (entries.size === 0) this.byTopic.delete(topic);
    }
  }
}

/**
 * Leases: a name held by one node at a time, for a bounded time, renewed by
 * asking again. A cluster-wide `TimedSender` ticks only while its node holds
 * the lease of its event.
 */
export interface LeaseStore {
  /**
   * Takes the lease, or renews it when this node holds it, for `ttlMs`.
   * Resolves with whether this node holds it now; never rejects (a store that
   * cannot be reached resolves false: no node ticks rather than two).
   */
  acquire(name: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up, when this node holds it. */
  release(name: string): void;
}

/** What a broker has relayed, and what it could not. */
export interface BrokerStats {
  /** Frames and commands handed to the other nodes. */
  readonly relayed: number;
  /** Frames and commands that arrived from other nodes. */
  readonly received: number;
  /**
   * Frames and commands that could not be relayed (the broker's server was
   * unreachable): delivery across nodes is at most once, and this counts what
   * was lost.
   */
  readonly lost: number;
}

/**
 * How the nodes of one application reach each other. The app always delivers
 * to its own connections itself; a broker carries what the other nodes must
 * hear: publishes, commands for connections they hold, channel changes.
 *
 * The default, {@link LocalBroker}, is a lone node: there is no one to tell.
 * `carom/redis` implements this over Redis. A broker's methods never throw and
 * never make a caller wait for the network: a relay that fails is counted in
 * {@link BrokerStats.lost} and logged.
 */
export interface Broker {
  /**
   * This node's id, unique among the nodes of the application; connection ids
   * begin with it, so that a command finds its node. Empty for a lone node.
   */
  readonly nodeId: string;
  /**
   * Connects, and calls `node` for whatever arrives from then on. Resolves once
   * relayed traffic flows; rejects only for a mistake in how the broker was
   * configured (it retries a server that is down by itself).
   */
  start(node: BrokerNode): Promise<void>;
  /**
   * Relays a frame published on this node to the other nodes' subscribers of
   * `event`. A `scope` (a publish to several topics, or to all but one
   * connection) must reach the other nodes' {@link BrokerNode.deliver} with
   * the frame.
   */
  publish(event: string, frame: Frame, scope?: RelayScope): void;
  /** Sends a command to the node that holds `connectionId`. */
  command(connectionId: string, command: ConnectionCommand): void;
  /** Tells the other nodes, and nodes that start later, that a channel exists. */
  channelCreated(name: string): void;
  /** Tells the other nodes that a channel is gone. */
  channelDeleted(name: string): void;
  /** What has been relayed, received and lost so far. */
  stats(): BrokerStats;
  /**
   * Presence across the nodes, when the broker keeps it. An app that tracks
   * presence (the `presence` option) on a broker without it is refused at
   * start-up, so that `app.presence` never answers for one node as if for all.
   */
  readonly presence?: PresenceStore;
  /**
   * Leases across the nodes, when the broker keeps them: an app with a
   * `TimedSender` declared `onOneNode` on a broker without them is refused at
   * start-up.
   */
  readonly leases?: LeaseStore;
  /**
   * Histories across the nodes, when the broker keeps them: an app that
   * declares a history (`@Topic(event, { history })`) on a broker without
   * them is refused at start-up. The broker starts it with the node it is given.
   */
  readonly history?: HistoryStore;
  /**
   * Keys of requests handled once, across the nodes, when the broker keeps
   * them: a request retried on any node is recognised. An app that sets the
   * `once` option on a broker without them is refused at start-up.
   */
  readonly once?: OnceStore;
  /** Stops relaying and lets go of the broker's connections. */
  close(): Promise<void>;
}

/**
 * The node a connection id names: what comes before its `:` (`b` for `b:c7`);
 * `undefined` for an id of a lone node (`c7`), which names none.
 */
export function nodeOf(connectionId: string): string | undefined {
  const end = connectionId.indexOf(':');
  return end > 0 ? connectionId.slice(0, end) : undefined;
}

/**
 * The broker of a lone node, and the default: every connection is local, so
 * there is nothing to relay. A command for a connection that is not here finds
 * no node to go to, and is counted as lost.
 */
export class LocalBroker implements Broker {
  readonly nodeId = '';
  readonly presence = new LocalPresence();
  /** Histories in this process; a new broker (a restarted node) starts a new epoch. */
  readonly history: MemoryHistory;
  /** A lone node holds every lease. */
  readonly leases: LeaseStore = {
    acquire: () => Promise.resolve(true),
    release: () => undefined,
  };
  /** Keys of requests handled once, in this process. */
  readonly once: MemoryOnceStore;
  private lost = 0;

  /**
   * How the memory stores run: `clock` measures the history's `ttlMs` and the
   * windows of keys handled once (the app passes its own).
   */
  constructor(options: MemoryHistoryOptions = {}) {
    this.history = new MemoryHistory(options);
    this.once = new MemoryOnceStore({ clock: options.clock });
  }

  start(node: BrokerNode): Promise<void> {
    this.history.start(node);
    return Promise.resolve();
  }

  publish(): void {}

  command(): void {
    this.lost++;
  }

  channelCreated(): void {}

  channelDeleted(): void {}

  stats(): BrokerStats {
    return { relayed: 0, received: 0, lost: this.lost };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
