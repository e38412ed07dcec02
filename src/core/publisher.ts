import { encodeEvent, toJson } from '../protocol/envelope.js';
import { Frame } from '../protocol/frame.js';
import type { TimestampWriter } from '../protocol/timestamp.js';
import type { Clock } from './clock.js';
import { appErrorCausedBy } from './errors.js';
import type { Session } from './session.js';
import type { Subscriptions } from './subscriptions.js';

/**
 * Turns server-side data into frames and writes them. A publish serializes the
 * envelope once and hands the same frame to every recipient from the index.
 */
export class Publisher {
  constructor(
    private readonly index: Subscriptions<Session>,
    private readonly clock: Clock,
    private readonly timestamps: TimestampWriter,
  ) {}

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

  /** Sends `event` to its subscribers; returns how many received it. */
  publish(event: string, data: unknown, eventJson?: string): number {
    const recipients = this.index.recipients(event);
    if (recipients.length === 0) return 0;
    const frame = this.frame(event, data, eventJson);
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
    return sent;
  }
}
