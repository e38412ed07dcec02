import { withSkipped } from '../protocol/envelope.js';
import { Frame } from '../protocol/frame.js';
import type { DeliveryPolicy } from './delivery.js';
import type { Peer } from './seam.js';

/** One message waiting: the newest of its slot, and how many it replaced. */
interface Waiting {
  frame: Frame;
  skipped: number;
  readonly policy: DeliveryPolicy;
}

/**
 * What waits for one backlogged connection, of its `latest` events: one
 * message per slot (an event, or an event and a key), the newest. Its size is
 * bounded by the distinct slots, never by how fast the server publishes.
 * Frames already handed to the socket cannot be taken back, so conflation
 * happens here, before them.
 */
export class OutboundQueue {
  /** In the order of each slot's last update: a replaced slot moves to the end. */
  private readonly waiting = new Map<string, Waiting>();

  /** Slots waiting now. */
  get size(): number {
    return this.waiting.size;
  }

  /**
   * Puts `frame` in its slot, replacing (and counting) an older one. False
   * when the slot is new and `maxSlots` are taken: the caller gives up on the
   * connection rather than hold more.
   */
  put(slot: string, frame: Frame, policy: DeliveryPolicy, maxSlots: number): boolean {
    const older = this.waiting.get(slot);
    if (older !== undefined) {
      policy.conflated++;
      // Deleted and set again, so that the slot's place is its last update's.
      this.waiting.delete(slot);
      this.waiting.set(slot, { frame, skipped: older.skipped + 1, policy });
      return true;
    }
    if (this.waiting.size >= maxSlots) return false;
    this.waiting.set(slot, { frame, skipped: 0, policy });
    return true;
  }

  /**
   * Writes everything waiting to `peer`, oldest update first, and empties the
   * queue. With `marked`, a message that replaced older ones carries the
   * protocol's `skipped` marker (a frame of its own, made here on the slow path).
   */
  flush(peer: Peer, marked: boolean): void {
    for (const w of this.waiting.values()) {
      w.policy.deferred++;
      const frame =
        marked && w.skipped > 0 ? new Frame(withSkipped(w.frame.text, w.skipped)) : w.frame;
      peer.send(frame);
    }
    this.waiting.clear();
  }
}
