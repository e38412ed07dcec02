import {
  decodeEnvelope,
  isRejection,
  type DecodeLimits,
  type InboundEnvelope,
} from '../protocol/envelope.js';
import { ErrorCode } from '../protocol/errors.js';
import { CaromError } from './errors.js';
import { ANSWER, PING } from '../protocol/names.js';
import type { Asks } from './asks.js';
import type { Clock } from './clock.js';
import type { Context } from './context.js';
import { Deadlines } from './deadline.js';
import { describe, outcomeOf, whenSettled } from './guard.js';
import { InboundQueue, type InboundLimits, type InboundRunner } from './inbound-queue.js';
import type { CaromLogger } from './logger.js';
import type { CaromObserver } from './observer.js';
import type { OnceGate } from './once-gate.js';
import type { MessageGuard, RateLimit } from './options.js';
import { RateLimiter } from './rate-limiter.js';
import type { HandlerEntry, Registry } from './registry.js';
import type { Replies } from './replies.js';
import type { Session } from './session.js';
import type { StaleFilter } from './stale-filter.js';
import { readSubscriptionList, type SubscriptionRequests } from './subscription-requests.js';
import type { Recovery } from './recovery.js';
import { readRecoveryAsk, type RecoveryAsk } from './recovery-request.js';
import type { DtoClass, PayloadValidator } from './validation.js';

/** What the dispatcher needs from the app. */
export interface DispatcherParts {
  readonly registry: Registry;
  readonly requests: SubscriptionRequests;
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
  /** Requests the server made of clients: their answers skip the queue (a handler may await one). */
  readonly asks: Asks;
  /** Bounds `canHandle`; each handler's own timeout bounds its guard, validation and run. */
  readonly handlerTimeoutMs: number;
  /** Metrics and traces; undefined when nothing observes, and then no call is made. */
  readonly observer?: CaromObserver | undefined;
  /** Serves a `subscribe`'s `resume` and `recent` (history); without it they are refused. */
  readonly recovery?: Recovery | undefined;
  /** Keyed envelopes handled once (see `OnceGate`); undefined when off. */
  readonly once?: OnceGate | undefined;
}

/** A `subscribe` or `unsubscribe` as read: its names and, for a resuming subscribe, what it asks of the histories. */
interface SubscriptionChange {
  readonly names: string[];
  readonly ask: RecoveryAsk | undefined;
}

const SHUTTING_DOWN = new CaromError(
  ErrorCode.UNAVAILABLE,
  'the server is shutting down; reconnect and send it again',
);
const BINARY = new CaromError(ErrorCode.BAD_JSON, 'binary frames are not accepted; send JSON text');

