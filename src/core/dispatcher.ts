import {
  decodeEnvelope,
  isRejection,
  type EnvelopeId,
  type InboundEnvelope,
} from '../protocol/envelope.js';
import { ErrorCode } from '../protocol/errors.js';
import { CaromError } from './errors.js';
import { PING } from '../protocol/names.js';
import type { Clock } from './clock.js';
import type { Context } from './context.js';
import { outcomeOf, whenSettled } from './guard.js';
import type { CaromLogger } from './logger.js';
import type { HandlerEntry, Registry } from './registry.js';
import type { Replies } from './replies.js';
import type { Session } from './session.js';
import type { StaleFilter } from './stale-filter.js';
import { readTopicList, type SubscriptionRequests } from './subscription-requests.js';
import type { DtoClass, PayloadValidator } from './validation.js';

/** Decides whether a connection may have an envelope handled; `false` answers `FORBIDDEN`. */
export type MessageGuard = (ctx: Context) => boolean | Promise<boolean>;

/** A per-connection rate limit: at most `messages` envelopes per `perMs` milliseconds. */
export interface RateLimit {
  readonly messages: number;
  readonly perMs: number;
}

/** Frames past the rate limit up to this many characters are still decoded, for their id. */
const SMALL_FRAME = 1024;

/** What the dispatcher needs from the app. */
export interface DispatcherParts {
  readonly registry: Registry;
  readonly subscriptions: SubscriptionRequests;
  readonly stale: StaleFilter;
  readonly validator: PayloadValidator;
  readonly replies: Replies;
  readonly clock: Clock;
  readonly logger: CaromLogger;
  readonly maxEventLength: number;
  readonly maxDepth: number;
  readonly maxClockSkewMs: number;
  readonly maxInFlight: number;
  readonly maxQueued: number;
  readonly rateLimit: RateLimit | undefined;
  readonly canHandle: MessageGuard | undefined;
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
  private readonly limits: { maxEventLength: number; maxDepth: number };
  private readonly replies: Replies;

  constructor(private readonly parts: DispatcherParts) {
    this.limits = { maxEventLength: parts.maxEventLength, maxDepth: parts.maxDepth };
    this.replies = parts.replies;
  }

