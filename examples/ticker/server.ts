import { Registry } from 'prom-client';
import { caromMetrics, metricsHandler } from '../../src/metrics/index.js';
import { createTickerApp } from './app.js';
import { publicDir, serveExample, type RunningExample } from '../serve.js';

/** Where the ticker serves its own server's metrics, in Prometheus's text format. */
export const METRICS_PATH = '/metrics';

/**
 * Serves the ticker example: the page at `/`, WebSockets at `/ws`, and the
 * server's own metrics at `/metrics` (an example shows them to anyone; a real
 * app serves them on a port of its own: see the README's "Metrics").
 */
export async function start(port: number, host?: string): Promise<RunningExample> {
  // A registry per server, so that tests can start several in one process.
  const metrics = await caromMetrics({ registry: new Registry() });
  const serveMetrics = metricsHandler(metrics, METRICS_PATH);
  return serveExample(createTickerApp({ observers: [metrics] }), publicDir('ticker'), {
    port,
    host,
    routes: (req, res) => {
      if ((req.url ?? '').split('?')[0] !== METRICS_PATH) return false;
      serveMetrics(req, res);
      return true;
    },
  });
}
