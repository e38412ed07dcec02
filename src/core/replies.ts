import {
  encodeAck,
  encodeError,
  encodeErrorData,
  encodeErrorFromData,
  toJson,
  type EnvelopeId,
  type ErrorReply,
} from '../protocol/envelope.js';
import { ErrorCode } from '../protocol/errors.js';
import { CaromError } from './errors.js';
import { Frame } from '../protocol/frame.js';
import type { TimestampWriter } from '../protocol/timestamp.js';
import type { Clock } from './clock.js';
import { describe, errorFor, type ErrorClass } from './guard.js';
import type { CaromLogger } from './logger.js';
import type { CaromObserver } from './observer.js';
import type { FirstAnswer } from './once.js';
import type { OnceGate } from './once-gate.js';
import type { HandlerEntry } from './registry.js';
import type { Session } from './session.js';

/** What a reply answers: the id and event of a client's envelope, as far as they are known. */
export interface Addressee {
  readonly id: EnvelopeId | undefined;
  readonly event: string | undefined;
}

/** An envelope that was read: its event is known. */
interface Request extends Addressee {
  readonly event: string;
}

/** What replies need from the app. */
export interface ReplyParts {
  readonly clock: Clock;
  readonly timestamps: TimestampWriter;
  readonly logger: CaromLogger;
  readonly exposeErrors: readonly ErrorClass[];
  /** Metrics and traces; undefined when nothing observes. */
  readonly observer?: CaromObserver | undefined;
  /** Keyed envelopes handled once: told every answer of one it holds. Undefined when off. */
  readonly once?: OnceGate | undefined;
}

const FAILED = new CaromError(ErrorCode.HANDLER_ERROR, 'the handler failed');

/**
 * The one way out for replies: `ack` and `error` envelopes, and the mapping
 * from whatever application code threw to an error the client may see. None of
 * these methods throws, and every frame they write is valid JSON: a value that
 * cannot be serialized is answered `HANDLER_ERROR` and logged.
 */
export class Replies {
  constructor(private readonly parts: ReplyParts) {}

  /** Answers a request with the handler's value; nothing is sent without an id. */
  ack(session: Session, to: Request, value: unknown): void {
    const once = this.parts.once;
    if (once !== undefined && once.holding !== 0 && once.holds(to)) {
      this.ackHeld(session, to, value, once);
      return;
    }
    const { id } = to;
    const obs = this.parts.observer;
    if (id === undefined || !session.open) {
      if (obs !== undefined) obs.answered(to, undefined);
      return;
    }
    const json = this.jsonOf(session, to, id, value);
    if (json === undefined) return;
    session.write(new Frame(encodeAck(id, json, this.stamp())));
    if (obs !== undefined) obs.answered(to, undefined);
  }

  /**
   * Sends an error envelope: a `CaromError`, or a decoder's rejection, which is
   * plain data. `to` is undefined when nothing of the frame could be read.
   */
  error(session: Session, error: ErrorReply, to: Addressee | undefined): void {
    const once = this.parts.once;
    if (to !== undefined && once !== undefined && once.holding !== 0 && once.holds(to)) {
      const json = encodeErrorData(error, to.event);
      once.answered(to, { kind: 'error', json }, error.code);
      this.sendError(session, error.code, json, to);
      return;
    }
    this.parts.logger.debug(`${error.code} to ${session.connection.id}: ${error.message}`);
    // encodeError never throws: details that cannot be serialized are left out.
    session.write(new Frame(encodeError(error, to?.id, to?.event, this.stamp())));
    const obs = this.parts.observer;
    if (obs !== undefined) {
      obs.errorSent(error.code);
      if (to !== undefined) obs.answered(to, error.code);
    }
  }

  /**
   * Answers with what a handler, guard or validator threw. Errors the
   * application did not mean clients to see are logged, naming the handler
   * (`entry`) or, for a guard or validator, the event; the client gets a
   * generic message.
   */
  failure(session: Session, to: Request, entry: HandlerEntry | undefined, err: unknown): void {
    const { error, unexpected } = errorFor(err, this.parts.exposeErrors);
    if (unexpected) {
      const where = entry ? entry.name : `'${to.event}'`;
      this.parts.logger.error(`${where} threw while handling '${to.event}'`, err);
    }
    this.error(session, error, to);
  }

  /**
   * Answers a repeat of a keyed envelope with the first answer, under the
   * repeat's own id; a repeat without an id (an emit) gets nothing.
   */
  replay(session: Session, to: Request, answer: FirstAnswer): void {
    if (to.id === undefined || !session.open) {
      this.parts.observer?.answered(to, undefined);
      return;
    }
    if (answer.kind === 'ack') {
      session.write(new Frame(encodeAck(to.id, answer.json, this.stamp())));
      this.parts.observer?.answered(to, undefined);
      return;
    }
    this.sendError(session, codeIn(answer.json), answer.json, to);
  }

  /** `ack` for an envelope whose key is held: its answer is told to the gate, connection open or not. */
  private ackHeld(session: Session, to: Request, value: unknown, once: OnceGate): void {
    const { id } = to;
    if (id === undefined) {
      once.answered(to, undefined, undefined);
      this.parts.observer?.answered(to, undefined);
      return;
    }
    const json = this.jsonOf(session, to, id, value);
    if (json === undefined) return;
    once.answered(to, { kind: 'ack', json }, undefined);
    if (session.open) session.write(new Frame(encodeAck(id, json, this.stamp())));
    this.parts.observer?.answered(to, undefined);
  }

  /** The reply's value as JSON, or `undefined` once it was answered `HANDLER_ERROR` instead (logged). */
  private jsonOf(
    session: Session,
    to: Request,
    id: EnvelopeId,
    value: unknown,
  ): string | undefined {
    try {
      return toJson(value);
    } catch (err) {
      this.parts.logger.error(
        `the reply to '${to.event}' (request ${String(id)}) is not JSON: ${describe(err)}`,
      );
      this.error(session, FAILED, to);
      return undefined;
    }
  }

  /** An `error` envelope whose data is already serialized. */
  private sendError(session: Session, code: string, dataJson: string, to: Addressee): void {
    this.parts.logger.debug(`${code} to ${session.connection.id} (a keyed envelope)`);
    session.write(new Frame(encodeErrorFromData(dataJson, to.id, this.stamp())));
    const obs = this.parts.observer;
    if (obs !== undefined) {
      obs.errorSent(code);
      obs.answered(to, code);
    }
  }

  private stamp(): string {
    return this.parts.timestamps.write(this.parts.clock.now());
  }
}

/** The `code` of an error's data remembered as JSON text; `HANDLER_ERROR` if it cannot be read. */
function codeIn(dataJson: string): string {
  try {
    const code: unknown = (JSON.parse(dataJson) as { code?: unknown }).code;
    return typeof code === 'string' ? code : ErrorCode.HANDLER_ERROR;
  } catch {
    return ErrorCode.HANDLER_ERROR;
  }
}
