import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveClientModule } from '../../src/index.js';
import { publicDir, type RunningExample } from '../serve.js';
import { createChannelsApi } from './api.js';
import { createChannelsApp } from './app.js';
import { serveStatic } from './static.js';

/** The channels example, running; `token` is what the HTTP API wants as a bearer token. */
export interface RunningChannels extends RunningExample {
  readonly token: string;
}

/** How to start it. */
export interface ChannelsServerOptions {
  /** The API token. Default: env CHANNELS_TOKEN, else a random one, printed at start. */
  readonly token?: string;
  /** Where the start-up notes go (the generated token, curl examples). Default: stdout. */
  readonly print?: (line: string) => void;
}

/**
 * Serves the channels example on one port: the page at `/`, the browser client
 * at `/carom/client.js`, the HTTP API under `/api/`, and WebSockets at `/ws`.
 */
export async function start(
  port: number,
  options: ChannelsServerOptions = {},
): Promise<RunningChannels> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const fromEnv = process.env.CHANNELS_TOKEN;
  const token = options.token ?? (fromEnv || randomBytes(18).toString('base64url'));
  const generated = options.token === undefined && !fromEnv;

  const app = createChannelsApp();
  const api = createChannelsApi(app, token);
  const dir = publicDir('channels');
  const server = createServer((req, res) => {
    if (serveClientModule(req, res)) return;
    if (api(req, res)) return;
    serveStatic(req, res, dir);
  });
  app.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const base = `http://localhost:${bound}`;
  if (generated) print(`channels API token (set CHANNELS_TOKEN to choose one): ${token}`);
  const shown = generated ? token : options.token === undefined ? '$CHANNELS_TOKEN' : 'TOKEN';
  print(
    `try: curl -X POST ${base}/api/channels -H 'Authorization: Bearer ${shown}' -d '{"name":"news"}'`,
  );
  return {
    app,
    server,
    port: bound,
    token,
    async close() {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
