import { ErrorCode } from '../protocol/errors.js';
import type { InboundEnvelope } from '../protocol/envelope.js';
import { ASK } from '../protocol/names.js';
import type { Clock, TimerHandle } from './clock.js';
import { CaromError, appError } from './errors.js';
import type { Publisher } from './publisher.js';
import type { Replies } from './replies.js';
import type { Session } from './session.js';

/** Why a request the server made of a client did not get its answer. */
export type AskErrorCode =
  /** No answer within the timeout. */
  | 'ASK_TIMEOUT'
  /** The connection closed (or the app shut down) first. */
  | 'ASK_CLOSED'
  /** The connection already has `maxPendingAsks` requests waiting. */
  | 'ASK_LIMIT'
  /** The client answered with an error (its handler failed, or it has none for the event). */
  | 'ASK_FAILED';

/**
 * The rejection of `connection.ask`. For `ASK_FAILED`, `clientCode` and the
 * message are what the client said: a client's words, to be treated as such.
 */
export class AskError extends Error {
  constructor(
    /** Why the request failed. */
    readonly code: AskErrorCode,
    message: string,
    /** The code the client answered with, for `ASK_FAILED`. */
    readonly clientCode?: string,
  ) {
    super(message);
    this.name = 'AskError';
  }
}

/** Options of one `connection.ask`. */
export interface AskOptions {
  /** Milliseconds to wait for the answer; default the app's `askTimeoutMs`. */
  readonly timeoutMs?: number;
}

/** The bounds the app sets on requests to clients. */
export interface AskLimits {
  /** Requests one connection may have waiting for an answer. */
  readonly maxPending: number;
  /** Default wait for an answer, in milliseconds. */
  readonly timeoutMs: number;
}

/** Longest code and message kept from a client's error answer. */
const MAX_CODE = 64;
const MAX_MESSAGE = 500;

interface Pending {
  readonly session: Session;
  readonly ask: number;
  readonly event: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: AskError) => void;
  timer: TimerHandle;
}

/** What an answer says, once read; a string is why it is not one. */
export type Answer =
  | { readonly ask: number; readonly ok: true; readonly data: unknown }
  | { readonly ask: number; readonly ok: false; readonly code: string; readonly message: string };

/**
 * Reads the data of a client's `carom.answer`: `{ ask, data }` or
 * `{ ask, error: { code, message? } }`, `ask` a positive safe integer. Never
 * throws; anything else is a reason it was refused. The decoder has already
 * bounded the frame's size and depth.
 */
export function readAnswer(data: unknown): Answer | string {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return 'an answer must be an object';
  }
  const record = data as Record<string, unknown>;
  const ask = record.ask;
  if (typeof ask !== 'number' || !Number.isSafeInteger(ask) || ask < 1) {
    return 'an answer needs "ask", the positive integer of the request it answers';
  }
  const hasError = Object.hasOwn(record, 'error');
  if (hasError === Object.hasOwn(record, 'data')) {
    return 'an answer holds exactly one of "data" and "error"';
  }
  if (!hasError) return { ask, ok: true, data: record.data };
  const error = record.error;
  if (typeof error !== 'object' || error === null || Array.isArray(error)) {
    return 'an answer\'s "error" must be an object';
  }
  const { code, message } = error as Record<string, unknown>;
  if (typeof code !== 'string' || code.length === 0 || code.length > MAX_CODE) {
    return `an answer's error needs a "code" of 1 to ${MAX_CODE} characters`;
  }
  if (message !== undefined && typeof message !== 'string') {
    return 'an answer\'s error "message" must be a string';
  }
  const text = (message ?? code).slice(0, MAX_MESSAGE);
  return { ask, ok: false, code, message: text };
}

/**
 * Requests the server makes of its clients (`connection.ask`) and their
 * answers. Each connection holds at most `maxPending` requests; each one is
 * settled exactly once: by the client's answer, by its timeout, or by the
 * connection closing. Nothing here costs an app that never asks anything but
 * one event-name comparison per inbound envelope, in the dispatcher.
 */
