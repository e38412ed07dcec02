import { createPingApp } from './app.js';
import { publicDir, serveExample, type ExampleOptions, type RunningExample } from '../serve.js';

/** Serves the ping example: the page at `/`, WebSockets at `/ws`; `broker` links it to other nodes. */
export function start(
  port: number,
  host?: string,
  options: ExampleOptions = {},
): Promise<RunningExample> {
  const app = createPingApp(options.broker ? { broker: options.broker } : {});
  return serveExample(app, publicDir('ping'), { port, host });
}
