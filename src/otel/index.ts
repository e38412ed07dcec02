/**
 * `carom/otel`: OpenTelemetry traces of an app, through `@opentelemetry/api`
 * (an optional peer dependency, loaded when `caromTracing` is first called;
 * the main entry never loads it). The application sets up the SDK (its tracer
 * provider, exporter and an async context manager) as for any other library.
 *
 * ```ts
 * const tracing = await caromTracing();
 * const app = new Carom({ handlers, senders, observers: [tracing] });
 * ```
 */
import type { Tracer } from '@opentelemetry/api';
import { optionalPeer } from '../core/optional-peer.js';
import { CaromTracing, type OtelApi } from './tracing.js';

export { CaromTracing } from './tracing.js';

/** How `caromTracing` traces. */
export interface TracingOptions {
  /** The tracer spans come from. Default: the global provider's tracer named `carom`. */
  readonly tracer?: Tracer;
}

/** The API, loaded once, when the first tracing is made. */
const loadApi = optionalPeer<OtelApi>(
  'carom/otel',
  '@opentelemetry/api',
  () => import('@opentelemetry/api'),
);

/** Makes the tracing of one app (pass it in its `observers` option). */
export async function caromTracing(options: TracingOptions = {}): Promise<CaromTracing> {
  const api = await loadApi();
  return new CaromTracing(api, options.tracer ?? api.trace.getTracer('carom'));
}
