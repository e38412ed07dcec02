import { encodeEvent, toJson, withPosition } from '../protocol/envelope.js';
import { Frame } from '../protocol/frame.js';
import type { TimestampWriter } from '../protocol/timestamp.js';
import { RELAYED, type Backlog } from './backlog.js';
import type { Broker, RelayScope } from './broker.js';
import type { DeliveryPolicies } from './delivery.js';
import type { HistoryOptions, HistoryStore, Position } from './history.js';
import type { HistoryPolicies } from './history-policies.js';
import type { Clock } from './clock.js';
import { appErrorCausedBy } from './errors.js';
import type { CaromObserver } from './observer.js';
import type { Session } from './session.js';
import type { Subscriptions } from './subscriptions.js';

/**
 * Turns server-side data into frames and writes them. A publish serializes the
 * envelope once and hands the same frame to every recipient from the index,
 * and to the broker for the other nodes; a frame relayed from another node is
 * written as it arrived.
 */
export class Publisher {
  /** False for a lone node: then a publish nobody here hears is not even serialized. */
  private readonly relaying: boolean;
  /** Metrics and traces; set by the app when something observes. */
  observer: CaromObserver | undefined = undefined;
  /**
   * Events with a history, and where they are recorded; set by the app. An
   * app without history leaves the policies empty: one size check per publish.
   */
  history: PublisherHistory | undefined = undefined;
  /** How many connections the last recorded message reached here, or -1 (delivered later). */
  private reached = -1;

  constructor(
    private readonly index: Subscriptions<Session>,
    private readonly clock: Clock,
    private readonly timestamps: TimestampWriter,
    private readonly broker: Broker,
    /** Events delivered `latest` or `drop`, and their write path; absent or empty, none are. */
    private readonly delivery?: { readonly policies: DeliveryPolicies; readonly backlog: Backlog },
  ) {
    this.relaying = broker.nodeId !== '';
  }

  /** One frame for `event` with `data`. Throws a `UsageError` when `data` cannot be serialized. */
  frame(event: string, data: unknown, eventJson = JSON.stringify(event)): Frame {
    let dataJson: string;
    try {
      dataJson = toJson(data);
    } catch (err) {
      throw appErrorCausedBy(err, 'CAROM_ERR_NOT_JSON', event, (err as Error).message);
    }
    return new Frame(encodeEvent(eventJson, dataJson, this.timestamps.write(this.clock.now())));
  }

  /**
   * Sends `event` to its subscribers, here and on the other nodes; returns how
   * many of this node's connections received it.
   */
  publish(event: string, data: unknown, eventJson?: string): number {
    const recorded = this.historyOf(event);
    if (recorded !== undefined) return this.record(event, data, recorded, undefined, eventJson);
    const recipients = this.index.recipients(event);
    const obs = this.observer;
    if (obs !== undefined) obs.sent(event, recipients.length);
    if (recipients.length === 0 && !this.relaying) return 0;
    const frame = this.frame(event, data, eventJson);
    if (this.relaying) this.broker.publish(event, frame);
    return this.writeEvent(event, data, recipients, frame);
  }

  /**
   * A publish with a scope: to the subscribers of `scope.topics` (of `event`
   * when absent), each once however many of the topics it holds, and never to
   * the connection whose id is `scope.except`; here and, with the scope, on
   * the other nodes. The frame is serialized once.
   */
  publishScoped(event: string, data: unknown, scope: RelayScope, eventJson?: string): number {
    const recorded = this.historyOf(event);
    if (recorded !== undefined) return this.record(event, data, recorded, scope, eventJson);
    if (scope.topics === undefined && !this.relaying && this.index.recipients(event).length === 0) {
      return this.observed(event, 0);
    }
    const frame = this.frame(event, data, eventJson);
    if (this.relaying) this.broker.publish(event, frame, scope);
    return this.observed(event, this.writeScoped(event, data, frame, scope));
  }

