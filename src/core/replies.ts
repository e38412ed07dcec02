import { encodeAck, encodeError, toJson, type EnvelopeId } from '../protocol/envelope.js';
import { ErrorCode } from '../protocol/errors.js';
import { CaromError } from './errors.js';
import { Frame } from '../protocol/frame.js';
import type { TimestampWriter } from '../protocol/timestamp.js';
import type { Clock } from './clock.js';
import { describe, errorFor, type ErrorClass } from './guard.js';
import type { CaromLogger } from './logger.js';
import type { Session } from './session.js';

/** What replies need from the app. */
export interface ReplyParts {
  readonly clock: Clock;
  readonly timestamps: TimestampWriter;
  readonly logger: CaromLogger;
  readonly exposeErrors: readonly ErrorClass[];
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
  ack(session: Session, id: EnvelopeId | undefined, event: string, value: unknown): void {
    if (id === undefined || !session.open) return;
    let json: string;
    try {
      json = toJson(value);
    } catch (err) {
      this.parts.logger.error(
        `the reply to '${event}' (request ${String(id)}) is not JSON: ${describe(err)}`,
      );
      this.error(session, FAILED, id, event);
      return;
    }
    session.write(new Frame(encodeAck(id, json, this.stamp())));
  }

  /** Sends an error envelope. */
  error(
    session: Session,
    error: CaromError,
    id: EnvelopeId | undefined,
    event: string | undefined,
  ): void {
    this.parts.logger.debug(`${error.code} to ${session.connection.id}: ${error.message}`);
    // encodeError never throws: details that cannot be serialized are left out.
    session.write(new Frame(encodeError(error, id, event, this.stamp())));
  }

  /**
   * Answers with what a handler, guard, hook or validator threw. Errors the
   * application did not mean clients to see are logged with `where`, and the
   * client gets a generic message.
   */
  failure(
    session: Session,
    id: EnvelopeId | undefined,
    event: string,
    where: string,
    err: unknown,
  ): void {
    const { error, unexpected } = errorFor(err, this.parts.exposeErrors);
    if (unexpected) this.parts.logger.error(`${where} threw while handling '${event}'`, err);
    this.error(session, error, id, event);
  }

  private stamp(): string {
    return this.parts.timestamps.write(this.parts.clock.now());
  }
}