/**
 * Routes a connection's envelopes to their handlers. The stages of one text
 * frame, in order; a stage that refuses answers with an `error` envelope that
 * echoes the id and event as far as they are known, and nothing after it runs:
 *
 * 1. Rate limit (`RateLimiter`): every frame spends a token, a bad one too.
 *    `RATE_LIMITED`; only a frame of up to 1024 characters is decoded, for its id.
 * 2. Decode (`protocol/envelope.ts`): `BAD_JSON`, `BAD_ENVELOPE`. A binary
 *    frame is answered `BAD_JSON` here, without spending a token.
 *    A `carom.answer` (a client answering `connection.ask`) goes to `Asks`
 *    here, ahead of the queue: the handler awaiting it may be what holds it.
 * 3. Queue (`InboundQueue`): `UNAVAILABLE` once the connection drains for
 *    shutdown; `RATE_LIMITED` when `maxQueued` envelopes already wait. It waits
 *    until the connect hooks have settled and fewer than `maxInFlight` of the
 *    connection's envelopes are being handled.
 * 4. Clock: a timestamp more than `maxClockSkewMs` ahead is `BAD_ENVELOPE`.
 * 5. Route: `carom.ping` is acked here and skips the stages below; an event
 *    without handlers is `UNKNOWN_EVENT`; `subscribe` and `unsubscribe` take
 *    the core's own path.
 * 6. Stale (`StaleFilter`): `STALE` when the envelope has an id; without one
 *    it is dropped silently. An envelope with a `key` (carom's subprotocol) from
 *    a connection with an identity first has its key claimed (`OnceGate`): a
 *    repeat gets the first answer and stops here, one whose first attempt is
 *    still being handled waits for it.
 * 7. Guard (`canHandle`, then each handler's own `guard`): `FORBIDDEN`. Skipped
 *    for `subscribe`/`unsubscribe`.
 * 8. Validate (each handler's DTO): `VALIDATION_FAILED`. For `subscribe` and
 *    `unsubscribe`, the list of names: `BAD_ENVELOPE`, `LIMIT_EXCEEDED`; and a
 *    `subscribe`'s `resume` and `recent` (`recovery-request.ts`): `BAD_ENVELOPE`.
 * 9. Handlers: the envelope now counts as handled (its timestamp moves the
 *    watermark, in `handle` only); they run one after another in registration
 *    order. A throw is `HANDLER_ERROR` unless the error is exposed. For
 *    `subscribe`/`unsubscribe`: `canSubscribe` per name, then the change;
 *    refused names are `UNKNOWN_EVENT`, `FORBIDDEN` or `LIMIT_EXCEEDED`. A
 *    `subscribe` with `resume` or `recent` then replays history (`Recovery`),
 *    and nothing more of the connection starts until it is answered.
 * 10. Reply (`Replies`): an `ack` when the envelope has an id; a value that is
 *    not JSON is `HANDLER_ERROR`. A guard or validator that throws is answered
 *    as a handler that throws.
 *
 * Application code that returns a promise (a guard, an async validation, a
 * handler with its interceptors) is bounded by the handler's timeout
 * (`Deadlines`): past it the client gets `HANDLER_TIMEOUT` and the queue moves on.
 *
 * One handler without a DTO, guard or interceptor (the common case) that
 * returns synchronously goes from stage 1 to 10 with no promise, no closure and no timer;
 * so does one whose DTO has no asynchronous constraint (decided when the app is built).
 */
export class Dispatcher implements InboundRunner<Session> {
  private readonly decodeLimits: DecodeLimits;
  /** For `carom` subprotocol connections: the envelope's `key` is read too. */
  private readonly caromLimits: DecodeLimits;
  private readonly inboundLimits: InboundLimits;
  private readonly limiter: RateLimiter | undefined;
  private readonly queueFull: CaromError;
  private readonly replies: Replies;
  private readonly deadlines: Deadlines;
  private readonly obs: CaromObserver | undefined;

  constructor(private readonly parts: DispatcherParts) {
    this.decodeLimits = { maxEventLength: parts.maxEventLength, maxDepth: parts.maxDepth };
    this.caromLimits = { ...this.decodeLimits, keys: true };
    this.inboundLimits = { maxInFlight: parts.maxInFlight, maxQueued: parts.maxQueued };
    this.limiter = parts.rateLimit ? new RateLimiter(parts.rateLimit, parts.clock) : undefined;
    this.queueFull = new CaromError(
      ErrorCode.RATE_LIMITED,
      `${parts.maxQueued} envelopes are already waiting on this connection; slow down`,
    );
    this.replies = parts.replies;
    this.deadlines = new Deadlines(parts.clock, parts.logger);
    this.obs = parts.observer;
    for (const entries of parts.registry.handlers.values()) {
      for (const { dto } of entries) if (dto !== undefined) parts.validator.prepare(dto);
    }
  }

  /** Gives a new connection its inbound queue and, when the rate limit is on, a full bucket. */
  attach(session: Session): void {
    session.inbound = new InboundQueue(session, this, this.inboundLimits);
    session.tokens = this.limiter?.bucket();
  }

