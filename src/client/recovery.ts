/**
 * What the server says it recovered: the `recovery` of a subscribe ack, read
 * from untrusted data, and the report the application gets after a reconnect.
 */
import { isObject } from './frame.js';
import { readPosition } from './positions.js';

/**
 * Why an event was not recovered. From the server: `GAP` (its history no
 * longer holds what followed the client's position: rolled over or expired),
 * `EPOCH` (the history was lost and started again, as after a restart),
 * `NO_HISTORY` (the event keeps none), `NOT_SUBSCRIBED` (no subscription
 * covers it now), `UNAVAILABLE` (the history's store could not be reached).
 * From the client: `NO_POSITION` (it held the event but had no position to
 * resume from), `UNANSWERED` (the server's ack said nothing about it: a server
 * that keeps no history), `FAILED` (the resubscribe itself failed; `onError`
 * has why). A newer server may give other reasons; they are passed on as they are.
 */
export type RecoveryReason =
  | 'GAP'
  | 'EPOCH'
  | 'NO_HISTORY'
  | 'NOT_SUBSCRIBED'
  | 'UNAVAILABLE'
  | 'NO_POSITION'
  | 'UNANSWERED'
  | 'FAILED';

/** What became of one event's history on a resubscribe. */
export interface EventRecovery {
  /** True when nothing published after the client's position is missing. */
  readonly recovered: boolean;
  /** Messages the server replayed (delivered to `on` listeners before this report). */
  readonly replayed: number;
  /** Why it was not recovered; absent when it was. */
  readonly reason?: RecoveryReason;
  /** The history's epoch now, when the server said it. */
  readonly epoch?: string;
  /** The event's newest offset now, when the server said it. */
  readonly offset?: number;
}

/** What `onRecovery` listeners get once per reconnect that resumed events. */
export interface RecoveryReport {
  /** True when every event in `events` was recovered. */
  readonly recovered: boolean;
  /** Per event name. */
  readonly events: Readonly<Record<string, EventRecovery>>;
}

/** Longest reason passed on. */
const MAX_REASON = 32;

/** One entry of `recovery`, or `undefined` when it is not the protocol's shape. Never throws. */
export function readEventRecovery(value: unknown): EventRecovery | undefined {
  if (!isObject(value) || typeof value.recovered !== 'boolean') return undefined;
  const { recovered, replayed, reason } = value;
  if (!Number.isSafeInteger(replayed) || (replayed as number) < 0) return undefined;
  const entry: { -readonly [K in keyof EventRecovery]: EventRecovery[K] } = {
    recovered,
    replayed: replayed as number,
  };
  if (typeof reason === 'string' && reason.length > 0 && reason.length <= MAX_REASON) {
    entry.reason = reason as RecoveryReason;
  } else if (!recovered) {
    entry.reason = 'UNANSWERED';
  }
  const position = readPosition(value, 0);
  if (position) {
    entry.epoch = position.epoch;
    entry.offset = position.offset;
  }
  return entry;
}

/** A record without a prototype: event names from the wire are keys like any other. */
export function record<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * The `recovery` an ack's (or a refusal's details') `data` holds, for the
 * names the client asked about: `resumed` ones missing or malformed are
 * reported not recovered (`UNANSWERED`); `recent` ones are left out.
 */
export function readRecovery(
  data: unknown,
  resumed: readonly string[],
  recent: readonly string[],
): Record<string, EventRecovery> {
  const raw = isObject(data) && isObject(data.recovery) ? data.recovery : undefined;
  const found = record<EventRecovery>();
  const read = (name: string): EventRecovery | undefined =>
    raw !== undefined && Object.prototype.hasOwnProperty.call(raw, name)
      ? readEventRecovery(raw[name])
      : undefined;
  for (const name of resumed) {
    found[name] = read(name) ?? { recovered: false, replayed: 0, reason: 'UNANSWERED' };
  }
  for (const name of recent) {
    const entry = read(name);
    if (entry) found[name] = entry;
  }
  return found;
}

/** The report of `events`: recovered when every one was. */
export function reportOf(events: Readonly<Record<string, EventRecovery>>): RecoveryReport {
  return { recovered: Object.values(events).every((e) => e.recovered), events };
}
