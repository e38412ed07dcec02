import type { InboundEnvelope } from '../protocol/envelope.js';
import { ErrorCode } from '../protocol/errors.js';
import type { Broker } from './broker.js';
import type { Clock } from './clock.js';
import type { Connection } from './connection.js';
import { raceClock, type RaceEnd } from './deadline.js';
import { appError, CaromError } from './errors.js';
import { describe, readField } from './guard.js';
import type { CaromLogger } from './logger.js';
import type { Claim, FirstAnswer, OnceStore } from './once.js';
import { ONCE_DEFAULTS, type OnceOptions } from './options.js';

/** What the gate needs from the app. */
export interface OnceParts {
  readonly store: OnceStore;
  readonly windowMs: number;
  readonly maxKeys: number;
  readonly identity: ((connection: Connection) => string | undefined) | undefined;
  readonly clock: Clock;
  readonly logger: CaromLogger;
}

/** What handling keyed envelopes once has done since the app started (`app.onceStats()`). */
export interface OnceStats {
  /** Keyed envelopes handled: their key was new (or forgotten) for their identity. */
  readonly handled: number;
  /** Repeats of requests answered with the first answer, the handler not run again. */
  readonly repeats: number;
  /** Repeats of emits (no `id`) dropped, the handler not run again. */
  readonly repeatedEmits: number;
  /** Repeats that arrived while the first was being handled, and waited for its answer. */
  readonly waited: number;
  /** Keys let go without an answer to remember (refused before the handler ran), so a retry is handled. */
  readonly released: number;
  /** Keyed envelopes refused `UNAVAILABLE` because the store failed: none was handled. */
  readonly unavailable: number;
  /** Keyed envelopes of connections with no identity: handled as if they had no key. */
  readonly unidentified: number;
}

/** The counters of an app that does not handle keys once, and where every gate starts. */
export const NO_ONCE_STATS: OnceStats = Object.freeze({
  handled: 0,
  repeats: 0,
  repeatedEmits: 0,
  waited: 0,
  released: 0,
  unavailable: 0,
  unidentified: 0,
});

/** What the gate decides for a keyed envelope. */
export type OnceVerdict =
  | { readonly kind: 'first' }
  | { readonly kind: 'answered'; readonly answer: FirstAnswer }
  | { readonly kind: 'refused'; readonly error: CaromError };

/** A claimed key waiting for its first answer. */
interface Held {
  readonly identity: string;
  readonly key: string;
  /** Set once the envelope reached its handler: from then on its answer is remembered. */
  handling: boolean;
}

const FIRST: OnceVerdict = Object.freeze({ kind: 'first' });
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 250;
const MAX_IDENTITY_LENGTH = 256;
/** An `undefined` cached for a connection with no identity. */
const NONE = '';
/** What a store call that outlived its bound fails with (never shown to a client). */
const TOO_LATE = new Error('the once store did not answer in time');
const LATE: RaceEnd = { timedOut: () => TOO_LATE, late: () => undefined };
const UNAVAILABLE = new CaromError(
  ErrorCode.UNAVAILABLE,
  'the server could not tell whether this was already handled, and did not handle it; send it again',
);
const NO_IDENTITY = new CaromError(
  ErrorCode.HANDLER_ERROR,
  'the server could not tell whose request this is (its once.identity failed)',
);
/** What an emit (no id) that reached its handler is remembered with. */
const EMIT_ANSWER: FirstAnswer = Object.freeze({ kind: 'ack', json: 'null' });

/**
 * Handles envelopes sent with a `key` once per identity. The dispatcher asks
 * it before an envelope's checks ({@link admit}); `Replies` tells it each
 * answer of an envelope it let through ({@link answered}), which it settles
 * in the store, or releases when the envelope was refused before its handler
 * ran, or when the handler itself said to try again (`UNAVAILABLE`,
 * `RATE_LIMITED`). A store that fails refuses the envelope `UNAVAILABLE`:
 * never handled twice, never silently.
 */
export class OnceGate {
  private readonly held = new Map<object, Held>();
  private readonly identities = new WeakMap<Connection, string>();
  private readonly counts: { -readonly [K in keyof OnceStats]: number } = { ...NO_ONCE_STATS };

  constructor(private readonly parts: OnceParts) {}

  /** What a connection whose `once.identity` failed is answered. */
  readonly noIdentity = NO_IDENTITY;

