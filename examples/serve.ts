import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveClientModule, type Broker, type Carom } from '../src/index.js';

/** An example's server, running. */
export interface RunningExample {
  readonly app: Carom;
  readonly server: Server;
  readonly port: number;
  /** Stops the example; `graceMs` drains its connections first (see `app.close`). */
  close(graceMs?: number): Promise<void>;
}

/** How an example that can run as several nodes is started. */
export interface ExampleOptions {
  /** The nodes' broker (`REDIS_URL` gives a Redis one); default a lone node. */
  readonly broker?: Broker;
}

/** Where and how an example listens. */
export interface ServeOptions {
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Interface to bind. Default: all interfaces (tests pass 127.0.0.1). */
  readonly host?: string;
  /** Extra HTTP routes, tried before the static files; return true when handled. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** The stylesheet every example page links, from `examples/shared/`. */
const SHARED_STYLESHEET = '/example.css';
const SHARED_DIR = new URL('../../examples/shared/', import.meta.url);

/** An example's `public/` folder in the source tree (the compiled code runs from `build/`). */
export function publicDir(example: string): URL {
  return new URL(`../../examples/${example}/public/`, import.meta.url);
}

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

/**
 * Serves an example on one port: its routes, the browser client at
 * `/carom/client.js`, the shared `/example.css`, the files of `dir` (index.html at `/`), and the app's
 * WebSockets, by attaching the app to the server.
 */
export async function serveExample(
  app: Carom,
  dir: URL,
  options: ServeOptions,
): Promise<RunningExample> {
  const server = createServer((req, res) => {
    if (serveClientModule(req, res)) return;
    if (options.routes?.(req, res)) return;
    const shared = (req.url ?? '').split('?')[0] === SHARED_STYLESHEET;
    serveStatic(req, res, shared ? SHARED_DIR : dir);
  });
  app.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Relaying to the other nodes before the example says it is up (at once for a lone node).
  await app.ready();
  return {
    app,
    server,
    port: (server.address() as AddressInfo).port,
    async close(graceMs = 0) {
      await app.close({ graceMs });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
