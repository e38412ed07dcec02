import type { InboundEnvelope } from '../protocol/envelope.js';
import type { BrokerStats } from './broker.js';
import type { Context } from './context.js';
import type { DeliveryStats } from './delivery.js';

/**
 * Why an envelope a client sent was not handled: `stale` (older than one already
 * handled), `rate_limited` (the connection's rate limit), `queue_full`
 * (`maxQueued` envelopes already waiting), `shutting_down` (the app is closing),
 * `repeat` (its `key` was handled already: a request gets the first answer).
 */
export type DropReason = 'stale' | 'rate_limited' | 'queue_full' | 'shutting_down' | 'repeat';

/** What {@link ObservedApp.stats} returns: the part of `app.stats()` an observer reads. */
export interface ObservedStats {
  /** Open connections. */
  readonly connections: number;
  /** Envelopes queued or being handled, over all connections. */
  readonly pending: number;
}

/**
 * What an observer may read of the app when it is asked for figures (a
 * Prometheus scrape), rather than counting them on every message.
 */
export interface ObservedApp {
  /** Open connections and envelopes queued or being handled, now. */
  stats(): ObservedStats;
  /** What the broker relayed, received and lost since the app started. */
  brokerStats(): BrokerStats;
  /** Handshakes refused so far, by reason (the transport's table). */
  refusals(): Readonly<Record<string, number>>;
  /** Connections closed because they did not read what was sent to them (1013). */
  slowConsumers(): number;
  /** What the delivery policies (`latest`, `drop`) did, by topic, and the backlog now. */
  deliveryStats(): DeliveryStats;
  /** Bytes written to sockets and not yet taken by the kernel, over all connections, now. */
  bufferedBytes(): number;
  /**
   * A label for `event` that a client cannot multiply: the event itself when a
   * handler or a declaration names it (a family member gives its family, `room.*`),
   * otherwise {@link OTHER_EVENT}.
   */
  eventLabel(event: string): string;
}

/** A handler as an observer runs it: bound to its instance, given its payload and context. */
export type HandlerCall = (payload: unknown, ctx: Context) => unknown;

/** The label of every event no handler or declaration of the app names. */
export const OTHER_EVENT = '(other)';

/**
 * Watches what the app does, for metrics and traces (`carom/metrics`,
 * `carom/otel`). Given in the `observers` option; an app without one holds
 * `undefined` and makes none of these calls. Every method is called on the
 * hot path and must be quick; none may throw (the app does not catch them).
 */
export interface CaromObserver {
  /** Called once, when the app is built: what the observer may read when asked for figures. */
  bind(app: ObservedApp): void;
  /** A connection was accepted. */
  opened(connectionId: string): void;
  /** A connection closed, with its close code. */
  closed(connectionId: string, code: number): void;
  /** A client's envelope was read (before its queue), with its event as the client wrote it. */
  received(event: string): void;
  /** An envelope was not handled, for `reason` (it may also have been answered with an error). */
  dropped(reason: DropReason): void;
  /** An envelope's turn came: the dispatcher starts on it. {@link answered} follows once. */
  handling(connectionId: string, envelope: InboundEnvelope): void;
  /**
   * Runs a handler for an envelope {@link handling} began, returning what it
   * returns: an observer that traces runs it inside the envelope's span, so
   * that what the handler publishes is linked to it.
   */
  invoke(envelope: InboundEnvelope, handler: HandlerCall, payload: unknown, ctx: Context): unknown;
  /**
   * An envelope was answered: `code` undefined for success (an ack, or nothing
   * when it had no id), otherwise the error code. Also called for envelopes
   * refused before their turn, which {@link handling} never saw: an observer
   * ignores an envelope it does not know.
   */
  answered(envelope: object, code: string | undefined): void;
  /** An `error` envelope was sent, for an envelope or for a frame that could not be read. */
  errorSent(code: string): void;
  /** `frames` frames of `event` were written (a publish, a relay, a direct send). */
  sent(event: string, frames: number): void;
}

/** One observer that passes every call on to several, in order. */
class Observers implements CaromObserver {
  constructor(private readonly all: readonly CaromObserver[]) {}

  bind(app: ObservedApp): void {
    for (const o of this.all) o.bind(app);
  }
  opened(connectionId: string): void {
    for (const o of this.all) o.opened(connectionId);
  }
  closed(connectionId: string, code: number): void {
    for (const o of this.all) o.closed(connectionId, code);
  }
  received(event: string): void {
    for (const o of this.all) o.received(event);
  }
  dropped(reason: DropReason): void {
    for (const o of this.all) o.dropped(reason);
  }
  handling(connectionId: string, envelope: InboundEnvelope): void {
    for (const o of this.all) o.handling(connectionId, envelope);
  }
  invoke(envelope: InboundEnvelope, handler: HandlerCall, payload: unknown, ctx: Context): unknown {
    return this.invokeFrom(0, envelope, handler, payload, ctx);
  }
  answered(envelope: object, code: string | undefined): void {
    for (const o of this.all) o.answered(envelope, code);
  }
  errorSent(code: string): void {
    for (const o of this.all) o.errorSent(code);
  }
  sent(event: string, frames: number): void {
    for (const o of this.all) o.sent(event, frames);
  }

  /** Each observer wraps the next one's call, so a tracer's context holds for all of them. */
  private invokeFrom(
    i: number,
    envelope: InboundEnvelope,
    handler: HandlerCall,
    payload: unknown,
    ctx: Context,
  ): unknown {
    const o = this.all[i];
    if (o === undefined) return handler(payload, ctx);
    if (i === this.all.length - 1) return o.invoke(envelope, handler, payload, ctx);
    return o.invoke(
      envelope,
      (p, c) => this.invokeFrom(i + 1, envelope, handler, p, c),
      payload,
      ctx,
    );
  }
}

/** The app's observer: `undefined` for none (the hot path then makes no call), one, or all of them. */
export function observerOf(given: readonly CaromObserver[]): CaromObserver | undefined {
  if (given.length === 0) return undefined;
  if (given.length === 1) return given[0];
  return new Observers(given);
}
