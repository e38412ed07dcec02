import { withPosition } from '../protocol/envelope.js';
import { CloseCode } from '../protocol/errors.js';
import { Frame } from '../protocol/frame.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Position } from './history.js';
import type { Peer } from './seam.js';

/** Live messages of one event kept back while its history is being replayed. */
interface Held {
  /** The most it may keep: the history's size (more could not be replayed either). */
  readonly bound: number;
  readonly texts: string[];
  readonly positions: Position[];
}

/** What a replay needs of its connection. */
export interface ReplayTarget {
  readonly peer: Peer;
  readonly open: boolean;
  close(code: number, reason: string): void;
}

/**
 * One connection's replays in progress (`Session.replay`, written only by
 * `Recovery`): the live messages of each event being replayed, held back so
 * that they follow the history instead of overtaking it, and the wait for
 * the socket to drain between chunks of history.
 */
export class Replay {
  private readonly holds = new Map<string, Held>();
  private wake: ((drained: boolean) => void) | undefined = undefined;

  constructor(private readonly target: ReplayTarget) {}

  /** True while some event is held. */
  get holding(): boolean {
    return this.holds.size > 0;
  }

  /** Starts holding `event`'s live messages, at most `bound` of them. False when it is held already. */
  begin(event: string, bound: number): boolean {
    if (this.holds.has(event)) return false;
    this.holds.set(event, { bound, texts: [], positions: [] });
    return true;
  }

  /**
   * A live message for this connection: true when its event is held, and it
   * is kept for later. A connection whose held messages pass the history's
   * size is closed with 1013 (it reads slower than the event is published);
   * it may reconnect and resume again.
   */
  held(event: string, frame: Frame, position: Position): boolean {
    const held = this.holds.get(event);
    if (held === undefined) return false;
    if (held.texts.length >= held.bound) {
      this.end();
      this.target.close(CloseCode.TRY_AGAIN_LATER, 'too slow: live messages outran the replay');
      return true;
    }
    held.texts.push(frame.text);
    held.positions.push(position);
    return true;
  }

  /**
   * Stops holding `event` and writes what was held that the replay did not
   * cover: a message of another epoch than `epoch`, or with an offset past
   * `after`. Returns the offset of the last message written in `epoch`, or
   * `after` when none was.
   */
  release(event: string, epoch: string, after: number): number {
    const held = this.holds.get(event);
    if (held === undefined) return after;
    this.holds.delete(event);
    let last = after;
    const { texts, positions } = held;
    for (let i = 0; i < texts.length; i++) {
      const p = positions[i]!;
      if (p.epoch === epoch) {
        if (p.offset <= last) continue;
        last = p.offset;
      }
      if (this.target.open) {
        this.target.peer.send(new Frame(withPosition(texts[i]!, p.epoch, p.offset)));
      }
    }
    return last;
  }

  /** Stops holding `event`, writing everything it held (nothing was replayed). */
  releaseAll(event: string): void {
    this.release(event, '', Number.MAX_SAFE_INTEGER);
  }

  /** True when more than `limit` bytes wait for the socket, and it can say when they are gone. */
  backlogged(limit: number): boolean {
    const peer = this.target.peer;
    return (peer.bufferedBytes ?? 0) > limit && peer.awaitDrain !== undefined;
  }

  /**
   * Waits until the socket drains. Resolves false when it did not within
   * `ms` (0: no limit), or the connection closed; the caller then stops.
   */
  drain(clock: Clock, ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer: TimerHandle = ms > 0 ? clock.setTimeout(() => this.wake?.(false), ms) : null;
      this.wake = (drained) => {
        this.wake = undefined;
        if (ms > 0) clock.clearTimeout(timer);
        resolve(drained);
      };
      this.target.peer.awaitDrain!();
    });
  }

  /** The socket drained (`Session.onDrain`). */
  drained(): void {
    this.wake?.(true);
  }

  /** The connection closed, or gave up: nothing is held any more, and a wait ends. */
  end(): void {
    this.holds.clear();
    this.wake?.(false);
  }
}
