import { CloseCode } from '../protocol/errors.js';
import type {
  AnyEvents,
  EventMapOf,
  PublishableEvent,
  PublishData,
} from '../protocol/event-map.js';
import { Frame } from '../protocol/frame.js';
import type { Broker, BrokerNode, ConnectionCommand, RelayScope } from './broker.js';
import type { Channels } from './channels.js';
import type { Position } from './history.js';
import type { CaromLogger } from './logger.js';
import type { Publisher } from './publisher.js';
import type { Session } from './session.js';
import type { Sessions } from './sessions.js';
import type { SubscriptionRequests } from './subscription-requests.js';
import type { Topics } from './topics.js';

/** What this node's side of the cluster works with. */
export interface ClusterParts {
  readonly broker: Broker;
  readonly publisher: Publisher;
  readonly sessions: Sessions;
  readonly requests: SubscriptionRequests;
  readonly channels: Channels;
  readonly topics: Topics;
  readonly logger: CaromLogger;
}

/**
 * This node as the broker sees it, and the one place that decides whether a
 * connection id is served here or by another node. A command for a local
 * connection is carried out at once; any other goes through the broker to
 * the node whose prefix the id carries.
 */
export class ClusterNode implements BrokerNode {
  constructor(private readonly parts: ClusterParts) {}

  deliver(event: string, frame: Frame, scope?: RelayScope): number {
    return this.parts.publisher.deliver(event, frame, scope);
  }

  deliverRecorded(
    event: string,
    frame: Frame,
    position: Position,
    scope: RelayScope | undefined,
  ): number {
    return this.parts.publisher.deliverRecorded(event, frame, position, scope);
  }

  command(connectionId: string, command: ConnectionCommand): boolean {
    const session = this.parts.sessions.withId(connectionId);
    if (session === undefined) return false;
    try {
      this.apply(session, command);
    } catch (err) {
      // A name another node sent that this node refuses (say, a channel already gone):
      // the sender could not be told, so it is logged here.
      this.parts.logger.warn(`a ${command.kind} for ${connectionId} from another node failed`, err);
    }
    return true;
  }

  channelCreated(name: string): void {
    if (!this.parts.channels.adopt(name) && !this.parts.channels.has(name)) {
      this.parts.logger.warn(
        `another node created channel '${name}', which this node declares otherwise`,
      );
    }
  }

  channelDeleted(name: string): void {
    this.parts.channels.forget(name);
  }

  topicOf(event: string): string | undefined {
    return this.parts.topics.topicOf(event);
  }

  topics(): string[] {
    return this.parts.topics.declared();
  }

  channels(): string[] {
    return this.parts.channels.list();
  }

  /**
   * Carries out a command for a connection wherever it is. On this node a
   * mistake (a malformed or undeclared name) throws a `UsageError` to the
   * caller; on another node it is logged there.
   */
  route(connectionId: string, command: ConnectionCommand): void {
    const session = this.parts.sessions.withId(connectionId);
    if (session !== undefined) this.apply(session, command);
    else this.parts.broker.command(connectionId, command);
  }

  private apply(session: Session, command: ConnectionCommand): void {
    switch (command.kind) {
      case 'send':
        session.write(new Frame(command.frame));
        return;
      case 'subscribe':
        this.parts.requests.serverSubscribe(session, command.names);
        return;
      case 'unsubscribe':
        this.parts.requests.serverUnsubscribe(session, command.names);
        return;
      case 'close':
        session.close(command.code, command.reason);
        return;
    }
  }
}

/**
 * A connection named by its id, on this node or any other: what presence lists
 * and `app.to(id)` give. Every call is carried out at once when the
 * connection is here, and relayed to its node otherwise (at most once, like
 * every relay: a connection that closed meanwhile misses it).
 */
export class ConnectionRef<M extends EventMapOf<M> = AnyEvents> {
  /** @internal `app.to(id)` makes it. */
  constructor(
    /** The connection's id (`connection.id` on its node). */
    readonly id: string,
    private readonly node: ClusterNode,
    private readonly publisher: Publisher,
  ) {}

  /** Sends one event to this connection alone. Throws a `UsageError` when `data` is not JSON. */
  send<E extends PublishableEvent<M>>(event: E, data: PublishData<M, E>): void {
    this.node.route(this.id, { kind: 'send', frame: this.publisher.frame(event, data).text });
  }

  /** Subscribes the connection, with the protocol's rules, as `connection.subscribe` does. */
  subscribe(...names: string[]): void {
    this.node.route(this.id, { kind: 'subscribe', names });
  }

  /** Removes subscriptions, as `connection.unsubscribe` does. */
  unsubscribe(...names: string[]): void {
    this.node.route(this.id, { kind: 'unsubscribe', names });
  }

  /** Closes the connection (1000 by default). */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    this.node.route(this.id, { kind: 'close', code, reason });
  }
}
