/**
 * How the testing kit's assertions compare what arrived with what a test
 * expects: a pattern, as Phoenix's tests match maps. An object matches when
 * every key it names matches (others may exist), an array when it has the
 * same length and each element matches, anything else when it is `===`.
 */

/** What a test expects of a value: the same shape, objects partial at every depth. */
export type Expected<T> = T extends readonly (infer U)[]
  ? readonly Expected<U>[]
  : T extends object
    ? { readonly [K in keyof T]?: Expected<T[K]> }
    : T;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Nesting past this is refused rather than walked: expected values are a test's own, never deep. */
const MAX_DEPTH = 64;

/** True when `actual` matches the pattern `expected` (see the file's comment). */
export function matches(actual: unknown, expected: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return false;
    for (let i = 0; i < expected.length; i++) {
      if (!matches(actual[i], expected[i], depth + 1)) return false;
    }
    return true;
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return false;
    for (const key of Object.keys(expected)) {
      const want = expected[key];
      if (want === undefined) {
        if (Object.hasOwn(actual, key) && actual[key] !== undefined) return false;
      } else if (!Object.hasOwn(actual, key) || !matches(actual[key], want, depth + 1)) {
        return false;
      }
    }
    return true;
  }
  return actual === expected;
}

/** A frame as a failure message quotes it: at most 200 characters. */
export function quoteFrame(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
