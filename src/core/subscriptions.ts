import { ALL, isPattern, patternPrefix, patternsCover, someDotPrefix } from '../protocol/names.js';
import { NameSet, type Names } from './name-set.js';

/**
 * What the index keeps for each connection, and only the index writes. Most
 * connections never hold a pattern or an exclusion, and idle memory per
 * connection counts: each set is made on its first add and dropped (left
 * `undefined`) again when emptied.
 */
export interface Subscriber {
  /** Exact names this connection subscribed to (a `NameSet`: one name costs no `Set`). */
  exact?: Names | undefined;
  /** `*` and `prefix.*` patterns this connection subscribed to. */
  patterns?: Set<string> | undefined;
  /** Exact names excluded from this connection's patterns. */
  excluded?: Set<string> | undefined;
  /** Scratch mark that keeps one publish from reaching a connection twice. */
  mark: number;
}

/** Counts of what the index holds, for tests and monitoring. */
export interface SubscriptionCounts {
  /** Exact-name subscriptions, summed over connections. */
  readonly exact: number;
  /** Pattern subscriptions (`*`, `prefix.*`), summed over connections. */
  readonly patterns: number;
  /** Exclusions under patterns, summed over connections. */
  readonly exclusions: number;
  /** Events whose recipient list is cached. */
  readonly cachedEvents: number;
}

const EMPTY: readonly never[] = [];
const MAX_CACHED_EVENTS = 10_000;

/**
 * Told when a connection starts or stops holding an exact name: presence
 * listens here, the one place every change of subscriptions passes.
 */
export interface ExactObserver<S> {
  joined(s: S, name: string): void;
  left(s: S, name: string): void;
}

/**
 * Who receives an event. Subscriptions are indexed by exact name, by prefix and
 * for `*`; a publish reads a cached recipient array built from those three, so
 * it never scans all connections. A change touches only the cache entries it
 * can affect: one event for an exact name, all of them for a pattern.
 */
export class Subscriptions<S extends Subscriber> {
  /** Set once by the app when presence is on; undefined costs one check per change. */
  observer: ExactObserver<S> | undefined = undefined;
  private readonly byName = new Map<string, Set<S>>();
  private readonly byPrefix = new Map<string, Set<S>>();
  private readonly everything = new Set<S>();
  private readonly recipientCache = new Map<string, readonly S[]>();
  private exactCount = 0;
  private patternCount = 0;
  private exclusionCount = 0;
  private markSeq = 0;

  /** Adds a subscription to an exact name or a pattern; lifts an exclusion of that name. */
  add(s: S, name: string): void {
    if (isPattern(name)) {
      if (s.patterns?.has(name)) return;
      (s.patterns ??= new Set()).add(name);
      this.patternCount++;
      if (name === ALL) this.everything.add(s);
      else addTo(this.byPrefix, patternPrefix(name), s);
      this.recipientCache.clear();
      return;
    }
    if (s.excluded?.delete(name)) {
      this.exclusionCount--;
      if (s.excluded.size === 0) s.excluded = undefined;
    }
    if (!s.exact?.has(name)) {
      (s.exact ??= new NameSet()).add(name);
      this.exactCount++;
      addTo(this.byName, name, s);
      this.observer?.joined(s, name);
    }
    this.recipientCache.delete(name);
  }

  /**
   * Removes a subscription. `*` removes all of them; an exact name that one of
   * the connection's patterns still covers becomes an exclusion.
   */
  remove(s: S, name: string): void {
    if (name === ALL) {
      this.removeAll(s);
      return;
    }
    if (isPattern(name)) {
      if (!s.patterns?.delete(name)) return;
      if (s.patterns.size === 0) s.patterns = undefined;
      this.patternCount--;
      removeFrom(this.byPrefix, patternPrefix(name), s);
      const excluded = s.excluded;
      if (excluded !== undefined) {
        for (const ex of excluded) {
          if (!patternsCover(s.patterns, ex)) {
            excluded.delete(ex);
            this.exclusionCount--;
          }
        }
        if (excluded.size === 0) s.excluded = undefined;
      }
      this.recipientCache.clear();
      return;
    }
    if (s.exact?.delete(name)) {
      if (s.exact.size === 0) s.exact = undefined;
      this.exactCount--;
      removeFrom(this.byName, name, s);
      this.observer?.left(s, name);
    }
    if (patternsCover(s.patterns, name) && !s.excluded?.has(name)) {
      (s.excluded ??= new Set()).add(name);
      this.exclusionCount++;
    }
    this.recipientCache.delete(name);
  }

