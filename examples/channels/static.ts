import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/**
 * Answers a GET or HEAD for a file of `dir` (a folder URL ending in `/`):
 * `index.html` at `/`, otherwise one plain file name such as `/app.css`
 * (no folders, so nothing outside `dir` can be named). Anything else is 404,
 * or 405 for another method.
 */
export function serveStatic(req: IncomingMessage, res: ServerResponse, dir: URL): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res
      .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
      .end('method not allowed\n');
    return;
  }
  const path = (req.url ?? '/').split('?')[0]!;
  const name = path === '/' ? 'index.html' : path.slice(1);
  const ext = name.slice(name.lastIndexOf('.'));
  if (!/^[\w-]+\.[a-z]+$/.test(name) || !(ext in TYPES)) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  readFile(new URL(name, dir)).then(
    (body) =>
      res
        .writeHead(200, { 'content-type': TYPES[ext]!, 'content-length': body.length })
        .end(req.method === 'HEAD' ? undefined : body),
    () => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n'),
  );
}
