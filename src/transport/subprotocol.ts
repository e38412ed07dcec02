/** The WebSocket subprotocol carom's client offers, and the server selects when offered. */
export const CAROM_PROTOCOL = 'carom';

/**
 * Prefix of the subprotocol entry that carries a token:
 * `carom.token.<base64url of the UTF-8 token, no padding>`. It travels in the
 * `Sec-WebSocket-Protocol` header, which proxies and access logs do not keep as
 * they keep URLs, and which a browser can set.
 */
export const TOKEN_PROTOCOL_PREFIX = 'carom.token.';

/**
 * Prefix of the subprotocol entry carom's client sends with its instance id,
 * `carom.client.<8 to 64 base64url characters>`: random per client instance,
 * kept across its reconnects, so that a server can recognise a retried
 * request from a client that has no user id. Never selected or echoed.
 */
export const CLIENT_PROTOCOL_PREFIX = 'carom.client.';

const MIN_CLIENT_ID = 8;
const MAX_CLIENT_ID = 64;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The subprotocol to agree on, for `ws`'s `handleProtocols`: `carom` when it is
 * offered, else the first offered (what `ws` does by default). A token entry is
 * never selected: the server would echo the credential back; nor is a client
 * id entry, which names no protocol.
 */
export function selectProtocol(offered: ReadonlySet<string>): string | false {
  if (offered.has(CAROM_PROTOCOL)) return CAROM_PROTOCOL;
  for (const protocol of offered) {
    if (!protocol.startsWith(TOKEN_PROTOCOL_PREFIX) && !protocol.startsWith(CLIENT_PROTOCOL_PREFIX))
      return protocol;
  }
  return false;
}

/**
 * The client instance id in a `Sec-WebSocket-Protocol` header value (the
 * first well-formed `carom.client.` entry), or `undefined`. An entry of the
 * wrong length or alphabet is skipped, never thrown on.
 */
export function clientIdFromProtocols(value: string | undefined): string | undefined {
  if (!value || !value.includes(CLIENT_PROTOCOL_PREFIX)) return undefined;
  for (const part of value.split(',')) {
    const entry = part.trim();
    if (!entry.startsWith(CLIENT_PROTOCOL_PREFIX)) continue;
    const id = entry.slice(CLIENT_PROTOCOL_PREFIX.length);
    if (id.length >= MIN_CLIENT_ID && id.length <= MAX_CLIENT_ID && BASE64URL.test(id)) return id;
  }
  return undefined;
}

/**
 * The token in a `Sec-WebSocket-Protocol` header value, or `undefined`. An entry
 * that is not canonical base64url of valid UTF-8 is skipped, never thrown on.
 */
export function tokenFromProtocols(value: string | undefined): string | undefined {
  if (!value || !value.includes(TOKEN_PROTOCOL_PREFIX)) return undefined;
  for (const part of value.split(',')) {
    const entry = part.trim();
    if (!entry.startsWith(TOKEN_PROTOCOL_PREFIX)) continue;
    const token = decodeToken(entry.slice(TOKEN_PROTOCOL_PREFIX.length));
    if (token) return token;
  }
  return undefined;
}

function decodeToken(encoded: string): string | undefined {
  if (!BASE64URL.test(encoded) || encoded.length % 4 === 1) return undefined;
  const bytes = Buffer.from(encoded, 'base64url');
  // Node's decoder ignores stray bits; a value that does not encode back is not ours.
  if (bytes.toString('base64url') !== encoded) return undefined;
  try {
    return utf8.decode(bytes) || undefined;
  } catch {
    return undefined;
  }
}

/** The subprotocol entry that carries `token` (what carom's client offers besides `carom`). */
export function tokenProtocol(token: string): string {
  return TOKEN_PROTOCOL_PREFIX + Buffer.from(token, 'utf8').toString('base64url');
}
