/**
 * The token: where it comes from on each attempt, and how it travels (a
 * subprotocol entry by default, or the query string).
 */

/** The subprotocol a carom client offers and a carom server selects. */
export const PROTOCOL = 'carom';
/** The prefix of the subprotocol entry that carries the token. */
export const TOKEN_PROTOCOL = 'carom.token.';

/** A token, or a function (sync or async) that gives one on every connect; `undefined` means none. */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

/** Where the token travels. */
export type TokenPlace = 'protocol' | 'query';

/**
 * Calls a token function a turn later, so that listeners added right after
 * `connect()` hear its failure. Rejects with what it throws.
 */
export function callToken(source: Exclude<TokenSource, string>): Promise<string | undefined> {
  return Promise.resolve().then(source);
}

/** The URL and subprotocols of an attempt that carries `token` (if a string) in `place`. */
export function dialTarget(
  url: string,
  token: string | undefined,
  place: TokenPlace,
): { url: string; protocols: string[] } {
  const protocols = [PROTOCOL];
  if (typeof token !== 'string') return { url, protocols };
  if (place === 'query') return { url: withToken(url, token), protocols };
  protocols.push(TOKEN_PROTOCOL + base64url(token));
  return { url, protocols };
}

function withToken(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

/** base64url of the UTF-8 bytes, no padding; TextEncoder and btoa exist in browsers and Node alike. */
export function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
