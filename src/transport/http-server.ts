import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { serveClientModule } from './client-module.js';
import { pathOf } from './handshake.js';

/** What the server `app.listen` makes needs to know. */
export interface HttpServerOptions {
  /** The path WebSocket upgrades are taken on; a plain request there is answered 426. */
  readonly path: string;
  /** Bound on an unfinished request, headers included, in milliseconds. */
  readonly handshakeTimeoutMs: number;
  /** More routes, tried first (the AsyncAPI document's); true when one answered. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/**
 * The HTTP server `app.listen` makes: it serves the browser client at
 * `/carom/client.js`, answers a plain request on the WebSocket path with 426
 * and anything else with 404. Upgrades are the `ws` transport's, attached to it
 * afterwards.
 */
export function createHttpServer(options: HttpServerOptions): Server {
  const bound = options.handshakeTimeoutMs;
  // Node's own bounds on a request that never completes are 60 s and more, checked
  // every 30 s; an unfinished upgrade request must not hold its socket that long.
  return createServer(
    {
      headersTimeout: bound,
      requestTimeout: bound,
      connectionsCheckingInterval: Math.min(1000, bound),
    },
    (req, res) => {
      if (serveClientModule(req, res)) return;
      if (options.routes?.(req, res)) return;
      const upgrade = pathOf(req.url) === options.path;
      res.writeHead(upgrade ? 426 : 404, { 'content-type': 'text/plain' });
      res.end(upgrade ? 'this path takes WebSocket connections\n' : 'not found\n');
    },
  );
}
