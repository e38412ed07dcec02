/**
 * Emits waiting for a connection: a bounded queue that gives up its oldest
 * entry when full, and empties in order when the client opens.
 */

/** One queued emit: its event name (for drop reports) and its frame, encoded when it was made. */
export interface QueuedEmit {
  readonly event: string;
  readonly frame: string;
}

/** The emits made while disconnected, at most `max` of them. */
export class Outbox {
  private readonly queue: QueuedEmit[] = [];

  constructor(private readonly max: number) {}

  /** Queues an emit; returns the oldest one when it had to make room. */
  push(event: string, frame: string): QueuedEmit | undefined {
    const dropped = this.queue.length >= this.max ? this.queue.shift() : undefined;
    this.queue.push({ event, frame });
    return dropped;
  }

  /** Takes every queued emit, oldest first, leaving the outbox empty. */
  take(): QueuedEmit[] {
    return this.queue.splice(0);
  }
}