  /** How long keys are remembered. */
  get windowMs(): number {
    return this.parts.windowMs;
  }

  /** Keys claimed and not answered yet: 0 when no keyed envelope is being handled. */
  get holding(): number {
    return this.held.size;
  }

  /** The counters since the app started. */
  stats(): OnceStats {
    return { ...this.counts };
  }

  /**
   * Whose keys the connection's are: a string, `undefined` for none (keys
   * ignored, counted), or `null` when the application's `identity` failed (the
   * envelope is refused). Asked once per connection.
   */
  identityOf(connection: Connection): string | undefined | null {
    const known = this.identities.get(connection);
    if (known !== undefined) {
      if (known !== NONE) return known;
      this.counts.unidentified++;
      return undefined;
    }
    const read = this.parts.identity;
    let identity: string | undefined;
    if (read === undefined) {
      identity = defaultIdentity(connection);
    } else {
      let value: unknown;
      try {
        value = read(connection);
      } catch (err) {
        this.parts.logger.error(`once.identity threw for ${connection.id}`, err);
        return null;
      }
      if (
        value !== undefined &&
        (typeof value !== 'string' || value === NONE || value.length > MAX_IDENTITY_LENGTH)
      ) {
        this.parts.logger.error(
          `once.identity returned ${describe(value)} for ${connection.id}: it must be undefined or a string of 1 to ${MAX_IDENTITY_LENGTH} characters`,
        );
        return null;
      }
      identity = value;
    }
    this.identities.set(connection, identity ?? NONE);
    if (identity === undefined) this.counts.unidentified++;
    return identity;
  }

  /**
   * Claims the envelope's key for `identity`. `first`: the caller handles it
   * (the key is held until its answer). `answered`: a repeat, answered with
   * the first answer. A repeat that finds the first still being handled waits
   * for it, at most `waitMs`, then is refused `HANDLER_TIMEOUT`; a store that
   * fails (or takes longer than that) refuses it `UNAVAILABLE`. Never rejects.
   */
  async admit(identity: string, envelope: InboundEnvelope, waitMs: number): Promise<OnceVerdict> {
    const key = envelope.key!;
    const { store, clock } = this.parts;
    const deadline = clock.now() + waitMs;
    let delay = FIRST_POLL_MS;
    let waited = false;
    for (;;) {
      const claim = await this.claim(identity, key, Math.max(1, deadline - clock.now()));
      if (claim === undefined) {
        this.counts.unavailable++;
        return { kind: 'refused', error: UNAVAILABLE };
      }
      if (claim.state === 'first') {
        this.held.set(envelope, { identity, key, handling: false });
        this.counts.handled++;
        return FIRST;
      }
      if (claim.state === 'answered') {
        if (envelope.id === undefined) this.counts.repeatedEmits++;
        else this.counts.repeats++;
        return { kind: 'answered', answer: claim.answer };
      }
      const left = deadline - clock.now();
      if (left <= 0) {
        return {
          kind: 'refused',
          error: new CaromError(
            ErrorCode.HANDLER_TIMEOUT,
            `the first envelope with this key was still being handled after ${waitMs} ms; send it again later`,
          ),
        };
      }
      if (!waited) {
        waited = true;
        this.counts.waited++;
      }
      if (typeof store.awaitSettled === 'function') {
        await this.awaitSettled(identity, key, left);
      } else {
        await sleep(clock, Math.min(delay, left));
        delay = Math.min(delay * 2, MAX_POLL_MS);
      }
    }
  }

  /** The envelope reached its handler: from now on its answer is remembered. */
  started(envelope: object): void {
    const held = this.held.get(envelope);
    if (held !== undefined) held.handling = true;
  }

  /** True when `to` holds a claimed key awaiting its answer. */
  holds(to: object): boolean {
    return this.held.has(to);
  }

  /**
   * An answer to a held envelope went out (or would have, had it an id and an
   * open connection): it is remembered, or the key let go (see the class).
   */
  answered(to: object, answer: FirstAnswer | undefined, code: string | undefined): void {
    const held = this.held.get(to);
    if (held === undefined) return;
    this.held.delete(to);
    if (!held.handling || code === ErrorCode.UNAVAILABLE || code === ErrorCode.RATE_LIMITED) {
      this.release(held);
      return;
    }
    try {
      this.parts.store.settle(held.identity, held.key, answer ?? EMIT_ANSWER, this.parts.windowMs);
    } catch (err) {
      this.parts.logger.error('the once store failed to record an answer', err);
    }
  }

