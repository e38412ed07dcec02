import { appError } from './errors.js';
import type { HistoryOptions } from './history.js';
import { TopicMap } from './topic-map.js';

/** The most messages one event's history may keep. */
export const MAX_HISTORY_SIZE = 100_000;

/** The shortest time-to-live a history may have, in milliseconds. */
export const MIN_HISTORY_TTL_MS = 1000;

/** The longest time-to-live, in milliseconds (about 24.8 days, what a timer can take). */
export const MAX_HISTORY_TTL_MS = 2 ** 31 - 1;

/** What declares a history with a topic: `@Topic`, the `topics` option, `channels.create`. */
export interface HistoryDeclaration {
  /**
   * Keep the event's recent messages so that clients that come back get what
   * they missed (`resume`) or the last ones when they first subscribe
   * (`recent`). A family (`room.*`) gives each of its events its own history.
   */
  readonly history?: HistoryOptions;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Checks a topic's history; `where` names the declaration for the error
 * (`@Topic('chat') on ChatSender`). Returns a frozen copy, so that the value
 * a declaration gave cannot change under the store. Throws `CAROM_ERR_BAD_HISTORY`.
 */
export function checkHistory(where: string, history: unknown): HistoryOptions {
  if (!isObject(history)) {
    throw appError('CAROM_ERR_BAD_HISTORY', where, 'history must be an object { size, ttlMs? }');
  }
  const { size, ttlMs } = history;
  if (!Number.isInteger(size) || (size as number) < 1 || (size as number) > MAX_HISTORY_SIZE) {
    throw appError(
      'CAROM_ERR_BAD_HISTORY',
      where,
      `size must be an integer from 1 to ${MAX_HISTORY_SIZE}`,
    );
  }
  if (ttlMs === undefined) return Object.freeze({ size: size as number });
  if (
    !Number.isInteger(ttlMs) ||
    (ttlMs as number) < MIN_HISTORY_TTL_MS ||
    (ttlMs as number) > MAX_HISTORY_TTL_MS
  ) {
    throw appError(
      'CAROM_ERR_BAD_HISTORY',
      where,
      `ttlMs must be an integer of milliseconds from ${MIN_HISTORY_TTL_MS} to ${MAX_HISTORY_TTL_MS}`,
    );
  }
  return Object.freeze({ size: size as number, ttlMs: ttlMs as number });
}

/**
 * The history of each topic that declares one: exact names and families
 * (`room.*`, whose every event gets its own history under the family's
 * options, the same object for all of them). Read once per publish, and only
 * when some history is declared: an app without history pays nothing.
 */
export class HistoryPolicies {
  private readonly map = new TopicMap<HistoryOptions>();

  /** `kept`: the broker keeps histories; without it, declaring one throws `CAROM_ERR_NO_HISTORY_STORE`. */
  constructor(private readonly kept = true) {}

  /** How many topics have a history; 0 keeps every publish on the plain path. */
  get size(): number {
    return this.map.size;
  }

  /** Records `topic`'s history (checked first); `undefined` records nothing. */
  set(topic: string, history: unknown, where: string): void {
    if (history === undefined) return;
    this.map.set(topic, this.checked(where, history));
  }

  /**
   * A history checked, as {@link set} would record it: throws
   * `CAROM_ERR_BAD_HISTORY`, or `CAROM_ERR_NO_HISTORY_STORE` when the broker keeps none.
   */
  checked(where: string, history: unknown): HistoryOptions {
    const options = checkHistory(where, history);
    if (!this.kept) throw appError('CAROM_ERR_NO_HISTORY_STORE', where);
    return options;
  }

  /** Forgets an exact name's history (a deleted channel). */
  remove(topic: string): void {
    this.map.remove(topic);
  }

  /** The history `event` is kept by: its own, else the shortest family's covering it. */
  of(event: string): HistoryOptions | undefined {
    return this.map.of(event);
  }
}
