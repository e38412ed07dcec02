/**
 * carom with metrics on and no tracing: the `carom` contender's app with
 * `caromMetrics()` in a registry of its own, to tell the cost of counting
 * from that of tracing (`carom-observed` has both).
 */
import { Registry } from 'prom-client';
import { caromMetrics } from '../../src/metrics/index.js';
import { caromServer } from './carom.js';
import type { BenchServer, ServerOptions } from './types.js';

export async function createServer(options: ServerOptions): Promise<BenchServer> {
  return caromServer(options, [await caromMetrics({ registry: new Registry() })]);
}
