/** What the subscription index needs of a set of names: `Set<string>` is one. */
export interface Names extends Iterable<string> {
  readonly size: number;
  has(name: string): boolean;
  add(name: string): unknown;
  delete(name: string): boolean;
}

/**
 * A set of names in insertion order that keeps its first name in the object
 * itself and makes a `Set` only for a second. Nearly every connection holds
 * one exact subscription or two, and a `Set` of one name costs several times
 * this object; with thousands of idle connections that is most of what they
 * hold beyond their sockets.
 */
export class NameSet implements Names {
  /** The oldest name; undefined only when the set is empty. */
  private first: string | undefined = undefined;
  /** The names after the first, in insertion order; made with the second. */
  private rest: Set<string> | undefined = undefined;

  get size(): number {
    if (this.first === undefined) return 0;
    return this.rest === undefined ? 1 : 1 + this.rest.size;
  }

  has(name: string): boolean {
    return name === this.first || (this.rest !== undefined && this.rest.has(name));
  }

  add(name: string): this {
    if (this.first === undefined) this.first = name;
    else if (name !== this.first) (this.rest ??= new Set<string>()).add(name);
    return this;
  }

  delete(name: string): boolean {
    if (name !== this.first) return this.rest !== undefined && this.rest.delete(name);
    // The next oldest takes the first place, so that iteration keeps insertion order.
    const rest = this.rest;
    if (rest === undefined || rest.size === 0) {
      this.first = undefined;
      this.rest = undefined;
      return true;
    }
    const next = rest.values().next().value as string;
    rest.delete(next);
    this.first = next;
    if (rest.size === 0) this.rest = undefined;
    return true;
  }

  *[Symbol.iterator](): Iterator<string> {
    if (this.first === undefined) return;
    yield this.first;
    if (this.rest !== undefined) yield* this.rest;
  }
}
