import {
  encodeAck,
  encodeError,
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
    const { id, event } = to;
    const obs = this.parts.observer;
    if (id === undefined || !session.open) {
      if (obs !== undefined) obs.answered(to, undefined);
      return;
    }
    let json: string;
    try {
      json = toJson(value);
    } catch (err) {
      this.parts.logger.error(
        `the reply to '${event}' (request ${String(id)}) is not JSON: ${describe(err)}`,
      );
      this.error(session, FAILED, to);
      return;
    }
    session.write(new Frame(encodeAck(id, json, this.stamp())));
    if (obs !== undefined) obs.answered(to, undefined);
  }

  /**
   * Sends an error envelope: a `CaromError`, or a decoder's rejection, which is
   * plain data. `to` is undefined when nothing of the frame could be read.
   */
  error(session: Session, error: ErrorReply, to: Addressee | undefined): void {
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

  private stamp(): string {
    return this.parts.timestamps.write(this.parts.clock.now());
  }
}
