import {
  decodeEnvelope,
  encodeAck,
  encodeError,
  isRejection,
  toJson,
  type DecodeLimits,
  type EnvelopeId,
  type InboundEnvelope,
} from '../protocol/envelope.js';
import { CaromError, ErrorCode } from '../protocol/errors.js';
import { Frame } from '../protocol/frame.js';
import type { TimestampWriter } from '../protocol/timestamp.js';
import type { Clock } from './clock.js';
import type { Context } from './context.js';
import type { CaromLogger } from './logger.js';
import { DEFAULTS } from './options.js';
import type { HandlerEntry, Registry } from './registry.js';
import type { Session } from './session.js';
import type { StaleFilter } from './stale-filter.js';
import { readTopicList, type SubscriptionRequests } from './subscription-requests.js';
import type { DtoClass, PayloadValidator } from './validation.js';

/** Decides whether a connection may have an envelope handled; `false` answers `FORBIDDEN`. */
export type MessageGuard = (ctx: Context) => boolean | Promise<boolean>;

/** Error classes whose messages may be shown to clients. */
export type ErrorClass = abstract new (...args: any[]) => Error;

/** A per-connection rate limit: at most `messages` envelopes per `perMs` milliseconds. */
export interface RateLimit {
  readonly messages: number;
  readonly perMs: number;
}

/** What the dispatcher needs from the app. */
export interface DispatcherParts {
  readonly registry: Registry;
  readonly subscriptions: SubscriptionRequests;
  readonly stale: StaleFilter;
  readonly validator: PayloadValidator;
  readonly clock: Clock;
  readonly timestamps: TimestampWriter;
  readonly logger: CaromLogger;
  readonly maxEventLength: number;
  readonly maxInFlight: number;
  readonly maxQueued: number;
  readonly rateLimit: RateLimit | undefined;
  readonly canHandle: MessageGuard | undefined;
  readonly exposeErrors: readonly ErrorClass[];
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The inbound path: decode a frame, keep each connection's envelopes in
 * arrival order, drop stale ones, validate, call the handlers, reply.
 *
 * A connection's next envelope starts only when fewer than `maxInFlight` of
 * its envelopes are being handled (one by default, so in order). A handler
 * that returns synchronously is answered without a promise in between.
 */
export class Dispatcher {
  private readonly limits: DecodeLimits;

  constructor(private readonly parts: DispatcherParts) {
    // TODO(lead): take maxDepth from the app's options (DispatcherParts).
    this.limits = { maxEventLength: parts.maxEventLength, maxDepth: DEFAULTS.maxDepth };
  }

  /** A text frame from a connection. */
  receiveText(session: Session, text: string): void {
    if (!session.open) return;
    const envelope = decodeEnvelope(text, this.limits);
    // Every frame spends a token, bad ones too, so a flood of garbage is limited as well.
    if (this.parts.rateLimit && !this.takeToken(session, this.parts.rateLimit)) {
      const error = new CaromError(
        ErrorCode.RATE_LIMITED,
        `more than ${this.parts.rateLimit.messages} envelopes in ${this.parts.rateLimit.perMs} ms; slow down`,
      );
      this.replyError(session, error, envelope.id, envelope.event);
      return;
    }
    if (isRejection(envelope)) {
      this.replyError(session, envelope.error, envelope.id, envelope.event);
      return;
    }
    if (!session.ready || session.inFlight >= this.parts.maxInFlight || session.queue.length > 0) {
      // A bounded wait: a client flooding a slow handler is told, not buffered without end.
      if (session.queue.length >= this.parts.maxQueued) {
        const error = new CaromError(
          ErrorCode.RATE_LIMITED,
          `${this.parts.maxQueued} envelopes are already waiting on this connection; slow down`,
        );
        this.replyError(session, error, envelope.id, envelope.event);
        return;
      }
      session.queue.push(envelope);
      return;
    }
    this.start(session, envelope);
  }

  /** A binary frame: the protocol carries JSON text only. */
  receiveBinary(session: Session): void {
    if (!session.open) return;
    const error = new CaromError(
      ErrorCode.BAD_JSON,
      'binary frames are not accepted; send JSON text',
    );
    this.replyError(session, error, undefined, undefined);
  }

