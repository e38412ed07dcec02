import { ErrorCode } from '../protocol/errors.js';
import { isPattern, quoteName, subscriptionNameProblem } from '../protocol/names.js';
import { CaromError } from './errors.js';
import type { Position } from './history.js';
import { MAX_HISTORY_SIZE } from './history-policies.js';

/** The longest epoch a client may send back. */
export const MAX_EPOCH_LENGTH = 64;

/** What a `subscribe` asks of the histories, read from its `resume` and `recent`. */
export interface RecoveryAsk {
  /** Per exact event name, the last position the client saw. */
  readonly resume: ReadonlyMap<string, Position>;
  /** The newest messages wanted of each exact name subscribed (not resumed); undefined when not asked. */
  readonly recent: number | undefined;
}

/** What bounds a request: as for the subscription list. */
export interface RecoveryLimits {
  readonly maxLength: number;
  readonly maxSubscriptions: number;
}

function bad(message: string): CaromError {
  return new CaromError(ErrorCode.BAD_ENVELOPE, `bad subscribe data: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads `data.resume` and `data.recent` of a `subscribe`; undefined when it has
 * neither. They are extensions: only a client of the `carom` subprotocol
 * (`carom`) may send them, and only with an `id` (`withId`), since their
 * outcome is in the ack. Throws a `BAD_ENVELOPE` `CaromError` for anything
 * else, checking each count and length before walking further: at most
 * `maxSubscriptions` names, each an exact name as for subscribing, an epoch
 * of 1 to 64 characters, an offset a safe integer of at least 0, `recent` an
 * integer from 0 to 100 000.
 */
export function readRecoveryAsk(
  data: unknown,
  carom: boolean,
  withId: boolean,
  limits: RecoveryLimits,
): RecoveryAsk | undefined {
  if (!isObject(data)) return undefined;
  const { resume, recent } = data;
  if (resume === undefined && recent === undefined) return undefined;
  if (!carom) throw bad('resume and recent need the carom subprotocol');
  if (!withId) throw bad('resume and recent need an id: their outcome is in the ack');
  const recentBad = recentProblem(recent);
  if (recentBad !== undefined) throw bad(recentBad);
  const positions = new Map<string, Position>();
  if (resume !== undefined) {
    if (!isObject(resume)) throw bad('resume must be an object of event names to positions');
    const names = Object.keys(resume);
    if (names.length > limits.maxSubscriptions) {
      throw bad(`resume names ${names.length} events; at most ${limits.maxSubscriptions}`);
    }
    for (const name of names) {
      const problem = subscriptionNameProblem(name, limits.maxLength);
      if (problem !== undefined) throw bad(`resume: ${problem}`);
      if (isPattern(name)) throw bad(`resume: "${quoteName(name)}" is a pattern, not an event`);
      positions.set(name, readPosition(name, resume[name]));
    }
  }
  return { resume: positions, recent: recent as number | undefined };
}

function readPosition(name: string, value: unknown): Position {
  const problem = positionProblem(value);
  if (problem !== undefined) throw bad(`resume["${quoteName(name)}"]${problem}`);
  const { epoch, offset } = value as Position;
  return { epoch, offset };
}

/**
 * Why `value` is not a position a client may send back, as the end of a
 * sentence about it (` must be an object { epoch, offset }`, `.epoch must
 * be...`); undefined when it is one. The one rule for a client's `resume` and
 * for server code passing one on (`subscribeWithHistory`'s `since`).
 */
export function positionProblem(value: unknown): string | undefined {
  if (!isObject(value)) return ' must be an object { epoch, offset }';
  const { epoch, offset } = value;
  if (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > MAX_EPOCH_LENGTH) {
    return `.epoch must be a string of 1 to ${MAX_EPOCH_LENGTH} characters`;
  }
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) {
    return '.offset must be a safe integer of at least 0';
  }
  return undefined;
}

/** Why `recent` is not a count of recent messages to replay; undefined when it is one or absent. */
export function recentProblem(recent: unknown): string | undefined {
  return recent === undefined ||
    (Number.isInteger(recent) && (recent as number) >= 0 && (recent as number) <= MAX_HISTORY_SIZE)
    ? undefined
    : `recent must be an integer from 0 to ${MAX_HISTORY_SIZE}`;
}