  /**
   * Sends `event` to this node's subscribers only (a timed sender that runs on
   * every node). An event with a history is published as by {@link publish}:
   * its history, and its offsets, are the cluster's.
   */
  publishHere(event: string, data: unknown, eventJson?: string): number {
    const recorded = this.historyOf(event);
    if (recorded !== undefined) return this.record(event, data, recorded, undefined, eventJson);
    const recipients = this.index.recipients(event);
    const obs = this.observer;
    if (obs !== undefined) obs.sent(event, recipients.length);
    if (recipients.length === 0) return 0;
    return this.writeEvent(event, data, recipients, this.frame(event, data, eventJson));
  }

  /**
   * Sends a frame already built to the subscribers of `topic`, here and on the
   * other nodes (framework notices, whose event is not the topic's).
   */
  publishFrame(topic: string, frame: Frame): number {
    if (this.relaying) this.broker.publish(topic, frame);
    const recipients = this.index.recipients(topic);
    const obs = this.observer;
    if (obs !== undefined) obs.sent(topic, recipients.length);
    return this.write(recipients, frame);
  }

  /** Writes a frame another node published to this node's subscribers of `event`, or to its scope's. */
  deliver(event: string, frame: Frame, scope?: RelayScope): number {
    if (scope !== undefined)
      return this.observed(event, this.writeScoped(event, RELAYED, frame, scope));
    const recipients = this.index.recipients(event);
    const obs = this.observer;
    if (obs !== undefined) obs.sent(event, recipients.length);
    return this.writeEvent(event, RELAYED, recipients, frame);
  }

  /** The history `event` is kept by; undefined at the cost of one check when the app declares none. */
  private historyOf(event: string): HistoryOptions | undefined {
    const history = this.history;
    return history === undefined || history.policies.size === 0
      ? undefined
      : history.policies.of(event);
  }

  /**
   * A publish of an event with a history: the store gives it its offset and
   * has it delivered on every node, this one included ({@link deliverRecorded}).
   * Returns how many of this node's connections it reached, or, when the store
   * delivers later (Redis), how many would now.
   */
  private record(
    event: string,
    data: unknown,
    history: HistoryOptions,
    scope: RelayScope | undefined,
    eventJson: string | undefined,
  ): number {
    const frame = this.frame(event, data, eventJson);
    this.reached = -1;
    // Present: the app refuses a history on a broker without a store.
    this.history!.store.publish(event, frame, history, scope);
    const reached = this.reached;
    if (reached >= 0) return reached;
    return scope === undefined ? this.index.recipients(event).length : 0;
  }

  /**
   * A message of an event with a history, in offset order, from the store:
   * written to this node's subscribers of `event` (or to the scope's). Clients
   * of the `carom` subprotocol get it with its position, the others as it was
   * published; each text is made once, never per recipient. A connection
   * replaying the event's history holds it until its replay is written.
   */
  deliverRecorded(
    event: string,
    frame: Frame,
    position: Position,
    scope: RelayScope | undefined,
  ): number {
    const recipients =
      scope === undefined ? this.index.recipients(event) : this.scopedRecipients(event, scope);
    let positioned: Frame | undefined;
    let sent = 0;
    const delivery = this.delivery;
    const policy =
      delivery !== undefined && delivery.policies.size !== 0 && recipients.length !== 0
        ? delivery.policies.of(event)
        : undefined;
    if (policy !== undefined) {
      positioned = new Frame(withPosition(frame.text, position.epoch, position.offset));
      let live: Session[] | undefined;
      // Rare: a policy, and a connection replaying the event, which keeps the message for later.
      for (let i = 0; i < recipients.length; i++) {
        const s = recipients[i]!;
        if (s.replay !== undefined && s.replay.held(event, frame, position)) {
          live ??= recipients.slice(0, i);
        } else if (live !== undefined) {
          live.push(s);
        }
      }
      sent = delivery!.backlog.write(live ?? recipients, frame, policy, event, RELAYED, positioned);
    } else {
      for (let i = 0; i < recipients.length; i++) {
        const s = recipients[i]!;
        const replay = s.replay;
        if (replay !== undefined && replay.held(event, frame, position)) continue;
        if (s.peer.protocol === 'carom') {
          positioned ??= new Frame(withPosition(frame.text, position.epoch, position.offset));
          s.peer.send(positioned);
        } else {
          s.peer.send(frame);
        }
        sent++;
      }
    }
    this.reached = sent;
    return this.observed(event, sent);
  }

