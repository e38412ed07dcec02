import { systemClock, type Clock, type TimerHandle } from './clock.js';
import type { Claim, FirstAnswer, OnceStore } from './once.js';
import { ONCE_DEFAULTS } from './options.js';

/** Bounds of a {@link MemoryOnceStore}: what one process may spend on remembered keys. */
export interface MemoryOnceOptions {
  /** The clock windows are measured by; the app passes its own (the testing kit's fake one). */
  readonly clock?: Clock;
  /** Identities remembered at once; past it the one least recently heard from is forgotten. Default 10 000. */
  readonly maxIdentities?: number;
  /**
   * Characters of keys and first answers held in all; past it the oldest keys
   * of the identities least recently heard from go first. Default 64 Mi.
   */
  readonly maxChars?: number;
}

/** Keys an identity keeps when the claim does not say (the `once` option's default). */
const DEFAULT_MAX_KEYS = ONCE_DEFAULTS.maxKeys;
/** What an entry costs beyond its key and answer, roughly, in the `maxChars` budget. */
const ENTRY_OVERHEAD = 64;

const FIRST: Claim = Object.freeze({ state: 'first' });
const PENDING: Claim = Object.freeze({ state: 'pending' });

interface Waiter {
  readonly wake: () => void;
  readonly timer: TimerHandle;
}

interface Entry {
  expires: number;
  answer: FirstAnswer | undefined;
  waiters: Waiter[] | undefined;
  chars: number;
}

/**
 * The keys of requests handled once, in this process: exact for a lone node.
 * Bounded three ways, so that no client can grow it without end: each
 * identity keeps at most `maxKeys` keys (the oldest go first), at most
 * `maxIdentities` identities are kept (the least recently heard from go
 * first), and the keys and answers held stay under `maxChars`. A key past
 * its window, or evicted, is forgotten: a repeat of it is handled again.
 * A repeat that waits for a pending key is woken as soon as it is settled or
 * released, with no polling.
 */
export class MemoryOnceStore implements OnceStore {
  private readonly clock: Clock;
  private readonly maxIdentities: number;
  private readonly maxChars: number;
  /** Map order is recency: the identity least recently heard from comes first. */
  private readonly byIdentity = new Map<string, Map<string, Entry>>();
  private chars = 0;
  private keyCount = 0;

  constructor(options: MemoryOnceOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxIdentities = options.maxIdentities ?? 10_000;
    this.maxChars = options.maxChars ?? 64 * 1024 * 1024;
  }

  /** Identities holding at least one key now. */
  get identities(): number {
    return this.byIdentity.size;
  }

  /** Keys held now, over every identity (expired ones may linger until touched). */
  get keys(): number {
    return this.keyCount;
  }

  claim(identity: string, key: string, windowMs: number, maxKeys?: number): Promise<Claim> {
    return Promise.resolve(this.claimNow(identity, key, windowMs, maxKeys ?? DEFAULT_MAX_KEYS));
  }

  settle(identity: string, key: string, answer: FirstAnswer, windowMs: number): void {
    const entry = this.byIdentity.get(identity)?.get(key);
    if (entry === undefined || entry.answer !== undefined) return;
    entry.answer = answer;
    entry.expires = this.clock.now() + windowMs;
    const more = answer.json.length;
    entry.chars += more;
    this.chars += more;
    this.wake(entry);
    this.shrink(identity);
  }

  release(identity: string, key: string): void {
    const keys = this.byIdentity.get(identity);
    const entry = keys?.get(key);
    if (keys === undefined || entry === undefined || entry.answer !== undefined) return;
    this.remove(identity, keys, key, entry);
  }

  awaitSettled(identity: string, key: string, timeoutMs: number): Promise<void> {
    const entry = this.byIdentity.get(identity)?.get(key);
    if (entry === undefined || entry.answer !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiters = (entry.waiters ??= []);
      const timer = this.clock.setTimeout(() => {
        const at = waiters.indexOf(waiter);
        if (at !== -1) waiters.splice(at, 1);
        resolve();
      }, timeoutMs);
      const waiter: Waiter = { wake: resolve, timer };
      waiters.push(waiter);
    });
  }

  private claimNow(identity: string, key: string, windowMs: number, maxKeys: number): Claim {
    const now = this.clock.now();
    let keys = this.byIdentity.get(identity);
    if (keys === undefined) {
      keys = new Map<string, Entry>();
    } else {
      // Heard from again: it moves to the back of the eviction order.
      this.byIdentity.delete(identity);
    }
    this.byIdentity.set(identity, keys);
    const entry = keys.get(key);
    if (entry !== undefined) {
      if (entry.expires > now) return entry.answer === undefined ? PENDING : answered(entry.answer);
      this.remove(identity, keys, key, entry);
    }
    this.dropExpired(identity, keys, now);
    const chars = key.length + ENTRY_OVERHEAD;
    keys.set(key, { expires: now + windowMs, answer: undefined, waiters: undefined, chars });
    this.chars += chars;
    this.keyCount++;
    while (keys.size > maxKeys) this.removeOldest(identity, keys);
    this.shrink(identity);
    return FIRST;
  }

  /** The oldest keys of an identity that are past their window; stops at the first that is not. */
  private dropExpired(identity: string, keys: Map<string, Entry>, now: number): void {
    for (const [key, entry] of keys) {
      if (entry.expires > now) return;
      this.remove(identity, keys, key, entry);
    }
  }

  /** Back under `maxIdentities` and `maxChars`, sparing `current` (just heard from) for last. */
  private shrink(current: string): void {
    while (this.byIdentity.size > this.maxIdentities) {
      const [identity, keys] = this.byIdentity.entries().next().value as [
        string,
        Map<string, Entry>,
      ];
      if (identity === current) break;
      for (const [key, entry] of keys) this.remove(identity, keys, key, entry);
    }
    while (this.chars > this.maxChars && this.keyCount > 1) {
      const [identity, keys] = this.byIdentity.entries().next().value as [
        string,
        Map<string, Entry>,
      ];
      this.removeOldest(identity, keys);
    }
  }

  private removeOldest(identity: string, keys: Map<string, Entry>): void {
    const [key, entry] = keys.entries().next().value as [string, Entry];
    this.remove(identity, keys, key, entry);
  }

  private remove(identity: string, keys: Map<string, Entry>, key: string, entry: Entry): void {
    keys.delete(key);
    if (keys.size === 0) this.byIdentity.delete(identity);
    this.chars -= entry.chars;
    this.keyCount--;
    // Whoever waited for it claims again, and finds it gone.
    this.wake(entry);
  }

  private wake(entry: Entry): void {
    const waiters = entry.waiters;
    if (waiters === undefined) return;
    entry.waiters = undefined;
    for (const waiter of waiters) {
      this.clock.clearTimeout(waiter.timer);
      waiter.wake();
    }
  }
}

function answered(answer: FirstAnswer): Claim {
  return { state: 'answered', answer };
}
