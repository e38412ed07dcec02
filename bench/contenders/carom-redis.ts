/**
 * carom over a Redis broker (`BENCH_REDIS_URL`, set by the fan-out scenario):
 * the `carom` contender's app, one node, so that beside `carom-redis-history`
 * it gives what keeping the fan-out event's history in a Redis Stream costs.
 */
import { caromServer } from './carom.js';
import type { BenchServer, ServerOptions } from './types.js';

export function createServer(options: ServerOptions): Promise<BenchServer> {
  return caromServer(options, []);
}
