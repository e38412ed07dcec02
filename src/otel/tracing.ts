import type { Span, Tracer } from '@opentelemetry/api';
import type { InboundEnvelope } from '../protocol/envelope.js';
import type { Context } from '../core/context.js';
import { appError } from '../core/errors.js';
import {
  OTHER_EVENT,
  type CaromObserver,
  type DropReason,
  type HandlerCall,
  type ObservedApp,
} from '../core/observer.js';

/** `@opentelemetry/api` as loaded by `caromTracing`. */
export type OtelApi = typeof import('@opentelemetry/api');

/**
 * Traces an app with OpenTelemetry: a span for every envelope the dispatcher
 * takes its turn on (`carom.event`, `carom.connection.id`, `carom.outcome`,
 * `carom.error.code`), ended when it is answered; the handlers run inside it,
 * so a publish or send they make gets a span of its own, a child of the
 * envelope's and linked to it. Made by `caromTracing()`; give it to the app in
 * `observers`.
 */
export class CaromTracing implements CaromObserver {
  private app: ObservedApp | undefined;
  private readonly spans = new WeakMap<object, Span>();

  constructor(
    private readonly api: OtelApi,
    private readonly tracer: Tracer,
  ) {}

  /** Called by the app it is given to; an instance serves one app. */
  bind(app: ObservedApp): void {
    if (this.app !== undefined) throw appError('CAROM_ERR_OBSERVER_BOUND');
    this.app = app;
  }

  handling(connectionId: string, envelope: InboundEnvelope): void {
    const { api } = this;
    const { event, id } = envelope;
    // The span's name is the event's label, never a name a client made up: tracing
    // backends index names, and a hostile client could flood them.
    const span = this.tracer.startSpan(`${this.labelOf(event)} process`, {
      kind: api.SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'carom',
        'messaging.operation.type': 'process',
        'carom.event': event,
        'carom.connection.id': connectionId,
        ...(id === undefined ? {} : { 'carom.envelope.id': String(id) }),
      },
    });
    this.spans.set(envelope, span);
  }

  invoke(envelope: InboundEnvelope, handler: HandlerCall, payload: unknown, ctx: Context): unknown {
    const span = this.spans.get(envelope);
    if (span === undefined) return handler(payload, ctx);
    const { context, trace } = this.api;
    return context.with(trace.setSpan(context.active(), span), handler, undefined, payload, ctx);
  }

  answered(envelope: object, code: string | undefined): void {
    const span = this.spans.get(envelope);
    if (span === undefined) return;
    this.spans.delete(envelope);
    if (code === undefined) {
      span.setAttribute('carom.outcome', 'ok');
    } else {
      span.setAttribute('carom.outcome', 'error');
      span.setAttribute('carom.error.code', code);
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: code });
    }
    span.end();
  }

  sent(event: string, frames: number): void {
    const { api } = this;
    const cause = api.trace.getActiveSpan();
    // Only what a handled envelope causes is traced: a timer's or a relay's publish has no cause here.
    if (cause === undefined) return;
    this.tracer
      .startSpan(`${this.labelOf(event)} publish`, {
        kind: api.SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'carom',
          'messaging.operation.type': 'publish',
          'carom.event': event,
          'carom.recipients': frames,
        },
        links: [{ context: cause.spanContext() }],
      })
      .end();
  }

  opened(_connectionId: string): void {}
  closed(_connectionId: string, _code: number): void {}
  received(_event: string): void {}
  dropped(_reason: DropReason): void {}
  errorSent(_code: string): void {}

  private labelOf(event: string): string {
    return this.app === undefined ? OTHER_EVENT : this.app.eventLabel(event);
  }
}