  /** Starts whatever a connection has queued, as far as its in-flight limit allows. */
  pump(session: Session): void {
    while (
      session.open &&
      session.ready &&
      session.inFlight < this.parts.maxInFlight &&
      session.queue.length > 0
    ) {
      this.start(session, session.queue.shift()!);
    }
  }

  private start(session: Session, envelope: InboundEnvelope): void {
    session.inFlight++;
    if (this.route(session, envelope)) session.inFlight--;
  }

  /** Called at the end of every asynchronous route. */
  private finish(session: Session): void {
    session.inFlight--;
    this.pump(session);
  }

  /** Returns true when the envelope was dealt with synchronously; otherwise `finish` follows. */
  private route(session: Session, envelope: InboundEnvelope): boolean {
    const { event } = envelope;
    if (event === 'subscribe' || event === 'unsubscribe') {
      if (this.isStale(session, envelope)) return true;
      void this.changeSubscriptions(session, envelope);
      return false;
    }
    const entries = this.parts.registry.handlers.get(event);
    if (entries === undefined) {
      const error = new CaromError(ErrorCode.UNKNOWN_EVENT, `no handler for event '${event}'`);
      this.replyError(session, error, envelope.id, event);
      return true;
    }
    if (this.isStale(session, envelope)) return true;
    if (entries.length === 1 && !this.parts.canHandle) {
      const entry = entries[0]!;
      if (entry.dto === undefined) {
        this.parts.stale.handled(session, event, envelope.timestamp);
        return this.handleOne(session, envelope, entry, envelope.data);
      }
      this.validateThenHandle(session, envelope, entry, entry.dto);
      return false;
    }
    void this.handleAll(session, envelope, entries);
    return false;
  }

  private isStale(session: Session, envelope: InboundEnvelope): boolean {
    const { event, timestamp, id } = envelope;
    if (!this.parts.stale.isStale(session, event, timestamp, this.parts.clock.now())) return false;
    if (id !== undefined) {
      const error = new CaromError(
        ErrorCode.STALE,
        `dropped: older than the newest '${event}' envelope already handled`,
      );
      this.replyError(session, error, id, event);
    }
    return true;
  }

  private context(session: Session, envelope: InboundEnvelope): Context {
    return {
      connection: session.connection,
      event: envelope.event,
      id: envelope.id,
      timestamp: envelope.timestamp,
      rawData: envelope.data,
    };
  }

  /** One handler with a DTO and no guard: validate, then the one-handler path, with few hops. */
  private validateThenHandle(
    session: Session,
    envelope: InboundEnvelope,
    entry: HandlerEntry,
    dto: DtoClass,
  ): void {
    this.parts.validator.validate(dto, envelope.data).then(
      (payload) => {
        this.parts.stale.handled(session, envelope.event, envelope.timestamp);
        if (this.handleOne(session, envelope, entry, payload)) this.finish(session);
      },
      (err: unknown) => {
        this.replyFailure(session, envelope, entry, err);
        this.finish(session);
      },
    );
  }

  /**
   * The common case: one handler, no guard, the payload ready. Stays synchronous
   * when the handler does; returns false when `finish` will follow.
   */
  private handleOne(
    session: Session,
    envelope: InboundEnvelope,
    entry: HandlerEntry,
    payload: unknown,
  ): boolean {
    let result: unknown;
    try {
      result = entry.invoke(payload, this.context(session, envelope));
    } catch (err) {
      this.replyFailure(session, envelope, entry, err);
      return true;
    }
    if (!isThenable(result)) {
      this.replyAck(session, envelope, result);
      return true;
    }
    result.then(
      (value) => {
        this.replyAck(session, envelope, value);
        this.finish(session);
      },
      (err: unknown) => {
        this.replyFailure(session, envelope, entry, err);
        this.finish(session);
      },
    );
    return false;
  }

