import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { InboundEnvelope } from '../protocol/envelope.js';
import type { Context } from '../core/context.js';
import {
  OTHER_EVENT,
  type CaromObserver,
  type DropReason,
  type HandlerCall,
  type ObservedApp,
} from '../core/observer.js';
import { appError } from '../core/errors.js';
import { BoundedLabels, closeCodeLabel } from './labels.js';

/** prom-client as loaded by `caromMetrics`. */
export type PromClient = typeof import('prom-client');

/** What {@link CaromMetrics} is built with. */
export interface PrometheusParts {
  /** prom-client itself, as `caromMetrics` loaded it. */
  readonly prom: PromClient;
  /** The registry the metrics go in. */
  readonly registry: Registry;
  /** Begins every metric's name. */
  readonly prefix: string;
  /** Upper bounds of the handler duration histogram's buckets, in seconds. */
  readonly buckets: readonly number[];
}

/** Most distinct error codes kept as labels; exposed application errors bring their own. */
const MAX_ERROR_CODES = 64;
/** Most event names remembered with their series; past it, each is looked up again. */
const MAX_CACHED_EVENTS = 1024;

/** Where an envelope's turn began, and the label its duration is recorded under. */
interface Started {
  readonly at: number;
  readonly event: string;
}

/**
 * An app's metrics in a prom-client registry: counters bumped as things happen,
 * and the figures the app already holds (connections, queued envelopes,
 * buffered bytes, refusals, the broker's counts) read only when the registry
 * is read. Made by `caromMetrics()`; give it to the app in `observers`.
 */
export class CaromMetrics implements CaromObserver {
  /** The registry the metrics are in: the one given, or prom-client's default. */
  readonly registry: Registry;
  private readonly prefix: string;
  private app: ObservedApp | undefined;
  private readonly opens: Counter;
  private readonly closes: Counter;
  private readonly inbound: Counter;
  private readonly outbound: Counter;
  private readonly errors: Counter;
  private readonly drops: Counter;
  private readonly duration: Histogram;
  private readonly codes = new BoundedLabels(MAX_ERROR_CODES);
  /** Event name to its label, for names a handler or declaration gives (bounded: see `labelOf`). */
  private readonly labels = new Map<string, string>();
  private readonly started = new WeakMap<object, Started>();

  constructor(parts: PrometheusParts) {
    const { prom, registry, prefix } = parts;
    this.registry = registry;
    this.prefix = prefix;
    const registers = [registry];
    const observed = (): ObservedApp | undefined => this.app;
    const counter = (name: string, help: string, labelNames: string[] = []): Counter =>
      new prom.Counter({ name: prefix + name, help, labelNames, registers });
    this.opens = counter('connections_opened_total', 'Connections accepted.');
    this.closes = counter('connections_closed_total', 'Connections closed, by close code.', [
      'code',
    ]);
    this.inbound = counter(
      'envelopes_received_total',
      'Envelopes read from clients, by event (names no handler or declaration gives count as "(other)").',
      ['event'],
    );
    this.outbound = counter('frames_sent_total', 'Event frames written to connections, by event.', [
      'event',
    ]);
    this.errors = counter('errors_sent_total', 'Error envelopes sent, by error code.', ['code']);
    this.drops = counter(
      'envelopes_dropped_total',
      'Envelopes not handled, by reason: stale, rate_limited, queue_full, shutting_down, repeat.',
      ['reason'],
    );
    this.duration = new prom.Histogram({
      name: `${prefix}handler_duration_seconds`,
      help: "From an envelope's turn to its answer, by event and outcome (ok, error).",
      labelNames: ['event', 'outcome'],
      buckets: [...parts.buckets],
      registers,
    });
    const gauge = (name: string, help: string, read: (app: ObservedApp) => number): void => {
      new prom.Gauge({
        name: prefix + name,
        help,
        registers,
        collect(this: Gauge) {
          const app = observed();
          if (app !== undefined) this.set(read(app));
        },
      });
    };
    // Totals the app keeps itself, copied into a counter when the registry is read.
    const totals = (
      name: string,
      help: string,
      label: string,
      read: (app: ObservedApp) => Readonly<Record<string, number>>,
    ): void => {
      new prom.Counter({
        name: prefix + name,
        help,
        labelNames: label === '' ? [] : [label],
        registers,
        collect(this: Counter) {
          const app = observed();
          if (app !== undefined) setCounts(this, read(app), label);
        },
      });
    };
    gauge('connections', 'Open connections.', (app) => app.stats().connections);
    gauge(
      'inbound_pending',
      'Envelopes queued or being handled, over all connections.',
      (app) => app.stats().pending,
    );
    gauge(
      'buffered_bytes',
      'Bytes written to sockets and not yet sent, over all connections.',
      (app) => app.bufferedBytes(),
    );
    totals(
      'slow_consumer_closes_total',
      'Connections closed (1013) because they did not read what was sent to them.',
      '',
      (app) => ({ '': app.slowConsumers() }),
    );
    totals(
      'handshakes_refused_total',
      'WebSocket handshakes refused, by reason.',
      'reason',
      (app) => app.refusals(),
    );
    gauge(
      'delivery_backlogged_connections',
      'Connections with messages waiting for their socket to drain (delivery policies), now.',
      (app) => app.deliveryStats().backlogged,
    );
    gauge(
      'delivery_waiting',
      'Messages waiting for backlogged connections, now.',
      (app) => app.deliveryStats().waiting,
    );
    new prom.Counter({
      name: `${prefix}deliveries_total`,
      help: 'What the delivery policies did, by topic: conflated, dropped, deferred, key_failure.',
      labelNames: ['topic', 'outcome'],
      registers,
      collect(this: Counter) {
        const app = observed();
        if (app === undefined) return;
        this.reset();
        for (const [topic, c] of Object.entries(app.deliveryStats().topics)) {
          this.inc({ topic, outcome: 'conflated' }, c.conflated);
          this.inc({ topic, outcome: 'dropped' }, c.dropped);
          this.inc({ topic, outcome: 'deferred' }, c.deferred);
          this.inc({ topic, outcome: 'key_failure' }, c.keyFailures);
        }
      },
    });
    totals(
      'broker_messages_total',
      'Broker traffic since start, by kind: relayed, received, lost (during outages), and what the broker adds.',
      'kind',
      (app) => numbersOf(app.brokerStats()),
    );
  }

