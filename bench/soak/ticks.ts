/**
 * The tick check of one session, from `join` to `leave`: every sequence number
 * after the one `join` answered, up to the one `leave` answered, is owed once
 * and in order. Ticks can arrive before the join's ack is seen (the ack and the
 * next tick may come in one read); they wait until it is.
 */

/** Ticks kept while the join's ack is awaited; more are counted unexpected. */
const MAX_EARLY = 10_000;

/** The counts of one session, once it has left. */
export interface SessionTally {
  readonly owed: number;
  readonly received: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  readonly unexpected: number;
}

/** One join..leave window of ticks. */
export class TickWindow {
  private joinSeq: number | undefined;
  private leaveSeq: number | undefined;
  private readonly early: number[] = [];
  private readonly seen = new Set<number>();
  private maxSeen = 0;
  private duplicated = 0;
  private outOfOrder = 0;
  private unexpected = 0;

  /** A tick arrived. */
  tick(seq: number): void {
    if (!Number.isSafeInteger(seq)) {
      this.unexpected++;
    } else if (this.joinSeq === undefined) {
      if (this.early.length < MAX_EARLY) this.early.push(seq);
      else this.unexpected++;
    } else if (this.leaveSeq !== undefined) {
      // After the leave's ack nothing is owed: the server unsubscribed before answering.
      this.unexpected++;
    } else {
      this.record(seq);
    }
  }

  /** The join's ack arrived with the last seq published before the subscription. */
  joined(seq: number): void {
    this.joinSeq = seq;
    this.maxSeen = seq;
    for (const s of this.early.splice(0)) this.record(s);
  }

  /** The leave's ack arrived with the last seq published before the unsubscription. */
  left(seq: number): SessionTally {
    if (this.joinSeq === undefined) throw new Error('left before joining');
    this.leaveSeq = seq;
    let received = 0;
    for (const s of this.seen) {
      if (s <= seq) received++;
      else this.unexpected++;
    }
    return {
      owed: Math.max(0, seq - this.joinSeq),
      received,
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
      unexpected: this.unexpected,
    };
  }

  private record(seq: number): void {
    if (seq <= this.joinSeq!) {
      this.unexpected++;
    } else if (this.seen.has(seq)) {
      this.duplicated++;
    } else {
      if (seq < this.maxSeen) this.outOfOrder++;
      else this.maxSeen = seq;
      this.seen.add(seq);
    }
  }
}
