/**
 * The client's mirror of what its connection holds: the names and patterns
 * it subscribed to and the names it excluded from a pattern, kept by the
 * protocol's rules so that a reconnect can ask for the same again.
 */
import { ClientErrorCode } from './codes.js';
import { RequestError } from './errors.js';
import { encodeFrame, isObject } from './frame.js';
import { ALL, coveredByPattern, SUBSCRIBE, UNSUBSCRIBE } from './names.js';

/** What the client subscribed to, and restores after a reconnect. */
export class HeldSubscriptions {
  private readonly subscribed = new Set<string>();
  private readonly excluded = new Set<string>();

  /** The names and patterns held, in the order they were first subscribed. */
  list(): string[] {
    return [...this.subscribed];
  }

  /** Holds `events` (before the server answers: a reconnect meanwhile asks for them too). */
  add(events: readonly string[]): void {
    for (const e of events) {
      this.subscribed.add(e);
      this.excluded.delete(e);
    }
  }

  /** Lets go of the names a refused subscribe's `details.rejected` lists, so a reconnect does not ask again. */
  forgetRefused(err: unknown): void {
    const details = err instanceof RequestError ? err.details : undefined;
    const rejected = isObject(details) && Array.isArray(details.rejected) ? details.rejected : [];
    for (const r of rejected as unknown[]) {
      if (isObject(r) && typeof r.name === 'string') this.subscribed.delete(r.name);
    }
  }

  /** Applies an unsubscribe with the server's rules for `*`, patterns and exclusions. */
  remove(events: readonly string[]): void {
    for (const e of events) {
      if (e === ALL) {
        this.subscribed.clear();
        this.excluded.clear();
      } else if (e.endsWith('.*')) {
        // As on the server: exclusions the removed pattern no longer covers go with it.
        this.subscribed.delete(e);
        for (const ex of this.excluded) {
          if (!coveredByPattern(ex, this.subscribed)) this.excluded.delete(ex);
        }
      } else {
        this.subscribed.delete(e);
        if (coveredByPattern(e, this.subscribed)) this.excluded.add(e);
      }
    }
  }

  /** The frames that ask a fresh connection for everything held: a subscribe, then the exclusions. */
  restoreFrames(): string[] {
    if (this.subscribed.size === 0) return [];
    const frames = [encodeFrame(SUBSCRIBE, { events: [...this.subscribed] })];
    if (this.excluded.size > 0)
      frames.push(encodeFrame(UNSUBSCRIBE, { events: [...this.excluded] }));
    return frames;
  }
}

/** The `events` list of a subscribe or unsubscribe ack; `BAD_REPLY` when it has none. */
export function eventsOf(ack: unknown, event: string): string[] {
  const events = isObject(ack) ? ack.events : undefined;
  if (Array.isArray(events) && events.every((e) => typeof e === 'string')) return events;
  throw new RequestError(
    ClientErrorCode.BAD_REPLY,
    `the ack of '${event}' has no list of events`,
    event,
    ack,
  );
}
