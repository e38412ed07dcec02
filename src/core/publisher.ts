import { encodeEvent, toJson } from '../protocol/envelope.js';
import { Frame } from '../protocol/frame.js';
import type { TimestampWriter } from '../protocol/timestamp.js';
import { RELAYED, type Backlog } from './backlog.js';
import type { Broker } from './broker.js';
import type { DeliveryPolicies } from './delivery.js';
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
    const recipients = this.index.recipients(event);
    const obs = this.observer;
    if (obs !== undefined) obs.sent(event, recipients.length);
    if (recipients.length === 0 && !this.relaying) return 0;
    const frame = this.frame(event, data, eventJson);
    if (this.relaying) this.broker.publish(event, frame);
    return this.writeEvent(event, data, recipients, frame);
  }

  /** Sends `event` to this node's subscribers only (a timed sender that runs on every node). */
  publishHere(event: string, data: unknown, eventJson?: string): number {
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

  /** Writes a frame another node published to this node's subscribers of `event`. */
  deliver(event: string, frame: Frame): number {
    const recipients = this.index.recipients(event);
    const obs = this.observer;
    if (obs !== undefined) obs.sent(event, recipients.length);
    return this.writeEvent(event, RELAYED, recipients, frame);
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
