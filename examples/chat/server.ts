import { createChatApp } from './app.js';
import { publicDir, serveExample, type ExampleOptions, type RunningExample } from '../serve.js';

/** Serves the chat example: the page at `/`, WebSockets at `/ws`; `broker` links it to other nodes. */
export function start(
  port: number,
  host?: string,
  options: ExampleOptions = {},
): Promise<RunningExample> {
  const app = createChatApp(options.broker ? { broker: options.broker } : {});
  return serveExample(app, publicDir('chat'), { port, host });
}
