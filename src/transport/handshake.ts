import { isIP } from 'node:net';
import { appError } from '../core/errors.js';
import type { HandshakeRequest } from '../core/seam.js';
import { tokenFromProtocols } from './subprotocol.js';

/** Where `readToken` looks for a credential. */
export interface TokenSources {
  /** Query-string parameter. Default `token`. */
  readonly query?: string;
  /** Cookie name. Default `token`. */
  readonly cookie?: string;
}

/** The path of a request URL, without its query string (`/` when there is none). */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function header(request: HandshakeRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/**
 * Reads a credential from a handshake, for use in `authenticate`, looking in
 * order at: an `Authorization: Bearer …` header (Node clients); the
 * `carom.token.<base64url>` entry of `Sec-WebSocket-Protocol` (carom's client,
 * browsers included: it keeps the token out of the URL); the query string; a
 * cookie. Returns `undefined` when none is present. Malformed values (a bad
 * percent-escape, a bad base64url entry) are skipped: it never throws.
 */
export function readToken(
  request: HandshakeRequest,
  sources: TokenSources = {},
): string | undefined {
  const auth = header(request, 'authorization');
  if (auth && auth.slice(0, 7).toLowerCase() === 'bearer ') {
    const token = auth.slice(7).trim();
    if (token) return token;
  }
  const fromProtocol = tokenFromProtocols(header(request, 'sec-websocket-protocol'));
  if (fromProtocol) return fromProtocol;
  const url = typeof request.url === 'string' ? request.url : '';
  const q = url.indexOf('?');
  if (q !== -1) {
    // URLSearchParams decodes a bad escape as U+FFFD rather than throwing.
    const value = new URLSearchParams(url.slice(q + 1)).get(sources.query ?? 'token');
    if (value) return value;
  }
  const cookies = header(request, 'cookie');
  if (cookies) {
    const wanted = sources.cookie ?? 'token';
    for (const part of cookies.split(';')) {
      const eq = part.indexOf('=');
      if (eq !== -1 && part.slice(0, eq).trim() === wanted) {
        const value = decodeCookie(part.slice(eq + 1).trim());
        if (value) return value;
      }
    }
  }
  return undefined;
}

function decodeCookie(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    // URIError on a bad escape such as `%E0%A4%A`: not a token we could have set.
    return undefined;
  }
}

/** How {@link forwardedAddress} reads `X-Forwarded-For`. */
export interface ForwardedOptions {
  /**
   * Proxies of yours in front of the server, each appending to the header. The
   * address is the entry this many places from the right. Default 1.
   */
  readonly hops?: number;
}

/**
 * The client's address behind your own proxies, from `X-Forwarded-For`; for
 * the `clientAddress` option: `clientAddress: (r) => forwardedAddress(r)`.
 *
 * Each proxy appends the address it received the request from, so the entry
 * `hops` places from the right is the one your outermost proxy saw: the
 * client's (default 1: one proxy). Entries further left were written by the
 * client itself or by proxies you do not run, and are whatever they chose to
 * write: never trust the left-most entry, or any client can pick its address and
 * walk past `maxConnectionsPerAddress` (or claim a neighbour's and lock it out).
 * Without the header, with fewer entries than `hops`, or when that entry is not
 * an IP address, it falls back to the socket's peer address. Only use it when
 * every request does come through your proxy.
 */
export function forwardedAddress(
  request: HandshakeRequest,
  options: ForwardedOptions = {},
): string | undefined {
  const hops = options.hops ?? 1;
  if (!Number.isInteger(hops) || hops < 1) {
    throw appError(
      'CAROM_ERR_BAD_ARGUMENT',
      'forwardedAddress',
      'hops',
      'a positive integer',
      hops,
    );
  }
  const fallback = request.socket?.remoteAddress;
  const raw = request.headers['x-forwarded-for'];
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  if (typeof value !== 'string' || value === '') return fallback;
  // Walk from the right: the header is as long as the client made it.
  let end = value.length;
  for (let i = 1; i < hops; i++) {
    end = value.lastIndexOf(',', end - 1);
    if (end === -1) return fallback;
  }
  const start = value.lastIndexOf(',', end - 1) + 1;
  return bareAddress(value.slice(start, end).trim()) ?? fallback;
}

/** An IP address from an entry that may carry a port (`1.2.3.4:80`, `[::1]:80`). */
function bareAddress(entry: string): string | undefined {
  if (isIP(entry)) return entry;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed && isIP(bracketed[1]!) === 6) return bracketed[1];
  const withPort = /^([0-9.]+):\d+$/.exec(entry);
  if (withPort && isIP(withPort[1]!) === 4) return withPort[1];
  return undefined;
}