  /** A text frame from a connection: stages 1 to 3. */
  receiveText(session: Session, text: string): void {
    if (!session.open) return;
    const limiter = this.limiter;
    if (limiter !== undefined && !limiter.take(session.tokens!)) {
      const known = limiter.worthDecoding(text)
        ? decodeEnvelope(text, this.decodeLimits)
        : undefined;
      if (this.obs !== undefined) this.obs.dropped('rate_limited');
      this.replies.error(session, limiter.refusal, known);
      return;
    }
    const envelope = decodeEnvelope(
      text,
      session.peer.protocol === 'carom' ? this.caromLimits : this.decodeLimits,
    );
    if (isRejection(envelope)) {
      this.replies.error(session, envelope.error, envelope);
      return;
    }
    const obs = this.obs;
    if (obs !== undefined) obs.received(envelope.event);
    if (envelope.event === ANSWER) {
      this.parts.asks.answer(session, envelope);
      return;
    }
    const inbound = session.inbound;
    if (inbound.draining) {
      if (obs !== undefined) obs.dropped('shutting_down');
      this.replies.error(session, SHUTTING_DOWN, envelope);
      return;
    }
    // A bounded wait: a client flooding a slow handler is told, not buffered without end.
    if (!inbound.add(envelope)) {
      if (obs !== undefined) obs.dropped('queue_full');
      this.replies.error(session, this.queueFull, envelope);
    }
  }

  /** A binary frame: the protocol carries JSON text only. */
  receiveBinary(session: Session): void {
    if (!session.open) return;
    this.replies.error(session, BINARY, undefined);
  }

  /** Answers every envelope still waiting on a connection with `error` and forgets them (shutdown). */
  refuseQueued(session: Session, error: CaromError): void {
    for (const envelope of session.inbound.takeWaiting()) {
      if (this.obs !== undefined) this.obs.dropped('shutting_down');
      this.replies.error(session, error, envelope);
    }
  }

  /**
   * Stages 4 to 10 for an envelope the queue let through. Returns true when it
   * was dealt with synchronously; otherwise `session.inbound.done()` follows.
   */
  run(session: Session, envelope: InboundEnvelope): boolean {
    const { event } = envelope;
    if (this.obs !== undefined) this.obs.handling(session.connection.id, envelope);
    // Read once: both the clock-skew check and the staleness gate judge against it.
    const now = this.parts.clock.now();
    if (this.isFromTheFuture(session, envelope, now)) return true;
    if (event === PING) {
      this.replies.ack(session, envelope, null);
      return true;
    }
    if (event === 'subscribe' || event === 'unsubscribe') {
      if (this.isStale(session, envelope, now)) return true;
      return this.readSubscriptions(session, envelope);
    }
    const entries = this.parts.registry.handlers.get(event);
    if (entries === undefined) {
      const error = new CaromError(ErrorCode.UNKNOWN_EVENT, `no handler for event '${event}'`);
      this.replies.error(session, error, envelope);
      return true;
    }
    const once = this.parts.once;
    if (once !== undefined && envelope.key !== undefined) {
      const identity = once.identityOf(session.connection);
      if (identity === null) {
        this.replies.error(session, once.noIdentity, envelope);
        return true;
      }
      if (identity !== undefined) {
        this.runOnce(session, envelope, entries, identity, once).catch((err: unknown) =>
          this.lastResort(err),
        );
        return false;
      }
    }
    if (this.isStale(session, envelope, now)) return true;
    return this.route(session, envelope, entries);
  }

  /** Stages 7 to 10 for an envelope with handlers; true when it was dealt with synchronously. */
  private route(
    session: Session,
    envelope: InboundEnvelope,
    entries: readonly HandlerEntry[],
  ): boolean {
    if (this.isPlain(entries)) {
      const dto = entries[0]!.dto;
      if (dto === undefined) return this.handle(session, envelope, entries, envelope.data);
      return this.validateOne(session, envelope, entries, dto);
    }
    this.checkAll(session, envelope, entries).catch((err: unknown) => this.lastResort(err));
    return false;
  }

