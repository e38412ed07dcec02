import { CaromError, ErrorCode } from '../protocol/errors.js';
import { isPattern, patternProblem } from '../protocol/names.js';
import type { Connection } from './connection.js';
import type { Session } from './session.js';
import type { Subscriptions } from './subscriptions.js';
import type { Topics } from './topics.js';

/** Decides whether a connection may subscribe to a name or pattern; `false` answers `FORBIDDEN`. */
export type SubscribeGuard = (connection: Connection, topic: string) => boolean | Promise<boolean>;

/** A connection's subscriptions as an ack reports them. */
export interface SubscriptionList {
  readonly events: string[];
  readonly excluded?: string[];
}

/** The result of one `subscribe` or `unsubscribe` envelope. */
export interface SubscriptionOutcome {
  readonly list: SubscriptionList;
  /** Set when some names were refused; the others still took effect. */
  readonly error: CaromError | undefined;
}

/** Reads `data.events`; throws BAD_ENVELOPE when it is not a non-empty array of valid names. */
export function readTopicList(data: unknown, action: string): string[] {
  const events = (data as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0) {
    throw new CaromError(
      ErrorCode.BAD_ENVELOPE,
      `${action} needs data.events: a non-empty array of event names or patterns`,
    );
  }
  const problems: string[] = [];
  for (const name of events) {
    if (typeof name !== 'string' || name.length === 0) {
      problems.push(`${JSON.stringify(name)} is not a non-empty string`);
    } else {
      const problem = patternProblem(name);
      if (problem) problems.push(problem);
    }
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
  ) {}

  /** Handles a client's `subscribe`. Resolves with the outcome; never rejects for refusals. */
  async subscribe(session: Session, names: readonly string[]): Promise<SubscriptionOutcome> {
    const unknown: string[] = [];
    const forbidden: string[] = [];
    for (const name of names) {
      if (!isPattern(name) && !this.topics.isDeclared(name)) {
        unknown.push(name);
      } else if (this.guard && !(await this.guard(session.connection, name))) {
        forbidden.push(name);
      } else if (session.open) {
        this.index.add(session, name);
      }
    }
    return { list: this.list(session), error: refusal(unknown, forbidden) };
  }

  /** Handles a client's `unsubscribe`. */
  unsubscribe(session: Session, names: readonly string[]): SubscriptionOutcome {
    for (const name of names) this.index.remove(session, name);
    return { list: this.list(session), error: undefined };
  }

  /** Subscribes from server code: no guard, and an undeclared name throws. */
  serverSubscribe(session: Session, names: readonly string[]): void {
    for (const name of names) {
      checkName(name, 'subscribe');
      if (!isPattern(name) && !this.topics.isDeclared(name)) {
        throw new TypeError(
          `cannot subscribe to '${name}': no sender, channel or topic family declares it`,
        );
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
    const events = [...session.exact, ...session.patterns];
    return session.excluded.size > 0 ? { events, excluded: [...session.excluded] } : { events };
  }
}

function checkName(name: unknown, action: string): asserts name is string {
  const problem =
    typeof name === 'string' && name.length > 0 ? patternProblem(name) : 'an empty name';
  if (problem) throw new TypeError(`cannot ${action}: ${problem}`);
}

function refusal(unknown: string[], forbidden: string[]): CaromError | undefined {
  if (unknown.length === 0 && forbidden.length === 0) return undefined;
  const rejected = [
    ...unknown.map((name) => ({ name, code: ErrorCode.UNKNOWN_EVENT })),
    ...forbidden.map((name) => ({ name, code: ErrorCode.FORBIDDEN })),
  ];
  const parts: string[] = [];
  if (unknown.length > 0) parts.push(`no sender or channel declares ${unknown.join(', ')}`);
  if (forbidden.length > 0) parts.push(`not allowed: ${forbidden.join(', ')}`);
  const code = unknown.length > 0 ? ErrorCode.UNKNOWN_EVENT : ErrorCode.FORBIDDEN;
  return new CaromError(code, `cannot subscribe: ${parts.join('; ')}`, { rejected });
}
