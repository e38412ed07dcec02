import { randomBytes } from 'node:crypto';
import { publicDir, serveExample, type RunningExample } from '../serve.js';
import { createChannelsApi } from './api.js';
import { createChannelsApp } from './app.js';

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
  host?: string,
  options: ChannelsServerOptions = {},
): Promise<RunningChannels> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const fromEnv = process.env.CHANNELS_TOKEN;
  const token = options.token ?? (fromEnv || randomBytes(18).toString('base64url'));
  const generated = options.token === undefined && !fromEnv;

  const app = createChannelsApp();
  const running = await serveExample(app, publicDir('channels'), {
    port,
    host,
    routes: createChannelsApi(app, token),
  });
  const bound = running.port;
  const base = `http://localhost:${bound}`;
  if (generated) print(`channels API token (set CHANNELS_TOKEN to choose one): ${token}`);
  const shown = generated ? token : options.token === undefined ? '$CHANNELS_TOKEN' : 'TOKEN';
  print(
    `try: curl -X POST ${base}/api/channels -H 'Authorization: Bearer ${shown}' -d '{"name":"news"}'`,
  );
  return { ...running, token };
}
