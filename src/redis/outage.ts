import type { CaromLogger } from '../core/logger.js';

/** How often, during an outage, the broker checks whether Redis is back. */
const CHECK_MS = 1000;

/** What an outage's two log lines say was lost, for relays and for presence writes. */
export interface OutageWords {
  /** After "Redis is unreachable; ". */
  readonly down: string;
  /** After "<count> ", in the line that says Redis is back. */
  readonly counted: string;
}

const RELAYS: OutageWords = {
  down: 'publishes and commands for other nodes are lost until it is back (local delivery goes on)',
  counted: 'relays were lost',
};

/**
 * Counts what could not be relayed and tells the log once per outage: one line
 * when the first relay fails, one when relays have gone through again for a
 * whole check period, with how many were lost meanwhile. A flapping server
 * cannot fill the log: a failure inside that period keeps the outage open.
 */
export class Outage {
  /** Everything lost since the broker started. */
  lost = 0;
  private down = false;
  private lostAtStart = 0;
  private failedSinceCheck = false;
  private relayedSinceCheck = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private since = 0;

  constructor(
    private readonly logger: CaromLogger,
    private readonly words: OutageWords = RELAYS,
  ) {}

  /** One relay that could not be made. */
  failed(error?: unknown): void {
    this.lost++;
    this.failedSinceCheck = true;
    if (this.down) return;
    this.down = true;
    this.since = Date.now();
    this.lostAtStart = this.lost - 1;
    this.logger.warn(
      `carom/redis: Redis is unreachable; ${this.words.down}`,
      error instanceof Error ? error.message : error,
    );
    this.timer = setInterval(() => this.check(), CHECK_MS);
    this.timer.unref();
  }

  /** One relay that went through. */
  relayed(): void {
    if (this.down) this.relayedSinceCheck = true;
  }

  /** True between the first failed relay and the log line that says Redis is back. */
  get isDown(): boolean {
    return this.down;
  }

  /** Ends the outage check (the broker is closing). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    if (this.relayedSinceCheck && !this.failedSinceCheck) {
      this.down = false;
      this.stop();
      const seconds = ((Date.now() - this.since) / 1000).toFixed(1);
      this.logger.info(
        `carom/redis: Redis is back after ${seconds} s; ${this.lost - this.lostAtStart} ${this.words.counted} meanwhile (${this.lost} in all)`,
      );
    }
    this.failedSinceCheck = false;
    this.relayedSinceCheck = false;
  }
}