export class Asks {
  private readonly bySession = new Map<Session, Map<number, Pending>>();
  private nextAsk = 1;

  constructor(
    private readonly clock: Clock,
    private readonly publisher: Publisher,
    private readonly replies: Replies,
    private readonly limits: AskLimits,
  ) {}

  /** Requests waiting for an answer, over every connection. */
  get pending(): number {
    let n = 0;
    for (const waiting of this.bySession.values()) n += waiting.size;
    return n;
  }

  /**
   * Sends `carom.ask` to one connection and resolves with its answer. Throws
   * a `UsageError` for a connection that did not negotiate the `carom`
   * subprotocol (a bounce-ws client would never answer), a bad timeout or data
   * that is not JSON; rejects with an {@link AskError} otherwise.
   */
  ask(session: Session, event: string, data: unknown, options: AskOptions = {}): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? this.limits.timeoutMs;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw appError('CAROM_ERR_BAD_ARGUMENT', 'ask', 'timeoutMs', 'a positive number', timeoutMs);
    }
    if (session.peer.protocol !== 'carom') {
      throw appError('CAROM_ERR_ASK_UNSUPPORTED', session.connection.id, event);
    }
    if (!session.open) {
      return Promise.reject(new AskError('ASK_CLOSED', `${session.connection.id} is closed`));
    }
    let waiting = this.bySession.get(session);
    if (waiting !== undefined && waiting.size >= this.limits.maxPending) {
      return Promise.reject(
        new AskError(
          'ASK_LIMIT',
          `${session.connection.id} already has ${waiting.size} requests waiting for an answer`,
        ),
      );
    }
    const ask = this.nextAsk++;
    const frame = this.publisher.frame(ASK, { ask, event, data });
    if (waiting === undefined) this.bySession.set(session, (waiting = new Map<number, Pending>()));
    const store = waiting;
    return new Promise<unknown>((resolve, reject) => {
      const pending: Pending = { session, ask, event, resolve, reject, timer: undefined };
      pending.timer = this.clock.setTimeout(() => {
        this.forget(pending);
        reject(new AskError('ASK_TIMEOUT', `no answer to '${event}' within ${timeoutMs} ms`));
      }, timeoutMs);
      store.set(ask, pending);
      session.write(frame);
    });
  }

  /** A `carom.answer` from a client: settles its request, or tells the client why not. */
  answer(session: Session, envelope: InboundEnvelope): void {
    const answer = readAnswer(envelope.data);
    if (typeof answer === 'string') {
      this.replies.error(session, new CaromError(ErrorCode.BAD_ENVELOPE, answer), envelope);
      return;
    }
    const pending = this.bySession.get(session)?.get(answer.ask);
    if (pending === undefined) {
      // Late (after its timeout), repeated, or made up: the client is told, the server moves on.
      const error = new CaromError(
        ErrorCode.BAD_ENVELOPE,
        `no request ${answer.ask} is waiting for an answer`,
        { ask: answer.ask },
      );
      this.replies.error(session, error, envelope);
      return;
    }
    this.clock.clearTimeout(pending.timer);
    this.forget(pending);
    if (answer.ok) pending.resolve(answer.data);
    else {
      pending.reject(
        new AskError(
          'ASK_FAILED',
          `the client answered '${pending.event}' with ${answer.code}: ${answer.message}`,
          answer.code,
        ),
      );
    }
  }

  /** The connection closed: every request it had waiting fails with `ASK_CLOSED`. */
  closed(session: Session): void {
    const waiting = this.bySession.get(session);
    if (waiting === undefined) return;
    this.bySession.delete(session);
    for (const pending of waiting.values()) {
      this.clock.clearTimeout(pending.timer);
      pending.reject(
        new AskError('ASK_CLOSED', `${session.connection.id} closed before answering`),
      );
    }
  }

  private forget(pending: Pending): void {
    const waiting = this.bySession.get(pending.session);
    if (waiting?.delete(pending.ask) && waiting.size === 0) this.bySession.delete(pending.session);
  }
}
