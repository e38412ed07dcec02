import type { AllowedOrigins } from '../core/options.js';
import { MAX_ORIGIN_LENGTH, normalizeOrigin } from '../core/origin.js';
import { describeError, quote } from './log-text.js';
import type { HandshakeRequest } from '../core/seam.js';

/** `host` or `host:port` as a `Host` header carries it: a name, IPv4 or bracketed IPv6. */
const HOST_HEADER = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

function header(request: HandshakeRequest, name: string): string | undefined {
  const value = request.headers[name];
  // A header sent twice is refused rather than guessed at.
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Decides whether a browser page may open a WebSocket, from the request's
 * `Origin` header, before `authenticate` runs: the defence against cross-site
 * WebSocket hijacking, since a browser sends cookies with any site's upgrade.
 * A request without `Origin` does not come from a browser page and passes.
 */
export class OriginPolicy {
  private readonly list: ReadonlySet<string> | undefined;

  constructor(private readonly allowed: AllowedOrigins | undefined) {
    if (Array.isArray(allowed)) {
      // Every entry is an origin: resolveOptions refused the app otherwise.
      const list = new Set<string>();
      for (const entry of allowed as readonly string[]) list.add(normalizeOrigin(entry) ?? entry);
      this.list = list;
    }
  }

  /** Why the request's origin is refused, or `undefined` when it may connect. Never throws. */
  check(request: HandshakeRequest): string | undefined {
    const raw = request.headers.origin;
    if (raw === undefined) return undefined;
    const origin = header(request, 'origin');
    if (origin === undefined) return 'more than one Origin header';
    const allowed = this.allowed;
    if (allowed === '*') return undefined;
    if (typeof allowed === 'function') {
      let verdict: unknown;
      try {
        verdict = allowed(origin, request);
      } catch (err) {
        return `allowedOrigins threw: ${describeError(err)}`;
      }
      if (verdict === true) return undefined;
      // A promise is truthy: taking it as a yes would let every origin in.
      if (verdict !== false && typeof (verdict as { then?: unknown } | null)?.then === 'function') {
        return 'allowedOrigins returned a promise; it must return true or false';
      }
      return `origin ${quote(origin)} not allowed`;
    }
    const normalized = normalizeOrigin(origin);
    if (normalized === undefined) return `origin ${quote(origin)} is not an origin`;
    if (this.list) {
      return this.list.has(normalized)
        ? undefined
        : `origin ${quote(origin)} not in allowedOrigins`;
    }
    return sameHost(normalized, header(request, 'host'))
      ? undefined
      : `origin ${quote(origin)} does not match the Host header`;
  }
}

/** Compares the origin's `host[:port]` with the `Host` header, default ports left out of both. */
function sameHost(origin: string, hostHeader: string | undefined): boolean {
  if (hostHeader === undefined || hostHeader.length > MAX_ORIGIN_LENGTH) return false;
  const host = hostHeader.trim().toLowerCase();
  if (!HOST_HEADER.test(host)) return false;
  const scheme = origin.slice(0, origin.indexOf('//'));
  // The URL parser drops the scheme's default port, as `normalizeOrigin` did.
  const expected = normalizeOrigin(`${scheme}//${host}`);
  return expected === origin;
}
