import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveClientModule, type Carom } from '../src/index.js';

/** An example's server, running. */
export interface RunningExample {
  readonly app: Carom;
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** An example's `public/` folder in the source tree (the compiled code runs from `build/`). */
export function publicDir(example: string): URL {
  return new URL(`../../examples/${example}/public/`, import.meta.url);
}

/**
 * Serves an example: its `public/` folder over HTTP (index.html at `/`), the
 * browser client at `/carom/client.js`, and the app's WebSockets on the same
 * port, by attaching the app to the server.
 */
export async function serveExample(
  app: Carom,
  publicDir: URL,
  port: number,
): Promise<RunningExample> {
  const server = createServer((req, res) => {
    if (serveClientModule(req, res)) return;
    const path = (req.url ?? '/').split('?')[0]!;
    const name = path === '/' ? 'index.html' : path.slice(1);
    if (!/^[\w-]+\.(html|js|css)$/.test(name)) {
      res.writeHead(404).end('not found\n');
      return;
    }
    readFile(new URL(name, publicDir)).then(
      (body) =>
        res.writeHead(200, { 'content-type': TYPES[name.slice(name.lastIndexOf('.'))]! }).end(body),
      () => res.writeHead(404).end('not found\n'),
    );
  });
  app.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    app,
    server,
    port: bound,
    async close() {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
