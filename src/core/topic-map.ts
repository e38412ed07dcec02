import { patternPrefix, someDotPrefix } from '../protocol/names.js';

/**
 * A value per declared topic: exact names, and families (`room.*`) whose value
 * covers every event under the prefix. The lookup behind delivery policies and
 * histories: an exact name first, else the shortest family covering it.
 */
export class TopicMap<T> {
  private readonly exact = new Map<string, T>();
  /** By prefix (`room.`), as `someDotPrefix` walks them. */
  private readonly families = new Map<string, T>();

  /** How many topics have a value. */
  get size(): number {
    return this.exact.size + this.families.size;
  }

  /** Sets the value of an exact name or of a family (`room.*`). */
  set(topic: string, value: T): void {
    if (topic.endsWith('.*')) this.families.set(patternPrefix(topic), value);
    else this.exact.set(topic, value);
  }

  /** Forgets an exact name's value (a deleted channel). */
  remove(topic: string): void {
    this.exact.delete(topic);
  }

  /** The value `event` takes: its own, else the shortest family's covering it. */
  of(event: string): T | undefined {
    const own = this.exact.get(event);
    if (own !== undefined || this.families.size === 0) return own;
    const search: FamilySearch<T> = { families: this.families, found: undefined };
    someDotPrefix(event, findFamily, search);
    return search.found;
  }

  /** Every value, families first. */
  values(): T[] {
    return [...this.families.values(), ...this.exact.values()];
  }
}

interface FamilySearch<T> {
  readonly families: ReadonlyMap<string, T>;
  found: T | undefined;
}

function findFamily<T>(prefix: string, search: FamilySearch<T>): boolean {
  search.found = search.families.get(prefix);
  return search.found !== undefined;
}
