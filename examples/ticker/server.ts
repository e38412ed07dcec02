import { createTickerApp } from './app.js';
import { publicDir, serveExample, type RunningExample } from '../serve.js';

/** Serves the ticker example: the page at `/`, WebSockets at `/ws`. */
export function start(port: number, host?: string): Promise<RunningExample> {
  return serveExample(createTickerApp(), publicDir('ticker'), { port, host });
}