  /**
   * The general case. Every payload is validated before any handler runs; the
   * handlers then run one after another in registration order, all of them
   * even when one throws. The ack carries the first value that is not
   * `undefined`; the first failure answers instead.
   */
  private async handleAll(
    session: Session,
    envelope: InboundEnvelope,
    entries: readonly HandlerEntry[],
  ): Promise<void> {
    const ctx = this.context(session, envelope);
    try {
      if (this.parts.canHandle && !(await this.parts.canHandle(ctx))) {
        const error = new CaromError(
          ErrorCode.FORBIDDEN,
          `not allowed to send '${envelope.event}'`,
        );
        this.replyError(session, error, envelope.id, envelope.event);
        return;
      }
      const payloads: unknown[] = [];
      const validated = new Map<unknown, unknown>();
      for (const entry of entries) {
        if (entry.dto === undefined) {
          payloads.push(envelope.data);
          continue;
        }
        let value = validated.get(entry.dto);
        if (value === undefined) {
          value = await this.parts.validator.validate(entry.dto, envelope.data);
          validated.set(entry.dto, value);
        }
        payloads.push(value);
      }
      this.parts.stale.handled(session, envelope.event, envelope.timestamp);
      let reply: unknown;
      let failure: { entry: HandlerEntry; err: unknown } | undefined;
      for (let i = 0; i < entries.length; i++) {
        try {
          const value = await entries[i]!.invoke(payloads[i], ctx);
          if (reply === undefined) reply = value;
        } catch (err) {
          failure ??= { entry: entries[i]!, err };
        }
      }
      if (failure) this.replyFailure(session, envelope, failure.entry, failure.err);
      else this.replyAck(session, envelope, reply);
    } catch (err) {
      // Only the guard and validation reach here.
      this.replyFailure(session, envelope, undefined, err);
    } finally {
      this.finish(session);
    }
  }

  private async changeSubscriptions(session: Session, envelope: InboundEnvelope): Promise<void> {
    try {
      const action = envelope.event;
      const names = readTopicList(envelope.data, action);
      this.parts.stale.handled(session, action, envelope.timestamp);
      const outcome =
        action === 'subscribe'
          ? await this.parts.subscriptions.subscribe(session, names)
          : this.parts.subscriptions.unsubscribe(session, names);
      if (outcome.error) {
        const details = { ...(outcome.error.details as object), ...outcome.list };
        const error = new CaromError(outcome.error.code, outcome.error.message, details);
        this.replyError(session, error, envelope.id, action);
      } else {
        this.replyAck(session, envelope, outcome.list);
      }
    } catch (err) {
      this.replyFailure(session, envelope, undefined, err);
    } finally {
      this.finish(session);
    }
  }

  private replyAck(session: Session, envelope: InboundEnvelope, value: unknown): void {
    const { id, event } = envelope;
    if (id === undefined || !session.open) return;
    let json: string;
    try {
      json = toJson(value);
    } catch (err) {
      this.parts.logger.error(
        `handler reply for request ${String(id)} is not JSON-serializable`,
        err,
      );
      const error = new CaromError(ErrorCode.HANDLER_ERROR, 'the handler failed');
      this.replyError(session, error, id, event);
      return;
    }
    session.write(new Frame(encodeAck(id, json, this.stamp())));
  }

  /** Turns anything a handler, guard or validator threw into an error envelope. */
  private replyFailure(
    session: Session,
    envelope: InboundEnvelope,
    entry: HandlerEntry | undefined,
    err: unknown,
  ): void {
    let error: CaromError;
    if (err instanceof CaromError) {
      error = err;
    } else if (this.parts.exposeErrors.some((cls) => err instanceof cls)) {
      error = new CaromError(ErrorCode.HANDLER_ERROR, (err as Error).message);
    } else {
      const where = entry ? entry.name : `'${envelope.event}'`;
      this.parts.logger.error(`${where} threw while handling '${envelope.event}'`, err);
      error = new CaromError(ErrorCode.HANDLER_ERROR, 'the handler failed');
    }
    this.replyError(session, error, envelope.id, envelope.event);
  }

  private replyError(
    session: Session,
    error: CaromError,
    id: EnvelopeId | undefined,
    event: string | undefined,
  ): void {
    this.parts.logger.debug(`${error.code} to ${session.connection.id}: ${error.message}`);
    session.write(new Frame(encodeError(error, id, event, this.stamp())));
  }

  private stamp(): string {
    return this.parts.timestamps.write(this.parts.clock.now());
  }

  private takeToken(session: Session, limit: RateLimit): boolean {
    const now = this.parts.clock.now();
    const rate = limit.messages / limit.perMs;
    session.tokens = Math.min(limit.messages, session.tokens + (now - session.refilledAt) * rate);
    session.refilledAt = now;
    if (session.tokens < 1) return false;
    session.tokens -= 1;
    return true;
  }
}
