import { randomBytes } from 'node:crypto';
import { withPosition } from '../protocol/envelope.js';
import { Frame } from '../protocol/frame.js';
import type { RelayScope } from './broker.js';
import { systemClock, type Clock } from './clock.js';
import type {
  HistoryEntry,
  HistoryNode,
  HistoryOptions,
  HistoryRead,
  HistoryStore,
  Position,
} from './history.js';

/** Options of {@link MemoryHistory}. */
export interface MemoryHistoryOptions {
  /** The clock `ttlMs` is measured by. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * Event histories kept: a family (`room.*`) can name events without end.
   * Past it, the history of the event published least recently is dropped
   * (a client resuming it is told `EPOCH`). Histories a resume or `recent`
   * made for events never published are bounded apart, by the same number,
   * so that reads cannot push out what was published. Default 10 000.
   */
  readonly maxEvents?: number;
}

/** Default of {@link MemoryHistoryOptions.maxEvents}. */
export const MAX_EVENTS = 10_000;

/**
 * One event's messages: a ring of at most `size` texts, with the time each
 * was published. The entry at ring index `(start + i) % size` has offset
 * `offset - count + 1 + i`.
 */
class EventHistory {
  offset = 0;
  count = 0;
  private start = 0;
  private readonly texts: string[] = [];
  private readonly times: number[] = [];
  private readonly scopes: (RelayScope | undefined)[] = [];
  /**
   * The positioned frame of a message, made the first time a replay needs it
   * and shared by every later one: a thousand clients resuming the same
   * messages encode and frame each once, not once each.
   */
  private readonly frames: (Frame | undefined)[] = [];

  constructor(
    readonly epoch: string,
    private readonly options: HistoryOptions,
  ) {}

  /** Appends a message; the oldest goes when `size` are held. */
  append(text: string, scope: RelayScope | undefined, now: number): number {
    const size = this.options.size;
    let at = this.start;
    if (this.count < size) {
      // Grows up to `size` rather than allocating it up front: most histories stay small.
      at = (this.start + this.count) % size;
      this.count++;
    } else {
      this.start = (this.start + 1) % size;
    }
    this.texts[at] = text;
    this.times[at] = now;
    this.scopes[at] = scope;
    this.frames[at] = undefined;
    return ++this.offset;
  }

  /** Drops what is older than the ttl. */
  trim(now: number): void {
    const ttl = this.options.ttlMs;
    if (ttl === undefined) return;
    const size = this.options.size;
    while (this.count > 0 && this.times[this.start]! <= now - ttl) {
      // Released for the collector: a quiet room must not pin its old messages.
      this.texts[this.start] = '';
      this.scopes[this.start] = undefined;
      this.frames[this.start] = undefined;
      this.start = (this.start + 1) % size;
      this.count--;
    }
  }

  /** The offset of the oldest message held (one past the newest when none is). */
  get first(): number {
    return this.offset - this.count + 1;
  }

  /** Up to `limit` messages from offset `from` on, oldest first. */
  entries(from: number, limit: number): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    const size = this.options.size;
    const end = Math.min(this.offset, from + limit - 1);
    for (let offset = Math.max(from, this.first); offset <= end; offset++) {
      const i = (this.start + (offset - this.first)) % size;
      const scope = this.scopes[i];
      const text = this.texts[i]!;
      const frame = (this.frames[i] ??= new Frame(withPosition(text, this.epoch, offset)));
      out.push(scope === undefined ? { offset, text, frame } : { offset, text, scope, frame });
    }
    return out;
  }
}

/**
 * The history store of a lone node, in this process: per event a ring of its
 * last `size` messages, trimmed of those older than `ttlMs` when it is written
 * or read. Its epochs are random, made when the store is, so a restart of the
 * process (a new store) is reported to resuming clients as `EPOCH`. Publishes
 * are delivered at once, in the caller's turn, in offset order.
 *
 * Bounded: `size` messages per event, and `maxEvents` event histories (a
 * family such as `room.*` can name events without end); past that the
 * history published least recently is dropped, and an event whose history was
 * dropped starts again under a new epoch.
 */
export class MemoryHistory implements HistoryStore {
  private node: HistoryNode | undefined;
  private readonly clock: Clock;
  private readonly maxEvents: number;
  /** This store's random part of every epoch. */
  private readonly base = randomBytes(9).toString('base64url');
  private generation = 0;
  /** Events published, least recently published first. */
  private readonly published = new Map<string, EventHistory>();
  /** Events read but never published (a resume of a quiet room), oldest first. */
  private readonly unpublished = new Map<string, EventHistory>();

  constructor(options: MemoryHistoryOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxEvents = options.maxEvents ?? MAX_EVENTS;
  }

  /** Where recorded messages are delivered from now on; the broker calls it at its start. */
  start(node: HistoryNode): void {
    this.node = node;
  }

  /** How many event histories are kept now. */
  get events(): number {
    return this.published.size + this.unpublished.size;
  }

  publish(
    event: string,
    frame: Frame,
    history: HistoryOptions,
    scope: RelayScope | undefined,
  ): void {
    const now = this.clock.now();
    let h = this.published.get(event);
    if (h !== undefined) {
      // Moved to the end: the least recently published is the first to go.
      this.published.delete(event);
    } else {
      h = this.unpublished.get(event);
      if (h !== undefined) this.unpublished.delete(event);
      else h = this.made(history);
      this.bound(this.published);
    }
    this.published.set(event, h);
    h.trim(now);
    const offset = h.append(frame.text, scope, now);
    this.node?.deliverRecorded(event, frame, { epoch: h.epoch, offset }, scope);
  }

  read(
    event: string,
    history: HistoryOptions,
    since: Position | undefined,
    limit: number,
  ): Promise<HistoryRead> {
    const h = this.readable(event, history);
    h.trim(this.clock.now());
    const { epoch, offset } = h;
    if (since === undefined) {
      const entries = h.entries(Math.max(h.first, offset - limit + 1), limit);
      return Promise.resolve({ epoch, offset, entries, complete: true });
    }
    // What followed `since` is all here only in the same epoch, when it has not
    // rolled over or expired, and when `since` is not ahead of what was published.
    const complete = since.epoch === epoch && since.offset <= offset && since.offset + 1 >= h.first;
    const entries = complete ? h.entries(since.offset + 1, limit) : [];
    return Promise.resolve({ epoch, offset, entries, complete });
  }

  /**
   * The event's history for a read, made when there is none, so that the
   * position it reports holds when the first message comes.
   */
  private readable(event: string, history: HistoryOptions): EventHistory {
    let h = this.published.get(event) ?? this.unpublished.get(event);
    if (h === undefined) {
      this.bound(this.unpublished);
      this.unpublished.set(event, (h = this.made(history)));
    }
    return h;
  }

  private made(history: HistoryOptions): EventHistory {
    return new EventHistory(`${this.base}.${(this.generation++).toString(36)}`, history);
  }

  /** Makes room for one more in `events`, dropping its oldest. */
  private bound(events: Map<string, EventHistory>): void {
    if (events.size < this.maxEvents) return;
    events.delete(events.keys().next().value as string);
  }
}
