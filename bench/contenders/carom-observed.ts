/**
 * carom with metrics and tracing on: the `carom` contender's app, plus
 * `caromMetrics()` (a registry of its own, as a scrape would read it) and
 * `caromTracing()` with the OpenTelemetry SDK recording every span
 * (AsyncLocalStorage context, a batch processor, an exporter that drops what
 * it is given), so the figures are the cost of measuring, not of shipping.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { caromMetrics } from '../../src/metrics/index.js';
import { caromTracing } from '../../src/otel/index.js';
import { caromServer } from './carom.js';
import type { BenchServer, ServerOptions } from './types.js';

/** Takes every batch and keeps nothing: the SDK's work without a collector's. */
const discard: SpanExporter = {
  export(_spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};

export async function createServer(options: ServerOptions): Promise<BenchServer> {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(discard)],
  });
  const metrics = await caromMetrics({ registry: new Registry() });
  const tracing = await caromTracing({ tracer: provider.getTracer('carom-bench') });
  const server = await caromServer(options, [metrics, tracing]);
  return {
    ...server,
    close: async () => {
      await server.close();
      await provider.shutdown();
    },
  };
}