  /** A text frame from a connection. */
  receiveText(session: Session, text: string): void {
    if (!session.open) return;
    // Every frame spends a token, bad ones too, so a flood of garbage is limited as well.
    if (this.parts.rateLimit && !this.takeToken(session, this.parts.rateLimit)) {
      this.refuseOverRate(session, text, this.parts.rateLimit);
      return;
    }
    const envelope = decodeEnvelope(text, this.limits);
    if (isRejection(envelope)) {
      const { code, message } = envelope.error;
      this.replyError(session, new CaromError(code, message), envelope.id, envelope.event);
      return;
    }
    if (session.draining !== undefined) {
      const error = new CaromError(
        ErrorCode.UNAVAILABLE,
        'the server is shutting down; reconnect and send it again',
      );
      this.replyError(session, error, envelope.id, envelope.event);
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

  /**
   * Answers a frame past the rate limit. Only a small one is decoded, to echo
   * its id so that the client's request fails at once: a flood of large frames
   * past the limit must not cost a `JSON.parse` each.
   */
  private refuseOverRate(session: Session, text: string, limit: RateLimit): void {
    const known = text.length <= SMALL_FRAME ? decodeEnvelope(text, this.limits) : undefined;
    const error = new CaromError(
      ErrorCode.RATE_LIMITED,
      `more than ${limit.messages} envelopes in ${limit.perMs} ms; slow down`,
    );
    this.replyError(session, error, known?.id, known?.event);
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

  /** Answers every envelope still waiting on a connection with `error` and forgets them (shutdown). */
  refuseQueued(session: Session, error: CaromError): void {
    for (const envelope of session.queue.splice(0)) {
      this.replyError(session, error, envelope.id, envelope.event);
    }
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
    if (this.route(session, envelope)) {
      session.inFlight--;
      if (session.draining !== undefined) this.idleCheck(session);
    }
  }

  /** Called at the end of every asynchronous route. */
  private finish(session: Session): void {
    session.inFlight--;
    this.pump(session);
    if (session.draining !== undefined) this.idleCheck(session);
  }

  /** A draining connection is closed once everything it sent before has been answered. */
  private idleCheck(session: Session): void {
    if (session.inFlight === 0 && session.queue.length === 0) session.draining?.();
  }

  /** Returns true when the envelope was dealt with synchronously; otherwise `finish` follows. */
  private route(session: Session, envelope: InboundEnvelope): boolean {
    const { event } = envelope;
    // Read once: both the clock-skew check and the staleness gate judge against it.
    const now = this.parts.clock.now();
    if (this.isFromTheFuture(session, envelope, now)) return true;
    if (event === PING) {
      this.replies.ack(session, envelope.id, event, null);
      return true;
    }
    if (event === 'subscribe' || event === 'unsubscribe') {
      if (this.isStale(session, envelope, now)) return true;
      this.changeSubscriptions(session, envelope).catch((err: unknown) => this.lastResort(err));
      return false;
    }
    const entries = this.parts.registry.handlers.get(event);
    if (entries === undefined) {
      const error = new CaromError(ErrorCode.UNKNOWN_EVENT, `no handler for event '${event}'`);
      this.replyError(session, error, envelope.id, event);
      return true;
    }
    if (this.isStale(session, envelope, now)) return true;
    if (entries.length === 1 && !this.parts.canHandle) {
      const entry = entries[0]!;
      if (entry.dto === undefined) {
        this.parts.stale.handled(session, event, envelope.timestamp);
        return this.handleOne(session, envelope, entry, envelope.data);
      }
      this.validateThenHandle(session, envelope, entry, entry.dto);
      return false;
    }
    this.handleAll(session, envelope, entries).catch((err: unknown) => this.lastResort(err));
    return false;
  }

  /**
   * A timestamp far ahead of the server's clock would move a watermark past
   * every honest envelope (with a global scope, for every client), so it is refused.
   */
  private isFromTheFuture(session: Session, envelope: InboundEnvelope, now: number): boolean {
    const { timestamp } = envelope;
    if (timestamp === undefined) return false;
    if (timestamp - now <= this.parts.maxClockSkewMs) return false;
    const error = new CaromError(
      ErrorCode.BAD_ENVELOPE,
      `"timestamp" is more than ${this.parts.maxClockSkewMs} ms ahead of the server's clock`,
    );
    this.replyError(session, error, envelope.id, envelope.event);
    return true;
  }

  private isStale(session: Session, envelope: InboundEnvelope, now: number): boolean {
    const { event, timestamp, id } = envelope;
    if (!this.parts.stale.isStale(session, event, timestamp, now)) return false;
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
    const outcome = outcomeOf(result);
    if (outcome.kind === 'value') {
      this.replyAck(session, envelope, outcome.value);
      return true;
    }
    if (outcome.kind === 'failed') {
      this.replyFailure(session, envelope, entry, outcome.error);
      return true;
    }
    whenSettled(
      outcome.promise,
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
      const requests = this.parts.subscriptions;
      const names = readTopicList(envelope.data, action, requests.limits);
      this.parts.stale.handled(session, action, envelope.timestamp);
      const refused =
        action === 'subscribe'
          ? await requests.subscribe(session, names)
          : requests.unsubscribe(session, names);
      // The list is the ack's: built only when someone asked, so a change costs the
      // same however many subscriptions the connection already holds.
      const list = envelope.id === undefined ? undefined : requests.list(session);
      if (refused) {
        const details = { ...(refused.details as object), ...list };
        const error = new CaromError(refused.code, refused.message, details);
        this.replyError(session, error, envelope.id, action);
      } else {
        this.replyAck(session, envelope, list);
      }
    } catch (err) {
      this.replyFailure(session, envelope, undefined, err);
    } finally {
      this.finish(session);
    }
  }

  private replyAck(session: Session, envelope: InboundEnvelope, value: unknown): void {
    this.replies.ack(session, envelope.id, envelope.event, value);
  }

  /** Turns anything a handler, guard or validator threw into an error envelope. */
  private replyFailure(
    session: Session,
    envelope: InboundEnvelope,
    entry: HandlerEntry | undefined,
    err: unknown,
  ): void {
    const where = entry ? entry.name : `'${envelope.event}'`;
    this.replies.failure(session, envelope.id, envelope.event, where, err);
  }

  private replyError(
    session: Session,
    error: CaromError,
    id: EnvelopeId | undefined,
    event: string | undefined,
  ): void {
    this.replies.error(session, error, id, event);
  }

  /** Replies never throw, so only a bug in carom itself can reach here; it is logged, never raised. */
  private lastResort(err: unknown): void {
    this.parts.logger.error('carom failed while handling an envelope', err);
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
