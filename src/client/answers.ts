/**
 * Answers to the server's requests (`carom.ask`, the server's
 * `connection.ask`): the handlers registered with `client.answer`, and the
 * reading of what the server asks. Everything the server sends is untrusted:
 * a request that is not the protocol's shape is reported and not answered.
 */
import { ClientErrorCode } from './codes.js';
import { messageOf, type ServerError } from './errors.js';
import { encodeFrame, isObject } from './frame.js';
import { ANSWER } from './names.js';

/** The code of an error answer: no handler is registered for the event. */
export const NO_ANSWER = 'NO_ANSWER';
/** The code of an error answer: the handler threw, rejected, or returned what is not JSON. */
export const ANSWER_FAILED = 'ANSWER_FAILED';
/** Longest message of an error answer, in characters. */
const MAX_MESSAGE = 200;

/** A request from the server, as read: its number, event and payload. */
export interface Asked {
  readonly ask: number;
  readonly event: string;
  readonly data: unknown;
}

/**
 * Reads the data of a `carom.ask`, or says why it is not one. Never throws.
 */
export function readAsked(data: unknown): Asked | string {
  if (!isObject(data)) return 'a carom.ask whose data is not an object';
  const { ask, event } = data;
  if (typeof ask !== 'number' || !Number.isSafeInteger(ask) || ask < 1) {
    return 'a carom.ask without a positive integer "ask"';
  }
  if (typeof event !== 'string' || event.length === 0) {
    return 'a carom.ask without an event name';
  }
  return { ask, event, data: data.data };
}

/** A handler that answers one event's requests; may be async. */
export type Answerer = (data: any) => unknown;

/** The client's answering handlers, one per event. */
export class Answers {
  private readonly byEvent = new Map<string, Answerer>();

  /** Registers the answerer of `event`, replacing any earlier one; returns a function that removes it. */
  set(event: string, fn: Answerer): () => void {
    this.byEvent.set(event, fn);
    return () => {
      if (this.byEvent.get(event) === fn) this.byEvent.delete(event);
    };
  }

  /**
   * A `carom.ask` arrived: runs its answerer and hands the answer's frame to
   * `send` (which drops it if the connection that asked is gone). A request
   * with no answerer is answered `NO_ANSWER`, so that the server need not
   * wait for its timeout; what an answerer throws is answered
   * `ANSWER_FAILED` and reported to `report` as well.
   */
  asked(data: unknown, send: (frame: string) => void, report: (error: ServerError) => void): void {
    const asked = readAsked(data);
    if (typeof asked === 'string') {
      report({
        code: ClientErrorCode.BAD_FRAME,
        message: `the server sent ${asked}; it was ignored`,
      });
      return;
    }
    const fn = this.byEvent.get(asked.event);
    if (fn === undefined) {
      send(errorAnswer(asked.ask, NO_ANSWER, `no answer is registered for '${asked.event}'`));
      return;
    }
    new Promise<unknown>((resolve) => resolve(fn(asked.data)))
      .then((value) =>
        encodeFrame(ANSWER, { ask: asked.ask, data: value === undefined ? null : value }),
      )
      .then(send, (err: unknown) => {
        report({
          code: ClientErrorCode.LISTENER_ERROR,
          message: `the answer to '${asked.event}' failed: ${messageOf(err)}`,
          event: asked.event,
          details: err,
        });
        send(errorAnswer(asked.ask, ANSWER_FAILED, messageOf(err)));
      })
      .catch((err: unknown) => {
        report({
          code: ClientErrorCode.LISTENER_ERROR,
          message: `the answer to '${asked.event}' could not be sent: ${messageOf(err)}`,
          event: asked.event,
        });
      });
  }
}

function errorAnswer(ask: number, code: string, message: string): string {
  return encodeFrame(ANSWER, { ask, error: { code, message: message.slice(0, MAX_MESSAGE) } });
}
