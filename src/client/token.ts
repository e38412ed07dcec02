/**
 * The token: where it comes from on each attempt, and how it travels (a
 * subprotocol entry by default, or the query string).
 */

import { base64urlBytes, CLIENT_PROTOCOL } from './identity.js';

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

/**
 * The URL and subprotocols of an attempt that carries `token` (if a string) in
 * `place`, and the client's instance id `client` last (`carom` stays first).
 */
export function dialTarget(
  url: string,
  token: string | undefined,
  place: TokenPlace,
  client: string,
): { url: string; protocols: string[] } {
  const entry = CLIENT_PROTOCOL + client;
  if (typeof token !== 'string') return { url, protocols: [PROTOCOL, entry] };
  if (place === 'query') return { url: withToken(url, token), protocols: [PROTOCOL, entry] };
  return { url, protocols: [PROTOCOL, TOKEN_PROTOCOL + base64url(token), entry] };
}

function withToken(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

/** base64url of the UTF-8 bytes, no padding. */
export function base64url(text: string): string {
  return base64urlBytes(new TextEncoder().encode(text));
}
