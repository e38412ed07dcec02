/**
 * The baseline of every ratio: raw `ws` at its best. Each published message is
 * framed once with `ws`'s `Sender.frame` and the same buffers are written to
 * every subscriber's net socket, corked per event-loop turn (see
 * raw-ws-server.ts for the rest).
 */
import { createRawServer } from './raw-ws-server.js';
import type { BenchServer } from './types.js';

/** Starts the raw `ws` server that frames each publish once. */
export function createServer(): Promise<BenchServer> {
  return createRawServer('frame');
}
