import type { AllowedOrigins } from '../src/index.js';

/**
 * Which pages may open the examples' WebSockets: the origins listed in
 * `ALLOWED_ORIGINS` (comma-separated) when it is set, else only pages served by
 * the example's own server (the `Origin` names the `Host` the request went to).
 * Each example sets it explicitly, so that the setting is there to copy.
 */
export function exampleOrigins(): AllowedOrigins {
  const listed = (process.env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  if (listed.length > 0) return listed;
  return (origin, request) => {
    const host = request.headers.host;
    return (
      typeof host === 'string' && (origin === `http://${host}` || origin === `https://${host}`)
    );
  };
}
