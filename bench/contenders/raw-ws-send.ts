/**
 * Raw `ws` the usual way: the same server as the baseline, but a publish calls
 * `ws.send` for every subscriber, so `ws` frames the message once per socket
 * (see raw-ws-server.ts).
 */
import { createRawServer } from './raw-ws-server.js';
import type { BenchServer } from './types.js';

/** Starts the raw `ws` server that calls `ws.send` per subscriber. */
export function createServer(): Promise<BenchServer> {
  return createRawServer('send');
}
