/**
 * Emits waiting for a connection: a bounded queue that gives up its oldest
 * entry when full, and empties in order when the client opens.
 */

/**
 * One queued emit: its event name (for drop reports) and its frame, encoded
 * when it was made; `id` when it is retried (its frame carries the id and a key).
 */
export interface QueuedEmit {
  readonly event: string;
  readonly frame: string;
  readonly id?: number;
}

/** The emits made while disconnected, at most `max` of them. */
export class Outbox {
  private readonly queue: QueuedEmit[] = [];

  constructor(private readonly max: number) {}

  /** Queues an emit; returns the oldest one when it had to make room. */
  push(emit: QueuedEmit): QueuedEmit | undefined {
    const dropped = this.queue.length >= this.max ? this.queue.shift() : undefined;
    this.queue.push(emit);
    return dropped;
  }

  /** Takes every queued emit, oldest first, leaving the outbox empty. */
  take(): QueuedEmit[] {
    return this.queue.splice(0);
  }
}
