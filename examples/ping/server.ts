import { createPingApp } from './app.js';
import { asyncApiRoute } from '../../src/index.js';
import { publicDir, serveExample, type ExampleOptions, type RunningExample } from '../serve.js';

/** Serves the ping example: the page at `/`, WebSockets at `/ws`; `broker` links it to other nodes. */
export function start(
  port: number,
  host?: string,
  options: ExampleOptions = {},
): Promise<RunningExample> {
  const app = createPingApp(options.broker ? { broker: options.broker } : {});
  // Its AsyncAPI document, at /asyncapi.json.
  const routes = asyncApiRoute(app, {
    path: '/asyncapi.json',
    title: 'the carom ping example',
    version: '0.1.0',
  });
  return serveExample(app, publicDir('ping'), { port, host, routes });
}
