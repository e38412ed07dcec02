import { createChatApp } from './app.js';
import { publicDir, serveExample, type RunningExample } from '../serve.js';

/** Serves the chat example: the page at `/`, WebSockets at `/ws`. */
export function start(port: number, host?: string): Promise<RunningExample> {
  return serveExample(createChatApp(), publicDir('chat'), { port, host });
}
