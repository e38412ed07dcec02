/**
 * A test client's pending waits for envelopes. Each has one timer, bounded in
 * real time, and ends exactly once: matched, timed out, failed by a frame that
 * is not JSON, or cancelled when the connection or the app closes. Nothing is
 * left behind: no timer outlives its wait, and a wait nobody awaits any more
 * (a test that failed first, or forgot an `await`) never becomes an unhandled
 * rejection that ends the test process later.
 */
import type { WireEnvelope } from '../protocol/wire.js';
import { quoteFrame } from './matching.js';

/** A frame as the kit reads it: an envelope, or the text of a frame that is not one. */
export type Parsed = { readonly envelope: WireEnvelope<any> } | { readonly bad: string };

/** Reads a frame the app wrote; never throws. */
export function parseFrame(text: string): Parsed {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const event = (value as { event?: unknown }).event;
      if (typeof event === 'string') return { envelope: value as WireEnvelope<any> };
    }
  } catch {
    // Not JSON: reported below as a bad frame.
  }
  return { bad: text };
}

/** Accepts an envelope, given its position among the frames the socket received. */
export type Match = (envelope: WireEnvelope<any>, at: number) => boolean;

interface Wait {
  readonly match: Match;
  /** True for an assertion: the envelope it matches is taken from the mailbox. */
  readonly takes: boolean;
  readonly resolve: (envelope: WireEnvelope<any>) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** The waits of one test client. */
export class Waiters {
  private readonly pending = new Map<Promise<WireEnvelope<any>>, Wait>();
  private endedWith: string | undefined;

  constructor(
    /** Longest real wait, in milliseconds. */
    private readonly waitMs: number,
    /** What a failure message shows of what arrived. */
    private readonly describeReceived: () => string,
  ) {}

  /** Waits in flight. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Resolves with the next envelope `match` accepts, from now on; rejects
   * after `waitMs`, on a frame that is not JSON, or when the waits end. A
   * wait that `takes` skips envelopes already taken and takes the one it gets.
   */
  wait(match: Match, what: string, takes = false): Promise<WireEnvelope<any>> {
    if (this.endedWith !== undefined) {
      return handled(Promise.reject(new Error(`${what}: ${this.endedWith}`)));
    }
    let wait!: Wait;
    const promise = new Promise<WireEnvelope<any>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(promise);
        reject(new Error(`${what}: nothing within ${this.waitMs} ms; ${this.describeReceived()}`));
      }, this.waitMs);
      wait = { match, takes, resolve, reject, timer };
    });
    this.pending.set(promise, wait);
    return handled(promise);
  }

  /**
   * Hands the frame at position `at` to every wait: a match ends a wait (the
   * first assertion that matches takes it into `taken`), a frame that is not
   * an envelope ends them all.
   */
  offer(parsed: Parsed, at: number, taken: Set<number>): void {
    if (this.pending.size === 0) return;
    if ('bad' in parsed) {
      this.failAll(`the server sent a frame that is not an envelope: ${quoteFrame(parsed.bad)}`);
      return;
    }
    for (const [promise, wait] of [...this.pending]) {
      if (wait.takes && taken.has(at)) continue;
      if (!wait.match(parsed.envelope, at)) continue;
      if (wait.takes) taken.add(at);
      this.settle(promise, wait);
      wait.resolve(parsed.envelope);
    }
  }

  /** Ends the wait `promise` without settling it (what it waited for was never sent). */
  cancel(promise: Promise<WireEnvelope<any>>): void {
    const wait = this.pending.get(promise);
    if (wait !== undefined) this.settle(promise, wait);
  }

  /** Ends every wait, now and later, with `reason` (the connection or the app closed). */
  end(reason: string): void {
    this.endedWith ??= reason;
    this.failAll(reason);
  }

  private failAll(reason: string): void {
    for (const [promise, wait] of [...this.pending]) {
      this.settle(promise, wait);
      wait.reject(new Error(reason));
    }
  }

  private settle(promise: Promise<WireEnvelope<any>>, wait: Wait): void {
    clearTimeout(wait.timer);
    this.pending.delete(promise);
  }
}

/**
 * Marks `promise` as handled and returns it: its rejection reaches whoever
 * awaits it, and nobody else. A wait a test no longer awaits (it failed
 * first, or forgot an `await`) ends with the app instead of ending the test
 * process with an unhandled rejection.
 */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

function ignore(): void {
  // A rejection is for whoever awaits the promise; one nobody awaits has no one to tell.
}
