import { appError } from './errors.js';
import { isReserved, patternPrefix, patternProblem, someDotPrefix } from '../protocol/names.js';

/** Who declared a topic: what kind of thing, and its name for messages. */
export interface Declaration {
  /** A sender's `@Topic`, an entry of the `topics` option, or a channel made at run time. */
  readonly kind: 'sender' | 'option' | 'channel';
  /** How messages name the declarer: the sender's class, `the topics option`, `a channel`. */
  readonly by: string;
}

/**
 * The catalogue of events clients may subscribe to and the server may publish:
 * senders' topics, channels created at run time, and declared families such as
 * `room.*` (every name under the prefix).
 */
export class Topics {
  private readonly owners = new Map<string, Declaration>();
  private readonly families = new Set<string>();

  constructor(readonly allowUndeclared: boolean) {}

  /** Declares an exact name, saying who declares it. */
  declare(name: string, declaration: Declaration): void {
    const { by } = declaration;
    if (isReserved(name)) throw appError('CAROM_ERR_RESERVED_NAME', by, name);
    if (patternProblem(name) || name.includes('*')) {
      throw appError('CAROM_ERR_NOT_EXACT_NAME', by, name);
    }
    const existing = this.owners.get(name);
    if (existing !== undefined) {
      throw appError('CAROM_ERR_ALREADY_DECLARED', by, name, existing.by);
    }
    this.owners.set(name, declaration);
  }

  /** Declares every name under a prefix pattern (`room.*`). */
  declareFamily(pattern: string): void {
    if (pattern === '*' || !pattern.endsWith('.*') || patternProblem(pattern)) {
      throw appError('CAROM_ERR_BAD_TOPIC_FAMILY', pattern);
    }
    if (isReserved(patternPrefix(pattern))) {
      throw appError('CAROM_ERR_RESERVED_NAME', 'the topics option', pattern);
    }
    this.families.add(patternPrefix(pattern));
  }

  /** Removes an exact name. Returns false when it was not declared. */
  undeclare(name: string): boolean {
    return this.owners.delete(name);
  }

  /** Who declared `name`, if anyone did by its exact name. */
  declarationOf(name: string): Declaration | undefined {
    return this.owners.get(name);
  }

  /** True when clients may subscribe to `name` and the server may publish it. */
  isDeclared(name: string): boolean {
    if (this.allowUndeclared || this.owners.has(name)) return true;
    if (this.families.size === 0) return false;
    return someDotPrefix(name, isMember, this.families);
  }

  /**
   * The declared topic `name` belongs to: the name itself when declared
   * exactly, else the family pattern (`room.*`) covering it, the shortest one
   * when several do; `undefined` when nothing declares it.
   */
  topicOf(name: string): string | undefined {
    if (this.owners.has(name)) return name;
    if (this.families.size === 0) return undefined;
    const search: FamilySearch = { families: this.families, found: undefined };
    someDotPrefix(name, findFamily, search);
    return search.found === undefined ? undefined : `${search.found}*`;
  }

  /** Declared exact names and family patterns (`room.*`): every value {@link topicOf} can return. */
  declared(): string[] {
    const all = [...this.owners.keys()];
    for (const prefix of this.families) all.push(`${prefix}*`);
    return all;
  }

  /** Declared exact names, in the order they were declared. */
  names(): string[] {
    return [...this.owners.keys()];
  }
}

function isMember(prefix: string, prefixes: ReadonlySet<string>): boolean {
  return prefixes.has(prefix);
}

interface FamilySearch {
  readonly families: ReadonlySet<string>;
  found: string | undefined;
}

function findFamily(prefix: string, search: FamilySearch): boolean {
  if (!search.families.has(prefix)) return false;
  search.found = prefix;
  return true;
}
