import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathOf } from './handshake.js';

/** The URL path the client module is served at. */
export const CLIENT_MODULE_PATH = '/carom/client.js';

let cached: Promise<Buffer> | undefined;

/**
 * Where `npm run build` writes the browser client: `carom/client` bundled by
 * esbuild into one ES module with no imports (scripts/bundle-client.mjs), next
 * to `build/src`, so `files` in package.json ships it.
 */
const BUNDLE = new URL('../../client/carom-client.js', import.meta.url);

/** The browser client as one ES module: `carom/client`, bundled at build time. */
export function clientModuleSource(): Promise<Buffer> {
  cached ??= readFile(BUNDLE).catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/**
 * Answers `GET /carom/client.js` with the client module, so a page can
 * `import { connect } from '/carom/client.js'` with no build step. Returns
 * false, without touching the response, for any other request. Use it in your
 * own HTTP server's request handler; `app.listen` does it for you.
 */
export function serveClientModule(req: IncomingMessage, res: ServerResponse): boolean {
  const path = pathOf(req.url);
  if (path !== CLIENT_MODULE_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  clientModuleSource().then(
    (body) => {
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'content-length': body.length,
        'cache-control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
    () => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('the carom client module is missing from this installation\n');
    },
  );
  return true;
}
