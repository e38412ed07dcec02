/**
 * The store behind `connection.assigns`: an object without a prototype, so
 * that a key such as `__proto__` or `constructor` is an ordinary key; and the
 * `Map` face that `connection.state` (0.1's API) keeps over the same store.
 */
export function newAssigns<A extends object>(): A {
  return Object.create(null) as A;
}

/**
 * `connection.state` as 0.1 had it, a `Map` with string keys, reading and
 * writing the connection's assigns: code that still uses `state` and code
 * that moved to `assigns` see the same values.
 */
export class AssignsMap extends Map<string, unknown> {
  constructor(private readonly store: Record<string, unknown>) {
    super();
  }

  override get(key: string): unknown {
    return Object.hasOwn(this.store, key) ? this.store[key] : undefined;
  }

  override set(key: string, value: unknown): this {
    this.store[key] = value;
    return this;
  }

  override has(key: string): boolean {
    return Object.hasOwn(this.store, key);
  }

  override delete(key: string): boolean {
    if (!Object.hasOwn(this.store, key)) return false;
    delete this.store[key];
    return true;
  }

  override clear(): void {
    for (const key of Object.keys(this.store)) delete this.store[key];
  }

  override get size(): number {
    return Object.keys(this.store).length;
  }

  override forEach(
    fn: (value: unknown, key: string, map: Map<string, unknown>) => void,
    thisArg?: unknown,
  ): void {
    for (const [key, value] of this.entries()) fn.call(thisArg, value, key, this);
  }

  override *entries(): MapIterator<[string, unknown]> {
    for (const key of Object.keys(this.store)) yield [key, this.store[key]];
  }

  override *keys(): MapIterator<string> {
    yield* Object.keys(this.store);
  }

  override *values(): MapIterator<unknown> {
    for (const key of Object.keys(this.store)) yield this.store[key];
  }

  override [Symbol.iterator](): MapIterator<[string, unknown]> {
    return this.entries();
  }
}
