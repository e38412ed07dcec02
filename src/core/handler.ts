import type { Context } from './context.js';

/**
 * Base class of a handler class: decorate the subclass with `@On('event')` and
 * implement `handle`. What `handle` returns (or resolves to) is the `ack`'s
 * data when the client sent an `id`.
 *
 * @typeParam T - the payload type (a DTO class validates it).
 * @typeParam R - what `handle` returns.
 */
export abstract class Handler<T = unknown, R = unknown> {
  /**
   * Handles one envelope. Throw `ClientError` to answer with your own message.
   * `ctx` may be declared as `Context<User, Events, Assigns>` to type its connection.
   */
  abstract handle(data: T, ctx: Context<any, any, any>): R | Promise<R>;
}