  /**
   * An envelope with a `key`, from a connection with an identity: its key is
   * claimed before stage 6, so that a repeat gets the first answer even when
   * later envelopes made it stale. See `OnceGate`.
   */
  private async runOnce(
    session: Session,
    envelope: InboundEnvelope,
    entries: readonly HandlerEntry[],
    identity: string,
    once: OnceGate,
  ): Promise<void> {
    const verdict = await once.admit(identity, envelope, this.waitBound(entries, once));
    if (verdict.kind === 'first') {
      if (!session.open) {
        // Gone while its key was claimed: its retry, on the next connection, is handled.
        once.letGo(envelope);
        this.obs?.answered(envelope, ErrorCode.UNAVAILABLE);
        session.inbound.done();
        return;
      }
      if (this.isStale(session, envelope, this.parts.clock.now())) {
        once.letGo(envelope);
        session.inbound.done();
        return;
      }
      if (this.route(session, envelope, entries)) session.inbound.done();
      return;
    }
    if (verdict.kind === 'answered') {
      this.obs?.dropped('repeat');
      this.replies.replay(session, envelope, verdict.answer);
    } else {
      this.replies.error(session, verdict.error, envelope);
    }
    session.inbound.done();
  }

  /** How long a repeat waits for the first attempt's answer: as long as that attempt may take. */
  private waitBound(entries: readonly HandlerEntry[], once: OnceGate): number {
    let ms = this.parts.handlerTimeoutMs;
    for (const entry of entries) if (entry.timeoutMs > ms) ms = entry.timeoutMs;
    return ms > 0 ? ms : once.windowMs;
  }

  /** One handler and no guard: its payload is one value, and it may answer synchronously. */
  private isPlain(entries: readonly HandlerEntry[]): boolean {
    return entries.length === 1 && !this.parts.canHandle && entries[0]!.guard === undefined;
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
    this.replies.error(session, error, envelope);
    return true;
  }

