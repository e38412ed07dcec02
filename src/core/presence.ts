import { encodeEvent, toJson } from '../protocol/envelope.js';
import { Frame } from '../protocol/frame.js';
import { PRESENCE, patternsCover } from '../protocol/names.js';
import type { TimestampWriter } from '../protocol/timestamp.js';
import type { PresenceEntry, PresenceStore } from './broker.js';
import type { Clock } from './clock.js';
import type { CaromLogger } from './logger.js';
import type { Publisher } from './publisher.js';
import type { Session } from './session.js';
import type { ExactObserver } from './subscriptions.js';

/** What presence works with. */
export interface PresenceParts {
  /** Exact names and families (`room.*`) whose subscribers are tracked. */
  readonly topics: readonly string[];
  /** Whether joins and leaves are announced on the topic (`carom.presence`). */
  readonly notices: boolean;
  readonly store: PresenceStore;
  readonly nodeId: string;
  readonly publisher: Publisher;
  readonly clock: Clock;
  readonly timestamps: TimestampWriter;
  readonly logger: CaromLogger;
}

/**
 * Tracks who holds an exact subscription to a tracked topic, in the broker's
 * store, and announces joins and leaves to the topic's subscribers when asked
 * to. A pattern subscription (`room.*`) is not presence in a room: only exact
 * names count, as a client that joins a room subscribes to its name.
 */
export class Presence implements ExactObserver<Session> {
  private readonly exact: ReadonlySet<string>;
  private readonly families: ReadonlySet<string>;
  private readonly noticeJson = JSON.stringify(PRESENCE);

  constructor(private readonly parts: PresenceParts) {
    this.exact = new Set(parts.topics.filter((t) => !t.endsWith('*')));
    this.families = new Set(parts.topics.filter((t) => t.endsWith('*')));
  }

  /** True when subscribers of `topic` are tracked. */
  tracks(topic: string): boolean {
    return this.exact.has(topic) || patternsCover(this.families, topic);
  }

  /** Who is present on `topic`, on every node. */
  list(topic: string): Promise<PresenceEntry[]> {
    return this.parts.store.list(topic);
  }

  joined(session: Session, topic: string): void {
    if (!this.tracks(topic)) return;
    const { connection } = session;
    const entry: PresenceEntry = {
      connectionId: connection.id,
      node: this.parts.nodeId,
      user: connection.user,
    };
    this.parts.store.join(topic, entry);
    if (this.parts.notices) this.announce(topic, 'joined', entry);
  }

  left(session: Session, topic: string): void {
    if (!this.tracks(topic)) return;
    const connectionId = session.connection.id;
    this.parts.store.leave(topic, connectionId);
    if (this.parts.notices) {
      this.announce(topic, 'left', { connectionId, node: this.parts.nodeId, user: undefined });
    }
  }

  /** Sends a `carom.presence` notice to the topic's subscribers, here and on every node. */
  private announce(topic: string, kind: 'joined' | 'left', entry: PresenceEntry): void {
    let json: string;
    try {
      json = toJson({ topic, [kind]: entry });
    } catch (err) {
      // A user value that is not JSON cannot travel: the notice goes with `user: null`.
      this.parts.logger.warn(
        `a presence notice for '${topic}' carried a user that is not JSON`,
        err,
      );
      json = toJson({ topic, [kind]: { ...entry, user: null } });
    }
    const stamp = this.parts.timestamps.write(this.parts.clock.now());
    this.parts.publisher.publishFrame(topic, new Frame(encodeEvent(this.noticeJson, json, stamp)));
  }
}
