/**
 * `carom/metrics`: an app's figures in Prometheus's text format, through
 * prom-client (an optional peer dependency, loaded when `caromMetrics` is
 * first called; the main entry never loads it).
 *
 * ```ts
 * const metrics = await caromMetrics();
 * const app = new Carom({ handlers, senders, observers: [metrics] });
 * createServer(metricsHandler(metrics)).listen(9464);
 * ```
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { optionalPeer } from '../core/optional-peer.js';
import { CaromMetrics, type PromClient } from './prometheus.js';

export { CaromMetrics, type PrometheusParts, type PromClient } from './prometheus.js';
export { OTHER_LABEL } from './labels.js';

/** How `caromMetrics` builds its metrics. */
export interface MetricsOptions {
  /** The prom-client registry to put them in. Default: prom-client's default registry. */
  readonly registry?: Registry;
  /** Begins every metric's name. Default `carom_`. */
  readonly prefix?: string;
  /** Upper bounds of the handler duration histogram's buckets, in seconds. */
  readonly buckets?: readonly number[];
}

/** The handler duration buckets: from a tenth of a millisecond to ten seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10,
];

/** prom-client, loaded once, when the first metrics are made. */
const loadPromClient = optionalPeer<PromClient>(
  'carom/metrics',
  'prom-client',
  () => import('prom-client'),
);

/**
 * Makes the metrics of one app (pass them in its `observers` option). Two apps
 * in one registry need different prefixes: prom-client refuses a name twice.
 */
export async function caromMetrics(options: MetricsOptions = {}): Promise<CaromMetrics> {
  const prom = await loadPromClient();
  return new CaromMetrics({
    prom,
    registry: options.registry ?? prom.register,
    prefix: options.prefix ?? 'carom_',
    buckets: options.buckets ?? DEFAULT_BUCKETS,
  });
}

/**
 * A `node:http` request listener that answers `GET` (and `HEAD`) on `path` with
 * the registry's text, anything else on `path` with 405, and other paths with
 * 404. Serve it on a port of its own, one the clients of the app cannot reach.
 */
export function metricsHandler(metrics: CaromMetrics, path = '/metrics'): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    if ((query < 0 ? url : url.slice(0, query)) !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end();
      return;
    }
    metrics.text().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        // A collect function that throws (one of the application's own metrics) fails the scrape, not the process.
        res.writeHead(500, { 'content-type': 'text/plain' }).end('the metrics could not be read\n');
      },
    );
  };
}
