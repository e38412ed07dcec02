/**
 * Bounded, iterative inspection of decoded JSON: nesting depth, keys that
 * could reach a prototype, and how many values a payload holds. Nothing here
 * recurses, so no payload can overflow the stack, and every walk stops at its
 * limit.
 *
 * Depth, as carom counts it: a value that is not an object or an array
 * (`null` included) has depth 0; an object or array has depth 1 plus the
 * deepest of its members, so `{}` and `[]` are 1, `{"a":[1]}` is 2 and
 * `[[[]]]` is 3.
 */

import { quoteName } from './names.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Keys whose object value a naive deep merge would follow into something every
 * plain object shares: `constructor` leads to `Object` (and from there to
 * `Object.prototype` and to statics such as `Object.assign`), the others to the
 * built-in methods of `Object.prototype`. With a string, number, boolean or
 * `null` value they only set an own property of the one object, so they are
 * allowed then.
 */
const SHARED_WHEN_OBJECT: ReadonlySet<string> = new Set([
  'constructor',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'toString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/**
 * Text that every frame holding a refused key contains. A key can only be
 * spelled differently from its name through a `\u` escape (no refused name
 * holds a character that has a short escape), so `\u` is on the list.
 */
const KEY_HINTS = [
  '__',
  '\\u',
  'constructor',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'toString',
  'valueOf',
];

/**
 * True when a key with this value is refused in a payload. `__proto__` is
 * refused whatever its value: `target[key] = value` in any naive copy sets the
 * target's prototype (`Object.assign` included), and no application needs the
 * name. The names in {@link SHARED_WHEN_OBJECT} are refused when their value is
 * an object or an array: `merge(obj, {constructor: {prototype: {x: 1}}})` is
 * the deep-merge pollution path. `prototype` alone is allowed: it only matters
 * on a function, and a JSON value reaches a function only through the keys
 * above. class-transformer 0.5 skips `__proto__` and `constructor` keys in
 * `plainToInstance` and assigns `prototype` as an own property of the new
 * instance, so none of these can change a DTO's prototype either.
 */
export function isRefusedKey(key: string, value: unknown): boolean {
  if (key === '__proto__') return true;
  return value !== null && typeof value === 'object' && SHARED_WHEN_OBJECT.has(key);
}

/** True when the frame's text could hold a refused key (a cheap test before any walk). */
export function mayHoldRefusedKey(text: string): boolean {
  for (const hint of KEY_HINTS) if (text.includes(hint)) return true;
  return false;
}

/**
 * True when arrays and objects in a JSON text nest deeper than `limit`,
 * counting the text's own outer value. The text must be valid JSON (it has
 * been parsed): the scan only tracks whether it is inside a string, and skips
 * each string with `indexOf`, so long strings cost little.
 */
export function textDeeperThan(text: string, limit: number): boolean {
  // Every level takes an opening and a closing character.
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote that closes the string opened at `open` (the text's length if none). */
function closingQuote(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q === -1) return text.length;
    // A quote preceded by an odd run of backslashes is escaped. Each backslash is
    // counted once, so the scan stays linear.
    let backslashes = 0;
    for (let j = q - 1; j > open && text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return q;
    from = q + 1;
  }
}

/** What {@link inspectPayload} found wrong, if anything. */
export type PayloadProblem =
  { readonly kind: 'depth' } | { readonly kind: 'key'; readonly path: string };

/** One open object or array in a walk: its members and the next one to visit. */
interface Level {
  readonly node: object;
  /** Own keys of an object; `undefined` for an array. */
  readonly keys: string[] | undefined;
  readonly length: number;
  index: number;
}

function levelOf(node: object): Level {
  if (Array.isArray(node)) return { node, keys: undefined, length: node.length, index: 0 };
  const keys = Object.keys(node);
  return { node, keys, length: keys.length, index: 0 };
}

/**
 * Walks a decoded payload depth-first with an explicit stack and reports the
 * first problem: nesting deeper than `maxDepth` (see the module's definition),
 * or a refused key ({@link isRefusedKey}) with its path from `root`. The stack
 * never holds more than `maxDepth` levels, and each value is visited at most
 * once, so the work is bounded by the payload's size and the memory by the
 * limit.
 */
export function inspectPayload(
  value: unknown,
  maxDepth: number,
  root: string,
): PayloadProblem | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (maxDepth < 1) return { kind: 'depth' };
  const stack: Level[] = [levelOf(value)];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.index >= top.length) {
      stack.pop();
      continue;
    }
    const i = top.index++;
    let child: unknown;
    if (top.keys === undefined) {
      child = (top.node as unknown[])[i];
    } else {
      const key = top.keys[i]!;
      child = (top.node as Record<string, unknown>)[key];
      if (isRefusedKey(key, child)) return { kind: 'key', path: pathOf(root, stack) };
    }
    if (child !== null && typeof child === 'object') {
      if (stack.length >= maxDepth) return { kind: 'depth' };
      stack.push(levelOf(child));
    }
  }
  return undefined;
}

/** The path of the member each level is visiting, `data.a.b[1].__proto__`. */
function pathOf(root: string, stack: readonly Level[]): string {
  let path = root;
  for (const level of stack) {
    const i = level.index - 1;
    path += level.keys === undefined ? `[${i}]` : `.${quoteName(level.keys[i]!)}`;
  }
  return path;
}

/**
 * Counts the values in `value` (every object, array and primitive, `value`
 * itself included) and stops as soon as the count passes `limit`, returning
 * `limit + 1` then. Members are counted when their container is opened, before
 * any of them is visited, so the work is bounded by the limit (plus listing the
 * keys of the object where it stops), not by the payload. Meant for decoded
 * JSON: it reads own enumerable keys and does not guard against getters.
 */
export function countValues(value: unknown, limit: number): number {
  let count = 1;
  if (count > limit) return limit + 1;
  const pending: object[] = [];
  if (value !== null && typeof value === 'object') pending.push(value);
  while (pending.length > 0) {
    const node = pending.pop()!;
    const members: unknown[] = Array.isArray(node)
      ? node
      : Object.values(node as Record<string, unknown>);
    count += members.length;
    if (count > limit) return limit + 1;
    for (const member of members) {
      if (member !== null && typeof member === 'object') pending.push(member);
    }
  }
  return count;
}