  /**
   * True when adding `name` would make the connection hold one more entry: not
   * when it holds it already, nor when it lifts an exclusion of that name.
   */
  addWouldGrow(s: S, name: string): boolean {
    if (isPattern(name)) return !s.patterns?.has(name);
    return !s.exact?.has(name) && !s.excluded?.has(name);
  }

  /**
   * True when removing `name` would make the connection hold one more entry: an
   * exclusion under one of its patterns, of a name it does not hold exactly (a
   * held one trades its entry for the exclusion).
   */
  removeWouldGrow(s: S, name: string): boolean {
    if (isPattern(name) || s.excluded?.has(name) || s.exact?.has(name)) return false;
    return patternsCover(s.patterns, name);
  }

  /** Removes every subscription and exclusion of a connection. */
  removeAll(s: S): void {
    const { exact, patterns, excluded } = s;
    if (exact !== undefined) {
      for (const name of exact) removeFrom(this.byName, name, s);
      this.exactCount -= exact.size;
    }
    if (patterns !== undefined) {
      for (const p of patterns) {
        if (p === ALL) this.everything.delete(s);
        else removeFrom(this.byPrefix, patternPrefix(p), s);
      }
      this.patternCount -= patterns.size;
    }
    if (excluded !== undefined) this.exclusionCount -= excluded.size;
    if (patterns !== undefined && patterns.size > 0) this.recipientCache.clear();
    else if (exact !== undefined) for (const name of exact) this.recipientCache.delete(name);
    s.exact = s.patterns = s.excluded = undefined;
    if (exact !== undefined && this.observer !== undefined) {
      for (const name of exact) this.observer.left(s, name);
    }
  }

  /** Removes the exact-name subscriptions of `name` from every connection (a deleted channel). */
  dropName(name: string): void {
    const set = this.byName.get(name);
    if (!set) return;
    for (const s of set) {
      const exact = s.exact;
      if (exact === undefined || !exact.delete(name)) continue;
      if (exact.size === 0) s.exact = undefined;
      this.exactCount--;
      this.observer?.left(s, name);
    }
    this.byName.delete(name);
    this.recipientCache.delete(name);
  }

  /** The connections that receive `event`, each once. The array is shared: do not change it. */
  recipients(event: string): readonly S[] {
    let list = this.recipientCache.get(event);
    if (list === undefined) {
      list = this.collect(event);
      // Names published once and never again (rooms long gone) must not pile up.
      if (this.recipientCache.size >= MAX_CACHED_EVENTS) this.recipientCache.clear();
      this.recipientCache.set(event, list);
    }
    return list;
  }

  /**
   * The connections that receive any of `events`, each once, leaving out the
   * one whose `idOf` is `except`. A new array, built with the scratch marks
   * rather than a set: no allocation per recipient, no closure per call.
   */
  union(events: readonly string[], except: string | undefined, idOf: (s: S) => string): S[] {
    // Every list first: building one (collect) takes a mark of its own.
    const lists: (readonly S[])[] = [];
    for (let i = 0; i < events.length; i++) lists.push(this.recipients(events[i]!));
    const mark = ++this.markSeq;
    const out: S[] = [];
    for (let i = 0; i < lists.length; i++) {
      const list = lists[i]!;
      for (let j = 0; j < list.length; j++) {
        const s = list[j]!;
        if (s.mark === mark) continue;
        s.mark = mark;
        if (except === undefined || idOf(s) !== except) out.push(s);
      }
    }
    return out;
  }

  /** True when at least one connection would receive `event`. */
  hasRecipients(event: string): boolean {
    return this.recipients(event).length > 0;
  }

  /** What the index holds. */
  counts(): SubscriptionCounts {
    return {
      exact: this.exactCount,
      patterns: this.patternCount,
      exclusions: this.exclusionCount,
      cachedEvents: this.recipientCache.size,
    };
  }

  private collect(event: string): readonly S[] {
    const named = this.byName.get(event);
    if (this.everything.size === 0 && this.byPrefix.size === 0) {
      return named ? Array.from(named) : EMPTY;
    }
    const mark = ++this.markSeq;
    const out: S[] = [];
    if (named) {
      for (const s of named) {
        s.mark = mark;
        out.push(s);
      }
    }
    const take = (set: Set<S> | undefined): void => {
      if (!set) return;
      for (const s of set) {
        if (s.mark !== mark && !s.excluded?.has(event)) {
          s.mark = mark;
          out.push(s);
        }
      }
    };
    take(this.everything);
    someDotPrefix(
      event,
      (prefix) => {
        take(this.byPrefix.get(prefix));
        return false;
      },
      undefined,
    );
    return out;
  }
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set && set.delete(value) && set.size === 0) map.delete(key);
}
