/**
 * The client's mirror of what its connection holds: the names and patterns
 * it subscribed to and the names it excluded from a pattern, kept by the
 * protocol's rules so that a reconnect can ask for the same again.
 */
import { ClientErrorCode } from './codes.js';
import { RequestError } from './errors.js';
import { isObject } from './frame.js';
import { ALL, coveredByPattern, isPattern, SUBSCRIBE, UNSUBSCRIBE } from './names.js';
import type { SubscriptionAck } from './types.js';

/** One request a reconnect sends to restore what was held. */
export interface RestoreRequest {
  readonly event: typeof SUBSCRIBE | typeof UNSUBSCRIBE;
  readonly events: string[];
}

/** What the client subscribed to, and restores after a reconnect. */
export class HeldSubscriptions {
  private readonly subscribed = new Set<string>();
  private readonly excluded = new Set<string>();

  /** The names and patterns held, in the order they were first subscribed. */
  list(): string[] {
    return [...this.subscribed];
  }

  /** True when what is held brings `name`'s messages: the name itself, or a pattern that does not exclude it. */
  covers(name: string): boolean {
    return (
      this.subscribed.has(name) ||
      (!this.excluded.has(name) && coveredByPattern(name, this.subscribed))
    );
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

  /**
   * The server deleted the channel `name`, which unsubscribed its exact-name
   * subscribers: a reconnect must not ask for it again (it would be
   * `UNKNOWN_EVENT`). Patterns and exclusions stay, as on the server.
   */
  forgetDeleted(name: string): void {
    if (!isPattern(name)) this.subscribed.delete(name);
  }

  /** What asks a fresh connection for everything held: a subscribe, then the exclusions. */
  restoreRequests(): RestoreRequest[] {
    if (this.subscribed.size === 0) return [];
    const requests: RestoreRequest[] = [{ event: SUBSCRIBE, events: [...this.subscribed] }];
    if (this.excluded.size > 0) requests.push({ event: UNSUBSCRIBE, events: [...this.excluded] });
    return requests;
  }
}

/**
 * What a subscribe or unsubscribe ack says the connection holds: its
 * `events`, and its `excluded` names (`[]` when the ack lists none).
 * `BAD_REPLY` when either is not a list of strings.
 */
export function ackOf(ack: unknown, event: string): SubscriptionAck {
  const events = isObject(ack) ? ack.events : undefined;
  const excluded = isObject(ack) ? (ack.excluded === undefined ? [] : ack.excluded) : undefined;
  if (isNameList(events) && isNameList(excluded)) {
    // An array as 0.1 resolved, carrying the ack's two lists as named fields.
    return Object.assign([...events], { events, excluded });
  }
  throw new RequestError(
    ClientErrorCode.BAD_REPLY,
    `the ack of '${event}' has no list of events, or a malformed list of exclusions`,
    event,
    ack,
  );
}

function isNameList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((e) => typeof e === 'string');
}
