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

/**
 * One connection's envelopes on their way in: those waiting, in arrival order,
 * and a count of those being handled. Nothing starts before `open()` (the
 * connect hooks have settled), and at most `maxInFlight` run at once; a run
 * that does not finish at once calls `done()` when it does.
 */
export class InboundQueue<O> {
  private readonly waiting: InboundEnvelope[] = [];
  private inFlight = 0;
  private ready = false;
  private isDraining = false;
  private blocked = false;
  private onIdle: (() => void) | undefined = undefined;

  constructor(
    private readonly owner: O,
    private readonly runner: InboundRunner<O>,
    private readonly limits: InboundLimits,
  ) {}

  /** Envelopes waiting or being handled. */
  get pending(): number {
    return this.waiting.length + this.inFlight;
  }

  /** True once `drain` was called: the connection takes no new envelopes. */
  get draining(): boolean {
    return this.isDraining;
  }

  /** Starts `envelope` now, or queues it behind the others; false when the queue is full. */
  add(envelope: InboundEnvelope): boolean {
    if (
      this.ready &&
      !this.blocked &&
      this.inFlight < this.limits.maxInFlight &&
      this.waiting.length === 0
    ) {
      this.start(envelope);
      return true;
    }
    if (this.waiting.length >= this.limits.maxQueued) return false;
    this.waiting.push(envelope);
    return true;
  }

  /** The connection is ready: what waited starts, as far as `maxInFlight` allows. */
  open(): void {
    this.ready = true;
    this.pump();
  }

  /**
   * Nothing more starts until {@link unblock}, whatever `maxInFlight` allows:
   * an envelope whose answer the ones behind it must not overtake (a
   * `subscribe` replaying history) calls it as it starts.
   */
  block(): void {
    this.blocked = true;
  }

  /** What waited may start again (on the following `done()`). */
  unblock(): void {
    this.blocked = false;
  }

  /** Ends one run that did not finish at once. */
  done(): void {
    this.inFlight--;
    this.pump();
    if (this.onIdle !== undefined) this.idleCheck();
  }

  /** Calls `onIdle` once nothing is waiting or being handled: at once when idle now. */
  drain(onIdle: () => void): void {
    this.isDraining = true;
    this.onIdle = onIdle;
    this.idleCheck();
  }

  /** Removes and returns every waiting envelope, for the caller to answer (shutdown). */
  takeWaiting(): InboundEnvelope[] {
    return this.waiting.splice(0);
  }

  /** The connection closed: what waited is dropped, nothing starts again, a drain is released. */
  close(): void {
    this.ready = false;
    this.waiting.length = 0;
    const onIdle = this.onIdle;
    this.onIdle = undefined;
    onIdle?.();
  }

  private pump(): void {
    while (
      this.ready &&
      !this.blocked &&
      this.inFlight < this.limits.maxInFlight &&
      this.waiting.length > 0
    ) {
      this.start(this.waiting.shift()!);
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
    if (this.inFlight !== 0 || this.waiting.length !== 0) return;
    const onIdle = this.onIdle;
    this.onIdle = undefined;
    onIdle?.();
  }
}