  private isStale(session: Session, envelope: InboundEnvelope, now: number): boolean {
    const { event, timestamp, id } = envelope;
    if (!this.parts.stale.isStale(session, event, timestamp, now)) return false;
    const obs = this.obs;
    if (obs !== undefined) obs.dropped('stale');
    if (id !== undefined) {
      const error = new CaromError(
        ErrorCode.STALE,
        `dropped: older than the newest '${event}' envelope already handled`,
      );
      this.replies.error(session, error, envelope);
    } else if (obs !== undefined) {
      obs.answered(envelope, ErrorCode.STALE);
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

  /**
   * Stage 8 for one handler with a DTO and no guard, with few hops: in this
   * turn when nothing in the DTO waits. Returns true when answered synchronously.
   */
  private validateOne(
    session: Session,
    envelope: InboundEnvelope,
    entries: readonly HandlerEntry[],
    dto: DtoClass,
  ): boolean {
    const entry = entries[0]!;
    const validator = this.parts.validator;
    if (validator.isSync(dto)) {
      let payload: object;
      try {
        payload = validator.validateNow(dto, envelope.data);
      } catch (err) {
        this.replies.failure(session, envelope, entry, err);
        return true;
      }
      return this.handle(session, envelope, entries, payload);
    }
    const validation = validator.validate(dto, envelope.data);
    const bounded = this.deadlines.within(
      validation,
      entry.timeoutMs,
      envelope.event,
      `validation for ${entry.name}`,
    );
    whenSettled(
      bounded,
      (payload) => {
        if (this.handle(session, envelope, entries, payload)) session.inbound.done();
      },
      (err: unknown) => {
        this.replies.failure(session, envelope, entry, err);
        session.inbound.done();
      },
    );
    return false;
  }

  /**
   * Stages 7 and 8 in general: the app's guard, then each handler's own (all
   * must let it through), then every payload validated (once per DTO) before
   * any handler runs. The guards and the handlers see one context.
   */
  private async checkAll(
    session: Session,
    envelope: InboundEnvelope,
    entries: readonly HandlerEntry[],
  ): Promise<void> {
    const ctx = this.context(session, envelope);
    const { event } = envelope;
    const payloads: unknown[] = [];
    try {
      const canHandle = this.parts.canHandle;
      if (canHandle) {
        const allowed = await this.bounded(
          canHandle(ctx),
          this.parts.handlerTimeoutMs,
          event,
          'canHandle',
        );
        if (!allowed) return this.forbid(session, envelope);
      }
      for (const entry of entries) {
        if (entry.guard === undefined) continue;
        const guard = `the guard of ${entry.name}`;
        const allowed = await this.bounded(entry.guard(ctx), entry.timeoutMs, event, guard);
        if (allowed === true) continue;
        // Fail closed: only `true` lets an envelope through a handler's guard.
        if (allowed !== false) {
          this.parts.logger.error(
            `${guard} returned ${describe(allowed)}, not true or false; refused`,
          );
        }
        return this.forbid(session, envelope);
      }
      const validated = new Map<unknown, unknown>();
      for (const entry of entries) {
        if (entry.dto === undefined) {
          payloads.push(envelope.data);
          continue;
        }
        let value = validated.get(entry.dto);
        if (value === undefined) {
          const validator = this.parts.validator;
          const validation = validator.isSync(entry.dto)
            ? validator.validateNow(entry.dto, envelope.data)
            : validator.validate(entry.dto, envelope.data);
          value = await this.bounded(
            validation,
            entry.timeoutMs,
            event,
            `validation for ${entry.name}`,
          );
          validated.set(entry.dto, value);
        }
        payloads.push(value);
      }
    } catch (err) {
      this.replies.failure(session, envelope, undefined, err);
      session.inbound.done();
      return;
    }
    if (this.handle(session, envelope, entries, payloads, ctx)) session.inbound.done();
  }

  private forbid(session: Session, envelope: InboundEnvelope): void {
    const error = new CaromError(ErrorCode.FORBIDDEN, `not allowed to send '${envelope.event}'`);
    this.replies.error(session, error, envelope);
    session.inbound.done();
  }

  /** What application code returned, waited for within `ms` (see `Deadlines`); never throws. */
  private bounded(result: unknown, ms: number, event: string, who: string): unknown {
    const outcome = outcomeOf(result);
    if (outcome.kind === 'value') return outcome.value;
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (outcome.kind === 'failed') return Promise.reject(outcome.error);
    return this.deadlines.within(outcome.promise, ms, event, who);
  }

  /** Stage 8 for `subscribe` and `unsubscribe`: the list of names. */
  private readSubscriptions(session: Session, envelope: InboundEnvelope): boolean {
    let change: SubscriptionChange;
    try {
      const limits = this.parts.requests.limits;
      const names = readSubscriptionList(envelope.data, envelope.event, limits);
      const ask =
        envelope.event === 'subscribe'
          ? readRecoveryAsk(
              envelope.data,
              session.peer.protocol === 'carom' && this.parts.recovery !== undefined,
              envelope.id !== undefined,
              limits,
            )
          : undefined;
      change = { names, ask };
    } catch (err) {
      this.replies.failure(session, envelope, undefined, err);
      return true;
    }
    return this.handle(session, envelope, undefined, change);
  }

  /**
   * Stage 9, where every path through the checks ends: from here the envelope
   * counts as handled. This is the one place that moves a watermark, so an
   * envelope refused by a guard or a validator never makes later ones stale.
   *
   * `entries` is undefined for `subscribe` and `unsubscribe`, whose payload is
   * the list of names. A plain route (see `isPlain`) passes one payload and no
   * `ctx`; the general one passes a payload per handler and the context its
   * guard saw. Returns true when the envelope was answered synchronously.
   */
  private handle(
    session: Session,
    envelope: InboundEnvelope,
    entries: readonly HandlerEntry[] | undefined,
    payload: unknown,
    ctx?: Context,
  ): boolean {
    this.parts.stale.handled(session, envelope.event, envelope.timestamp);
    const once = this.parts.once;
    if (once !== undefined && once.holding !== 0) once.started(envelope);
    if (entries === undefined) {
      this.changeSubscriptions(session, envelope, payload as SubscriptionChange).catch(
        (err: unknown) => this.lastResort(err),
      );
      return false;
    }
    if (ctx === undefined) return this.handleOne(session, envelope, entries[0]!, payload);
    this.handleAll(session, envelope, entries, payload as unknown[], ctx).catch((err: unknown) =>
      this.lastResort(err),
    );
    return false;
  }

  /**
   * The common case: one handler, no guard, the payload ready. Stays synchronous
   * when the handler does; returns false when `done()` will follow.
   */
  private handleOne(
    session: Session,
    envelope: InboundEnvelope,
    entry: HandlerEntry,
    payload: unknown,
  ): boolean {
    let result: unknown;
    const obs = this.obs;
    try {
      const ctx = this.context(session, envelope);
      result =
        obs === undefined
          ? entry.invoke(payload, ctx)
          : obs.invoke(envelope, entry.invoke, payload, ctx);
    } catch (err) {
      this.replies.failure(session, envelope, entry, err);
      return true;
    }
    const outcome = outcomeOf(result);
    if (outcome.kind === 'value') {
      this.replies.ack(session, envelope, outcome.value);
      return true;
    }
    if (outcome.kind === 'failed') {
      this.replies.failure(session, envelope, entry, outcome.error);
      return true;
    }
    const bounded = this.deadlines.within(
      outcome.promise,
      entry.timeoutMs,
      envelope.event,
      entry.name,
    );
    whenSettled(
      bounded,
      (value) => {
        this.replies.ack(session, envelope, value);
        session.inbound.done();
      },
      (err: unknown) => {
        this.replies.failure(session, envelope, entry, err);
        session.inbound.done();
      },
    );
    return false;
  }

  /**
   * The general case. The handlers run one after another in registration
   * order, all of them even when one throws. The ack carries the first value
   * that is not `undefined`; the first failure answers instead.
   */
  private async handleAll(
    session: Session,
    envelope: InboundEnvelope,
    entries: readonly HandlerEntry[],
    payloads: readonly unknown[],
    ctx: Context,
  ): Promise<void> {
    try {
      let reply: unknown;
      let failure: { entry: HandlerEntry; err: unknown } | undefined;
      for (let i = 0; i < entries.length; i++) {
        try {
          const entry = entries[i]!;
          const obs = this.obs;
          const result =
            obs === undefined
              ? entry.invoke(payloads[i], ctx)
              : obs.invoke(envelope, entry.invoke, payloads[i], ctx);
          const value = await this.bounded(result, entry.timeoutMs, envelope.event, entry.name);
          if (reply === undefined) reply = value;
        } catch (err) {
          failure ??= { entry: entries[i]!, err };
        }
      }
      if (failure) this.replies.failure(session, envelope, failure.entry, failure.err);
      else this.replies.ack(session, envelope, reply);
    } finally {
      session.inbound.done();
    }
  }

  private async changeSubscriptions(
    session: Session,
    envelope: InboundEnvelope,
    change: SubscriptionChange,
  ): Promise<void> {
    const { names, ask } = change;
    const recovery = this.parts.recovery;
    // A replaying subscribe is answered before anything the connection sent after it
    // starts, and holds its events' live messages from before it takes effect.
    const plan = ask === undefined ? undefined : recovery!.begin(session, ask, names);
    if (plan !== undefined) session.inbound.block();
    try {
      const action = envelope.event;
      const requests = this.parts.requests;
      const refused =
        action === 'subscribe'
          ? await requests.subscribe(session, names)
          : requests.unsubscribe(session, names);
      const report = plan === undefined ? undefined : await recovery!.finish(session, plan);
      // The list is the ack's: built only when someone asked, so a change costs the
      // same however many subscriptions the connection already holds.
      let list = envelope.id === undefined ? undefined : requests.list(session);
      if (report !== undefined) list = { ...list!, recovery: report };
      if (refused) {
        const details = { ...(refused.details as object), ...list };
        this.replies.error(
          session,
          new CaromError(refused.code, refused.message, details),
          envelope,
        );
      } else {
        this.replies.ack(session, envelope, list);
      }
    } catch (err) {
      this.replies.failure(session, envelope, undefined, err);
    } finally {
      if (plan !== undefined) {
        recovery!.settle(session, plan);
        session.inbound.unblock();
      }
      session.inbound.done();
    }
  }

  /** The app closed: disarms the handler timeouts still armed. */
  stop(): void {
    this.deadlines.stop();
  }

  /** Replies never throw, so only a bug in carom itself can reach here; it is logged, never raised. */
  private lastResort(err: unknown): void {
    this.parts.logger.error('carom failed while handling an envelope', err);
  }
}
