import type { InboundEnvelope } from '../protocol/envelope.js';

/** What runs a connection's envelopes: the dispatcher. */
export interface InboundRunner<O> {
  /** Handles one envelope; returns true when it finished at once, otherwise `done()` follows. */
  run(owner: O, envelope: InboundEnvelope): boolean;
}

/** How many envelopes of one connection may be handled at once, and how many may wait. */
export interface InboundLimits {
  readonly maxInFlight: number;
  readonly maxQueued: number;
}

/** The queue's flags, in one field. */
const READY = 1;
const DRAINING = 2;
const BLOCKED = 4;

/**
 * One connection's envelopes on their way in: those waiting, in arrival order,
 * and a count of those being handled. Nothing starts before `open()` (the
 * connect hooks have settled), and at most `maxInFlight` run at once; a run
 * that does not finish at once calls `done()` when it does.
 *
 * Every connection holds one, most of them idle: the waiting list is made
 * when an envelope first has to wait, and the flags share one field.
 */
export class InboundQueue<O> {
  private waiting: InboundEnvelope[] | undefined = undefined;
  private inFlight = 0;
  private flags = 0;
  private onIdle: (() => void) | undefined = undefined;

  constructor(
    private readonly owner: O,
    private readonly runner: InboundRunner<O>,
    private readonly limits: InboundLimits,
  ) {}

  /** Envelopes waiting or being handled. */
  get pending(): number {
    return this.waitingCount() + this.inFlight;
  }

  /** True once `drain` was called: the connection takes no new envelopes. */
  get draining(): boolean {
    return (this.flags & DRAINING) !== 0;
  }

  /** Starts `envelope` now, or queues it behind the others; false when the queue is full. */
  add(envelope: InboundEnvelope): boolean {
    const waiting = this.waitingCount();
    if (
      (this.flags & (READY | BLOCKED)) === READY &&
      this.inFlight < this.limits.maxInFlight &&
      waiting === 0
    ) {
      this.start(envelope);
      return true;
    }
    if (waiting >= this.limits.maxQueued) return false;
    (this.waiting ??= []).push(envelope);
    return true;
  }

  /** The connection is ready: what waited starts, as far as `maxInFlight` allows. */
  open(): void {
    this.flags |= READY;
    this.pump();
  }

  /**
   * Nothing more starts until {@link unblock}, whatever `maxInFlight` allows:
   * an envelope whose answer the ones behind it must not overtake (a
   * `subscribe` replaying history) calls it as it starts.
   */
  block(): void {
    this.flags |= BLOCKED;
  }

  /** What waited may start again (on the following `done()`). */
  unblock(): void {
    this.flags &= ~BLOCKED;
  }

  /** Ends one run that did not finish at once. */
  done(): void {
    this.inFlight--;
    this.pump();
    if (this.onIdle !== undefined) this.idleCheck();
  }

  /** Calls `onIdle` once nothing is waiting or being handled: at once when idle now. */
  drain(onIdle: () => void): void {
    this.flags |= DRAINING;
    this.onIdle = onIdle;
    this.idleCheck();
  }

  /** Removes and returns every waiting envelope, for the caller to answer (shutdown). */
  takeWaiting(): InboundEnvelope[] {
    return this.waiting === undefined ? [] : this.waiting.splice(0);
  }

  /** The connection closed: what waited is dropped, nothing starts again, a drain is released. */
  close(): void {
    this.flags &= ~READY;
    this.waiting = undefined;
    const onIdle = this.onIdle;
    this.onIdle = undefined;
    onIdle?.();
  }

  private waitingCount(): number {
    return this.waiting === undefined ? 0 : this.waiting.length;
  }

  private pump(): void {
    while (
      (this.flags & (READY | BLOCKED)) === READY &&
      this.inFlight < this.limits.maxInFlight &&
      this.waitingCount() > 0
    ) {
      this.start(this.waiting!.shift()!);
    }
  }

  private start(envelope: InboundEnvelope): void {
    this.inFlight++;
    if (this.runner.run(this.owner, envelope)) {
      this.inFlight--;
      if (this.onIdle !== undefined) this.idleCheck();
    }
  }

  private idleCheck(): void {
    if (this.inFlight !== 0 || this.waitingCount() !== 0) return;
    const onIdle = this.onIdle;
    this.onIdle = undefined;
    onIdle?.();
  }
}
