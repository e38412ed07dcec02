import { ErrorCode } from '../protocol/errors.js';
import { appError, CaromError } from './errors.js';
import type { WireSubscriptionAck } from '../protocol/wire.js';
import { isPattern, patternProblem, subscriptionNameProblem } from '../protocol/names.js';
import type { SubscribeGuard } from './options.js';
import type { Session } from './session.js';
import type { Subscriptions } from './subscriptions.js';
import type { Topics } from './topics.js';

/** A connection's subscriptions as an ack reports them: the wire's subscription ack. */
export type SubscriptionList = WireSubscriptionAck;

/** A name a request could not apply, and why. */
interface Refused {
  readonly name: string;
  readonly code: ErrorCode;
}

/** Bounds on what one connection's subscription requests may hold. */
export interface SubscriptionLimits {
  /** Longest name or pattern, as for event names. */
  readonly maxLength: number;
  /** Subscriptions (names, patterns, exclusions) one connection may hold. */
  readonly maxSubscriptions: number;
}

/** Problems quoted in one error, so a refusal stays small however long the list was. */
const MAX_PROBLEMS = 10;

/**
 * Reads `data.events`: a non-empty array of at most `maxSubscriptions` valid
 * names. Throws `BAD_ENVELOPE` (or `LIMIT_EXCEEDED` for too many names) naming
 * the problems. Each name's length is checked before anything walks it.
 */
export function readSubscriptionList(
  data: unknown,
  action: string,
  limits: SubscriptionLimits,
): string[] {
  const events = (data as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0) {
    throw new CaromError(
      ErrorCode.BAD_ENVELOPE,
      `${action} needs data.events: a non-empty array of event names or patterns`,
    );
  }
  if (events.length > limits.maxSubscriptions) {
    throw new CaromError(
      ErrorCode.LIMIT_EXCEEDED,
      `${action} lists ${events.length} names; a connection may hold at most ${limits.maxSubscriptions}`,
      { limit: limits.maxSubscriptions },
    );
  }
  const problems: string[] = [];
  for (const name of events as unknown[]) {
    const problem = subscriptionNameProblem(name, limits.maxLength);
    if (problem !== undefined && problems.push(problem) >= MAX_PROBLEMS) break;
  }
  if (problems.length > 0) {
    throw new CaromError(ErrorCode.BAD_ENVELOPE, `bad ${action} data: ${problems.join('; ')}`, {
      problems,
    });
  }
  return events as string[];
}

/**
 * Applies `subscribe` and `unsubscribe` requests, from clients or from server
 * code, with the protocol's rules: undeclared exact names are refused with
 * `UNKNOWN_EVENT`, the guard may refuse with `FORBIDDEN`, the rest take effect.
 */
export class SubscriptionRequests {
  constructor(
    private readonly index: Subscriptions<Session>,
    private readonly topics: Topics,
    private readonly guard: SubscribeGuard | undefined,
    /** Longest name and most subscriptions per connection. */
    readonly limits: SubscriptionLimits,
  ) {}

  /**
   * Handles a client's `subscribe`. Resolves with the refusal when some names
   * were refused (the others still took effect); never rejects for refusals.
   */
  async subscribe(session: Session, names: readonly string[]): Promise<CaromError | undefined> {
    const refused: Refused[] = [];
    for (const name of names) {
      if (!isPattern(name) && !this.topics.isDeclared(name)) {
        refused.push({ name, code: ErrorCode.UNKNOWN_EVENT });
      } else if (this.guard && !(await this.guard(session.connection, name))) {
        refused.push({ name, code: ErrorCode.FORBIDDEN });
      } else if (!session.open) {
        return undefined;
      } else if (this.index.addWouldGrow(session, name) && this.isFull(session)) {
        refused.push({ name, code: ErrorCode.LIMIT_EXCEEDED });
      } else {
        this.index.add(session, name);
      }
    }
    return this.refusal('subscribe', refused);
  }

  /**
   * Handles a client's `unsubscribe`. An exclusion counts as a subscription, so
   * one that would pass the limit is refused.
   */
  unsubscribe(session: Session, names: readonly string[]): CaromError | undefined {
    const refused: Refused[] = [];
    for (const name of names) {
      if (this.index.removeWouldGrow(session, name) && this.isFull(session)) {
        refused.push({ name, code: ErrorCode.LIMIT_EXCEEDED });
      } else {
        this.index.remove(session, name);
      }
    }
    return this.refusal('unsubscribe', refused);
  }

  private isFull(session: Session): boolean {
    const { exact, patterns, excluded } = session;
    const held = (exact?.size ?? 0) + (patterns?.size ?? 0) + (excluded?.size ?? 0);
    return held >= this.limits.maxSubscriptions;
  }

  private refusal(action: string, refused: Refused[]): CaromError | undefined {
    if (refused.length === 0) return undefined;
    const byCode = (code: ErrorCode) => refused.filter((r) => r.code === code).map((r) => r.name);
    const parts: string[] = [];
    const unknown = byCode(ErrorCode.UNKNOWN_EVENT);
    const forbidden = byCode(ErrorCode.FORBIDDEN);
    const full = byCode(ErrorCode.LIMIT_EXCEEDED);
    if (unknown.length > 0) parts.push(`no sender or channel declares ${unknown.join(', ')}`);
    if (forbidden.length > 0) parts.push(`not allowed: ${forbidden.join(', ')}`);
    if (full.length > 0) {
      parts.push(
        `a connection may hold at most ${this.limits.maxSubscriptions} subscriptions: ${full.join(', ')}`,
      );
    }
    // The first kind of refusal in the protocol's order names the error.
    const code =
      unknown.length > 0
        ? ErrorCode.UNKNOWN_EVENT
        : forbidden.length > 0
          ? ErrorCode.FORBIDDEN
          : ErrorCode.LIMIT_EXCEEDED;
    return new CaromError(code, `cannot ${action}: ${parts.join('; ')}`, { rejected: refused });
  }

  /** Subscribes from server code: no guard, and an undeclared name throws. */
  serverSubscribe(session: Session, names: readonly string[]): void {
    for (const name of names) {
      checkName(name, 'subscribe');
      if (!isPattern(name) && !this.topics.isDeclared(name)) {
        throw appError('CAROM_ERR_UNDECLARED_EVENT', 'subscribe to', name);
      }
    }
    if (!session.open) return;
    for (const name of names) this.index.add(session, name);
  }

  /** Unsubscribes from server code; a malformed name throws. */
  serverUnsubscribe(session: Session, names: readonly string[]): void {
    for (const name of names) checkName(name, 'unsubscribe');
    for (const name of names) this.index.remove(session, name);
  }

  /** The connection's subscriptions, as the ack lists them. */
  list(session: Session): SubscriptionList {
    const { exact, patterns, excluded } = session;
    const events = [...(exact ?? []), ...(patterns ?? [])];
    return excluded !== undefined && excluded.size > 0
      ? { events, excluded: [...excluded] }
      : { events };
  }
}

function checkName(name: unknown, action: string): asserts name is string {
  const problem =
    typeof name === 'string' && name.length > 0 ? patternProblem(name) : 'an empty name';
  if (problem) throw appError('CAROM_ERR_BAD_SUBSCRIPTION', action, problem);
}
