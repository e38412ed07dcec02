/**
 * The application's own error codes (`BID_TOO_LOW`), carried by a `ClientError`
 * beside the protocol's code. They travel to clients, so their shape is fixed
 * and short: an upper-case letter, then upper-case letters, digits and `_`.
 */

/** Longest application code. */
export const MAX_APP_CODE_LENGTH = 64;

/** True for a string an application code may be. */
export function isAppCode(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_APP_CODE_LENGTH) {
    return false;
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    if (upper) continue;
    if (i === 0) return false;
    if ((c >= 48 && c <= 57) || c === 95) continue;
    return false;
  }
  return true;
}
