/** Longest `Origin` or `Host` value looked at; a real one is far shorter. */
export const MAX_ORIGIN_LENGTH = 1024;

/**
 * An origin as `scheme://host[:port]`, lower case, without the scheme's default
 * port; `undefined` when `value` is not an origin (a path, credentials, `null`).
 * Here rather than with the origin check, so that `resolveOptions` can refuse
 * an `allowedOrigins` entry that is not an origin.
 */
export function normalizeOrigin(value: string): string | undefined {
  if (value.length > MAX_ORIGIN_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (!url.host || url.username || url.password || url.search || url.hash) return undefined;
  if (url.pathname !== '' && url.pathname !== '/') return undefined;
  return `${url.protocol}//${url.host}`.toLowerCase();
}
