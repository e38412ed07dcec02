import type { HandshakeRequest } from './peer.js';

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
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads a credential from a handshake, for use in `authenticate`: an
 * `Authorization: Bearer …` header first, then the query string (browsers
 * cannot set headers on a WebSocket), then a cookie. Returns `undefined` when
 * none is present.
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
  const url = request.url ?? '';
  const q = url.indexOf('?');
  if (q !== -1) {
    const value = new URLSearchParams(url.slice(q + 1)).get(sources.query ?? 'token');
    if (value) return value;
  }
  const cookies = header(request, 'cookie');
  if (cookies) {
    const wanted = sources.cookie ?? 'token';
    for (const part of cookies.split(';')) {
      const eq = part.indexOf('=');
      if (eq !== -1 && part.slice(0, eq).trim() === wanted) {
        const value = decodeURIComponent(part.slice(eq + 1).trim());
        if (value) return value;
      }
    }
  }
  return undefined;
}
