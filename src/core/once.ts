/**
 * What a request or emit sent with a `key` was answered with the first time:
 * the `ack`'s data, or the `error`'s. Kept as JSON text, so a store can hold it
 * anywhere.
 */
export interface FirstAnswer {
  /** `ack` or `error`. */
  readonly kind: 'ack' | 'error';
  /** The ack's `data`, or the error envelope's `data`, as JSON text. */
  readonly json: string;
}

/** What claiming a key found. */
export type Claim =
  | {
      /** No one handled this key in the window: the caller handles it, then settles or releases it. */
      readonly state: 'first';
    }
  | {
      /** Another attempt is handling it now; ask again later (bounded by the handler timeout). */
      readonly state: 'pending';
    }
  | {
      /** It was handled; answer the repeat with the first answer. */
      readonly state: 'answered';
      /** The first attempt's answer. */
      readonly answer: FirstAnswer;
    };

/**
 * Keys of requests already handled, per client identity, for a bounded window:
 * a request retried after a reconnect (to this node or, with `carom/redis`,
 * to another) is handled once and its repeats get the first answer. In memory
 * for a lone node; in Redis with the Redis broker.
 */
export interface OnceStore {
  /**
   * Claims `key` of `identity` for `windowMs`. Rejects only when the store
   * cannot be reached. `maxKeys` is the app's bound on the keys one identity
   * holds (the oldest go first); a store that cannot bound per identity
   * bounds by the window and documents it.
   */
  claim(identity: string, key: string, windowMs: number, maxKeys?: number): Promise<Claim>;
  /** Records the first answer of a claimed key, for the rest of the window. Never throws. */
  settle(identity: string, key: string, answer: FirstAnswer, windowMs: number): void;
  /** Lets go of a claimed key that was not handled (refused before its handler ran), so a retry is handled. Never throws. */
  release(identity: string, key: string): void;
  /**
   * Resolves once a key another attempt holds is no longer pending here
   * (settled, released, expired or evicted), or after `timeoutMs`; the caller
   * then claims again. Never rejects. Optional: without it the dispatcher
   * claims again after a growing delay (at most 250 ms), within the same bound.
   */
  awaitSettled?(identity: string, key: string, timeoutMs: number): Promise<void>;
}
