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
  if (
    recent !== undefined &&
    (!Number.isInteger(recent) || (recent as number) < 0 || (recent as number) > MAX_HISTORY_SIZE)
  ) {
    throw bad(`recent must be an integer from 0 to ${MAX_HISTORY_SIZE}`);
  }
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
  const where = `resume["${quoteName(name)}"]`;
  if (!isObject(value)) throw bad(`${where} must be an object { epoch, offset }`);
  const { epoch, offset } = value;
  if (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > MAX_EPOCH_LENGTH) {
    throw bad(`${where}.epoch must be a string of 1 to ${MAX_EPOCH_LENGTH} characters`);
  }
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) {
    throw bad(`${where}.offset must be a safe integer of at least 0`);
  }
  return { epoch, offset: offset as number };
}