  /** The registry's metrics in Prometheus's text format (the registry's other metrics too). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of {@link text}, for an HTTP answer. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * carom's figures now, keyed as Prometheus names a series:
   * `carom_errors_sent_total{code="STALE"}`, `carom_connections`.
   */
  async values(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const metric of await this.registry.getMetricsAsJSON()) {
      if (!metric.name.startsWith(this.prefix)) continue;
      for (const v of metric.values) {
        const labels = Object.entries(v.labels)
          .map(([k, l]) => `${k}=${JSON.stringify(String(l))}`)
          .join(',');
        const name = (v as { metricName?: string }).metricName ?? metric.name;
        out[labels === '' ? name : `${name}{${labels}}`] = v.value;
      }
    }
    return out;
  }

  /** Called by the app it is given to; an instance serves one app. */
  bind(app: ObservedApp): void {
    if (this.app !== undefined) throw appError('CAROM_ERR_OBSERVER_BOUND');
    this.app = app;
  }

  opened(_connectionId: string): void {
    this.opens.inc();
  }

  closed(_connectionId: string, code: number): void {
    this.closes.inc({ code: closeCodeLabel(code) });
  }

  received(event: string): void {
    this.inbound.inc({ event: this.labelOf(event) });
  }

  dropped(reason: DropReason): void {
    this.drops.inc({ reason });
  }

  handling(_connectionId: string, envelope: InboundEnvelope): void {
    this.started.set(envelope, { at: performance.now(), event: this.labelOf(envelope.event) });
  }

  invoke(
    _envelope: InboundEnvelope,
    handler: HandlerCall,
    payload: unknown,
    ctx: Context,
  ): unknown {
    return handler(payload, ctx);
  }

  answered(envelope: object, code: string | undefined): void {
    const started = this.started.get(envelope);
    if (started === undefined) return;
    this.started.delete(envelope);
    const seconds = (performance.now() - started.at) / 1000;
    this.duration.observe(
      { event: started.event, outcome: code === undefined ? 'ok' : 'error' },
      seconds,
    );
  }

  errorSent(code: string): void {
    this.errors.inc({ code: this.codes.of(code) });
  }

  sent(event: string, frames: number): void {
    this.outbound.inc({ event: this.labelOf(event) }, frames);
  }

  /**
   * The event's label. Remembered for names the app itself gives (a bounded
   * number of them), so a busy event costs one lookup; a name a client made up
   * is never remembered, so it cannot grow the map.
   */
  private labelOf(event: string): string {
    const known = this.labels.get(event);
    if (known !== undefined) return known;
    const app = this.app;
    if (app === undefined) return OTHER_EVENT;
    const label = app.eventLabel(event);
    if (label === event && this.labels.size < MAX_CACHED_EVENTS) this.labels.set(event, label);
    return label;
  }
}

/** Sets a counter to totals the app keeps itself, read at scrape time. */
function setCounts(metric: Counter, counts: Readonly<Record<string, number>>, label: string): void {
  metric.reset();
  for (const [key, value] of Object.entries(counts)) {
    if (label === '') metric.inc(value);
    else metric.inc({ [label]: key }, value);
  }
}

/** The numeric fields of a broker's stats (carom/redis adds some to the core's three). */
function numbersOf(stats: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(stats)) {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) out[key] = value;
  }
  return out;
}
