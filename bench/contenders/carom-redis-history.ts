/**
 * carom over a Redis broker with the fan-out event's last 1000 messages kept
 * in a Redis Stream (`carom-history`'s sender): every publish is recorded and
 * ordered by Redis, and delivered, on the publishing node too, from Redis.
 */
import { caromServer } from './carom.js';
import { HistoryTickSender } from './carom-history.js';
import type { BenchServer, ServerOptions } from './types.js';

export function createServer(options: ServerOptions): Promise<BenchServer> {
  return caromServer(options, [], HistoryTickSender);
}
