import { createPingApp } from './app.js';
import { publicDir, serveExample, type RunningExample } from '../serve.js';

/** Serves the ping example: the page at `/`, WebSockets at `/ws`. */
export function start(port: number, host?: string): Promise<RunningExample> {
  return serveExample(createPingApp(), publicDir('ping'), { port, host });
}