  /** Lets go of a held envelope that will get no answer here (dropped as stale, or its connection closed). */
  letGo(envelope: object): void {
    const held = this.held.get(envelope);
    if (held === undefined) return;
    this.held.delete(envelope);
    this.release(held);
  }

  private release(held: Held): void {
    this.counts.released++;
    try {
      this.parts.store.release(held.identity, held.key);
    } catch (err) {
      this.parts.logger.error('the once store failed to release a key', err);
    }
  }

  /** One claim, bounded by `ms`; `undefined` when the store failed, answered nonsense or took too long. */
  private async claim(identity: string, key: string, ms: number): Promise<Claim | undefined> {
    const { store, windowMs, maxKeys, clock, logger } = this.parts;
    let claim: unknown;
    try {
      // Promise.resolve: a store that answers with a plain value is read as if it resolved with it.
      claim = await raceClock(
        Promise.resolve(store.claim(identity, key, windowMs, maxKeys)),
        ms,
        clock,
        LATE,
      );
    } catch (err) {
      if (err === TOO_LATE) {
        logger.error(`the once store did not answer a claim within ${ms} ms; answered UNAVAILABLE`);
      } else {
        logger.error(
          `the once store failed to claim a key; answered ${ErrorCode.UNAVAILABLE}`,
          err,
        );
      }
      return undefined;
    }
    if (isClaim(claim)) return claim;
    logger.error(`the once store's claim resolved with ${describe(claim)}; answered UNAVAILABLE`);
    return undefined;
  }

  private async awaitSettled(identity: string, key: string, ms: number): Promise<void> {
    try {
      await raceClock(
        Promise.resolve(this.parts.store.awaitSettled!(identity, key, ms)),
        ms,
        this.parts.clock,
        LATE,
      );
    } catch (err) {
      // The next claim says what the key holds; a store that is down fails that one.
      if (err !== TOO_LATE)
        this.parts.logger.error('the once store failed while a repeat waited', err);
    }
  }
}

/**
 * The gate for the app's `once` option on its broker, or `undefined` when keys
 * are not handled once: `once: false`, or the option left out on a broker that
 * keeps no keys (logged). Set on such a broker, it is refused.
 */
export function onceGateOf(
  option: OnceOptions | false | undefined,
  broker: Broker,
  clock: Clock,
  logger: CaromLogger,
): OnceGate | undefined {
  if (option === false) return undefined;
  const store = broker.once;
  if (store === undefined) {
    if (option !== undefined) throw appError('CAROM_ERR_NO_ONCE_STORE');
    logger.warn(
      'the broker keeps no keys of requests handled once: envelopes sent with a key are handled as if they had none (set once: false to say so)',
    );
    return undefined;
  }
  return new OnceGate({
    store,
    windowMs: option?.windowMs ?? ONCE_DEFAULTS.windowMs,
    maxKeys: option?.maxKeys ?? ONCE_DEFAULTS.maxKeys,
    identity: option?.identity,
    clock,
    logger,
  });
}

/**
 * The default identity: the user's `id` when `authenticate` returned an object
 * with a string or number `id`, else the client instance id carom's client
 * sent. Prefixed by kind, so that a client cannot pick an instance id that
 * names a user.
 */
function defaultIdentity(connection: Connection): string | undefined {
  const user: unknown = connection.user;
  if (user !== null && typeof user === 'object') {
    const id = readField(user, 'id');
    if (typeof id === 'string' && id !== '' && id.length <= MAX_IDENTITY_LENGTH) return `u:${id}`;
    if (typeof id === 'number' && Number.isFinite(id)) return `u:${id}`;
  }
  const clientId = connection.clientId;
  return clientId === undefined ? undefined : `c:${clientId}`;
}

function isClaim(value: unknown): value is Claim {
  if (value === null || typeof value !== 'object') return false;
  const state = readField(value, 'state');
  if (state === 'first' || state === 'pending') return true;
  if (state !== 'answered') return false;
  const answer = readField(value, 'answer');
  if (answer === null || typeof answer !== 'object') return false;
  const kind = readField(answer, 'kind');
  return (kind === 'ack' || kind === 'error') && typeof readField(answer, 'json') === 'string';
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
}
