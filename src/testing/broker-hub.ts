import {
  LocalPresence,
  nodeOf,
  type Broker,
  type BrokerNode,
  type BrokerStats,
  type ConnectionCommand,
  type LeaseStore,
  type RelayScope,
} from '../core/broker.js';
import type { Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import type { Position } from '../core/history.js';
import { MemoryHistory } from '../core/memory-history.js';
import { MemoryOnceStore } from '../core/memory-once.js';
import { Frame } from '../protocol/frame.js';

/**
 * Several apps in one process, linked as the nodes of one application: what a
 * Redis broker does between processes, in memory, for tests of code that runs
 * on many nodes (`app.to(id)`, channels, publishes heard everywhere).
 *
 * ```ts
 * const hub = new BrokerHub();
 * const a = await createTestApp({ senders, broker: hub.broker('a') });
 * const b = await createTestApp({ senders, broker: hub.broker('b') });
 * ```
 *
 * Like a real broker it delivers asynchronously (on the microtask queue, in
 * the order things were sent) and at most once; {@link settled} waits until
 * nothing is in flight. Histories are the hub's, shared by its nodes: a
 * message of an event with a history reaches every node, the publishing one
 * too, on a later microtask and in offset order, as from Redis.
 */
export class BrokerHub {
  /** Presence shared by every node of the hub; a node's entries go when it closes. */
  readonly presence = new LocalPresence();
  /** Histories shared by every node of the hub. */
  readonly history = new MemoryHistory();
  /** Keys of requests handled once, shared by every node: a retry to another node is recognised. */
  readonly once: MemoryOnceStore;
  private readonly nodes = new Map<string, HubBroker>();
  /** Who holds each lease. In memory a lease lasts until its node releases it or closes. */
  private readonly leaseHolders = new Map<string, string>();
  private readonly channels = new Set<string>();
  private inFlight = 0;
  private seq = 0;

  /** `clock` measures the windows of keys handled once; give the one your apps share, if any. */
  constructor(options: { readonly clock?: Clock } = {}) {
    this.once = new MemoryOnceStore({ clock: options.clock });
    this.history.start({
      deliverRecorded: (event, frame, position, scope) => {
        this.record(event, frame.text, position, scope);
        return 0;
      },
    });
  }

  /** @internal Hands a recorded message to every node, later, in the order recorded. */
  private record(
    event: string,
    text: string,
    position: Position,
    scope: RelayScope | undefined,
  ): void {
    for (const node of this.nodes.values()) {
      const carried = scope && { topics: scope.topics && [...scope.topics], except: scope.except };
      this.later(() =>
        node.recorded((n) => n.deliverRecorded(event, new Frame(text), position, carried)),
      );
    }
  }

  /** A broker for one more node; `nodeId` defaults to `n1`, `n2`, ... */
  broker(nodeId = `n${++this.seq}`): Broker {
    if (nodeId === '' || nodeId.includes(':')) {
      throw new UsageError(`a node id must be non-empty and free of ':', got '${nodeId}'`);
    }
    return new HubBroker(nodeId, this);
  }

  /** Resolves once everything sent through the hub has been delivered. */
  async settled(): Promise<void> {
    for (let turn = 0; this.inFlight > 0 && turn < 10_000; turn++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** @internal */
  join(broker: HubBroker): readonly string[] {
    if (this.nodes.has(broker.nodeId)) {
      throw new UsageError(`node id '${broker.nodeId}' is already taken in this hub`);
    }
    this.nodes.set(broker.nodeId, broker);
    return [...this.channels];
  }

  /** @internal */
  leave(broker: HubBroker): void {
    if (this.nodes.get(broker.nodeId) !== broker) return;
    this.nodes.delete(broker.nodeId);
    this.presence.dropNode(broker.nodeId);
    for (const [name, holder] of this.leaseHolders) {
      if (holder === broker.nodeId) this.leaseHolders.delete(name);
    }
  }

  /** @internal Every node but `from`. */
  others(from: HubBroker): HubBroker[] {
    const out: HubBroker[] = [];
    for (const node of this.nodes.values()) if (node !== from) out.push(node);
    return out;
  }

  /** @internal */
  node(nodeId: string): HubBroker | undefined {
    return this.nodes.get(nodeId);
  }

  /** @internal */
  lease(name: string, nodeId: string, take: boolean): boolean {
    const holder = this.leaseHolders.get(name);
    if (!take) {
      if (holder === nodeId) this.leaseHolders.delete(name);
      return false;
    }
    if (holder !== undefined && holder !== nodeId) return false;
    this.leaseHolders.set(name, nodeId);
    return true;
  }

  /** @internal */
  remember(name: string, exists: boolean): void {
    if (exists) this.channels.add(name);
    else this.channels.delete(name);
  }

  /** @internal Runs `deliver` later, in order with everything else sent. */
  later(deliver: () => void): void {
    this.inFlight++;
    queueMicrotask(() => {
      this.inFlight--;
      deliver();
    });
  }
}

class HubBroker implements Broker {
  readonly presence: LocalPresence;
  readonly history: MemoryHistory;
  readonly once: MemoryOnceStore;
  readonly leases: LeaseStore = {
    acquire: (name) => Promise.resolve(this.hub.lease(name, this.nodeId, true)),
    release: (name) => void this.hub.lease(name, this.nodeId, false),
  };
  private node: BrokerNode | undefined;
  private relayed = 0;
  private received = 0;
  private lost = 0;

  constructor(
    readonly nodeId: string,
    private readonly hub: BrokerHub,
  ) {
    this.presence = hub.presence;
    this.history = hub.history;
    this.once = hub.once;
  }

  start(node: BrokerNode): Promise<void> {
    const channels = this.hub.join(this);
    this.node = node;
    for (const name of channels) node.channelCreated(name);
    return Promise.resolve();
  }

  publish(event: string, frame: Frame, scope?: RelayScope): void {
    // The text crosses, as it would over a network: each node makes its own Frame,
    // and its own copy of the scope.
    const text = frame.text;
    const carried = scope && { topics: scope.topics && [...scope.topics], except: scope.except };
    for (const other of this.hub.others(this)) {
      this.relayed++;
      this.hub.later(() => other.arrive((node) => node.deliver(event, new Frame(text), carried)));
    }
  }

  command(connectionId: string, command: ConnectionCommand): void {
    const named = nodeOf(connectionId);
    const target = named === undefined ? undefined : this.hub.node(named);
    if (target === undefined || target === this) {
      this.lost++;
      return;
    }
    this.relayed++;
    this.hub.later(() => target.arrive((node) => node.command(connectionId, command)));
  }

  channelCreated(name: string): void {
    this.hub.remember(name, true);
    this.tell((node) => node.channelCreated(name));
  }

  channelDeleted(name: string): void {
    this.hub.remember(name, false);
    this.tell((node) => node.channelDeleted(name));
  }

  stats(): BrokerStats {
    return { relayed: this.relayed, received: this.received, lost: this.lost };
  }

  close(): Promise<void> {
    this.hub.leave(this);
    this.node = undefined;
    return Promise.resolve();
  }

  /** Something another node sent arrives here; dropped once this node has closed. */
  arrive(handle: (node: BrokerNode) => void): void {
    if (this.node === undefined) return;
    this.received++;
    handle(this.node);
  }

  /** A message of a history arrives here (not counted as relayed: the store delivers it). */
  recorded(handle: (node: BrokerNode) => void): void {
    if (this.node !== undefined) handle(this.node);
  }

  private tell(handle: (node: BrokerNode) => void): void {
    for (const other of this.hub.others(this)) {
      this.relayed++;
      this.hub.later(() => other.arrive(handle));
    }
  }
}