  /** This node's connections a scope names: each once, without the one it leaves out. */
  private scopedRecipients(event: string, scope: RelayScope): readonly Session[] {
    const { topics, except } = scope;
    if (topics === undefined || topics.length === 1) {
      const topic = topics?.[0] ?? event;
      if (except === undefined) return this.index.recipients(topic);
      return this.index.union([topic], except, idOf);
    }
    return this.index.union(topics, except, idOf);
  }

  /** Tells the observer, when there is one, how many connections an event went to. */
  private observed(event: string, sent: number): number {
    const obs = this.observer;
    if (obs !== undefined) obs.sent(event, sent);
    return sent;
  }

  /** Writes a scoped publish's frame to this node's connections in its scope. */
  private writeScoped(event: string, data: unknown, frame: Frame, scope: RelayScope): number {
    const { topics, except } = scope;
    if (topics !== undefined && topics.length > 1) {
      return this.writeEvent(event, data, this.index.union(topics, except, idOf), frame);
    }
    const recipients = this.index.recipients(topics?.[0] ?? event);
    if (except === undefined) return this.writeEvent(event, data, recipients, frame);
    // One topic without a delivery policy: its cached list as it is, skipping one id, no array made.
    const delivery = this.delivery;
    if (delivery === undefined || delivery.policies.size === 0) {
      return this.writeExcept(recipients, frame, except);
    }
    return this.writeEvent(
      event,
      data,
      this.index.union([topics?.[0] ?? event], except, idOf),
      frame,
    );
  }

  private writeExcept(recipients: readonly Session[], frame: Frame, except: string): number {
    let sent = 0;
    for (let i = 0; i < recipients.length; i++) {
      const s = recipients[i]!;
      if (s.connection.id === except) continue;
      s.peer.send(frame);
      sent++;
    }
    return sent;
  }

  /** Writes an event's frame by its delivery policy: plainly, unless it has one. */
  private writeEvent(
    event: string,
    data: unknown,
    recipients: readonly Session[],
    frame: Frame,
  ): number {
    const delivery = this.delivery;
    if (delivery !== undefined && delivery.policies.size !== 0 && recipients.length !== 0) {
      const policy = delivery.policies.of(event);
      if (policy !== undefined)
        return delivery.backlog.write(recipients, frame, policy, event, data);
    }
    return this.write(recipients, frame);
  }

  private write(recipients: readonly Session[], frame: Frame): number {
    // Straight to the peers: a session leaves the index in the same step that
    // closes it, so every recipient here is open.
    for (let i = 0; i < recipients.length; i++) recipients[i]!.peer.send(frame);
    return recipients.length;
  }

  /** Sends `event` to every session given (framework announcements). */
  broadcast(event: string, data: unknown, sessions: Iterable<Session>): number {
    const frame = this.frame(event, data);
    let sent = 0;
    for (const s of sessions) if (s.write(frame)) sent++;
    const obs = this.observer;
    if (obs !== undefined) obs.sent(event, sent);
    return sent;
  }
}

/** Where a publisher records the events that have a history. */
export interface PublisherHistory {
  /** Which events have one. */
  readonly policies: HistoryPolicies;
  /** Where they are kept: the broker's. */
  readonly store: HistoryStore;
}

/** A session's connection id: how a scope's `except` names it, on any node. */
function idOf(session: Session): string {
  return session.connection.id;
}
