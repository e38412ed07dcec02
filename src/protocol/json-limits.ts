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

/**
 * Names of `Object.prototype`'s methods: on every plain object they resolve to
 * a shared built-in function, and a naive deep merge that follows an object
 * value under one of them writes onto that function for the whole process
 * (`{hasOwnProperty: {call: 1}}` breaks every
 * `Object.prototype.hasOwnProperty.call(...)`). With a plain value they only
 * shadow a method of the one object, which class-transformer drops anyway.
 */
const SHARED_WHEN_OBJECT: ReadonlySet<string> = new Set([
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
 * True when a key with this value is refused in a payload.
 *
 * - `__proto__`, whatever its value: `target[key] = value` in any naive copy
 *   (`Object.assign` included) sets the target's prototype.
 * - `constructor`, whatever its value: with an object value it is the
 *   deep-merge pollution path (`merge(obj, {constructor: {prototype: {x: 1}}})`
 *   reaches `Object.prototype`; `{constructor: {assign: 1}}` overwrites
 *   `Object.assign`); with a plain value it is what code that trusts
 *   `value.constructor` trips on: class-transformer 0.5 takes a nested
 *   object's own `constructor` as its class when no `@Type` says otherwise,
 *   and `plainToInstance` throws a TypeError on `{"a": {"constructor": 1}}`.
 * - the names in {@link SHARED_WHEN_OBJECT}, when the value is an object or an
 *   array.
 *
 * `prototype` is allowed with any value: it only matters on a function, which
 * a JSON value reaches only through the keys above, and class-transformer
 * assigns it as a plain own property.
 */
export function isRefusedKey(key: string, value: unknown): boolean {
  if (key === '__proto__' || key === 'constructor') return true;
  return value !== null && typeof value === 'object' && SHARED_WHEN_OBJECT.has(key);
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
 * Checks a decoded payload and reports the first problem: nesting deeper than
 * `maxDepth` (see the module's definition), or a refused key
 * ({@link isRefusedKey}) with its path from `root`. Iterative, with explicit
 * stacks: each value is visited at most once, so the work is bounded by the
 * payload's size, and no payload can overflow the call stack.
 */
export function inspectPayload(
  value: unknown,
  maxDepth: number,
  root: string,
): PayloadProblem | undefined {
  const found = quickCheck(value, maxDepth);
  if (found === undefined) return undefined;
  // The quick walk does not keep paths; a second one, only for a refused frame, does.
  return found === 'depth' ? { kind: 'depth' } : keyProblem(value, maxDepth, root);
}

/**
 * The common path: a walk with two flat stacks (containers and their depths),
 * no allocation per value beyond the key list, and no path.
 */
function quickCheck(value: unknown, maxDepth: number): 'depth' | 'key' | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (maxDepth < 1) return 'depth';
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (child !== null && typeof child === 'object') {
          if (depth >= maxDepth) return 'depth';
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      const keys = Object.keys(node);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const child = (node as Record<string, unknown>)[key];
        if (isRefusedKey(key, child)) return 'key';
        if (child !== null && typeof child === 'object') {
          if (depth >= maxDepth) return 'depth';
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return undefined;
}

/**
 * Finds the path of the first refused key, depth-first with one stack entry
 * per open level (never more than `maxDepth`). Reports depth if it finds that
 * first.
 */
function keyProblem(value: unknown, maxDepth: number, root: string): PayloadProblem {
  const stack: Level[] = [levelOf(value as object)];
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
  // Not reached: quickCheck found a refused key, so this walk finds one too.
  return { kind: 'key', path: root };
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
