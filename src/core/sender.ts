import type { Connection } from './connection.js';
import { appError } from './errors.js';
import type { PublishOptions } from './publish-options.js';

/** How a sender reaches the app it was registered with. */
export interface SenderBinding {
  readonly event: string;
  publish(data: unknown, options?: PublishOptions): number;
  sendTo(connection: Connection | string, data: unknown): boolean;
  subscriberCount(): number;
}

/** Where the app keeps a sender's binding; a symbol keeps it off the public surface. */
export const kBinding = Symbol('carom.binding');

/**
 * A type-only key: senders declare their payload type under it, as a function
 * of it in and out, so that a typed `@Topic` (see `eventMap`) holds a sender
 * class to exactly the payload the event map gives. Nothing is stored there.
 */
export declare const kPayload: unique symbol;

/**
 * Base class of a sender: decorate the subclass with `@Topic('event')`. Its
 * `send` publishes to every subscriber of that event. Inject it into handlers
 * through their constructors.
 *
 * @typeParam T - the payload type of the event.
 */
export abstract class Sender<T = unknown> {
  /** @internal */
  [kBinding]: SenderBinding | undefined;
  /** @internal Type only: the payload, for the typed `@Topic`'s check. */
  declare readonly [kPayload]?: (data: T) => T;

  /**
   * Publishes one event to every subscriber and resolves to how many
   * connections it was sent to. Without `data`, publishes what
   * `createMessageData()` returns. `options` sends it to several topics'
   * subscribers at once, or to all but one connection ({@link PublishOptions}).
   */
  send(data?: T, options?: PublishOptions): Promise<number> {
    // The common case stays off the async machinery: publish now, resolve with the count.
    // Every failure (not registered, unserializable data) is a rejection, never a throw.
    try {
      const binding = this.binding();
      if (data !== undefined) return Promise.resolve(binding.publish(data, options));
      // `undefined` from createMessageData means "nothing to send", as for a timed tick.
      return Promise.resolve(this.createMessageData()).then((made) =>
        made === undefined ? 0 : binding.publish(made, options),
      );
    } catch (err) {
      // What createMessageData threw, passed on as it is: the caller decides what it means.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(err);
    }
  }

  /**
   * Sends the event to one connection, subscribed or not. False when it is
   * closed. Given a connection id instead, it reaches the connection on
   * whichever node holds it, and returns true once the frame is on its way
   * (relayed at most once).
   */
  sendTo(connection: Connection | string, data: T): boolean {
    return this.binding().sendTo(connection, data);
  }

  /** The event this sender publishes. */
  get event(): string {
    return this.binding().event;
  }

  /** How many connections would receive a publish now. */
  get subscriberCount(): number {
    return this.binding().subscriberCount();
  }

  /**
   * The data `send()` publishes when called without an argument, and what a
   * `TimedSender` publishes each tick. May be async. `undefined` publishes
   * nothing (the tick is skipped, `send()` resolves 0); `null` is published.
   */
  createMessageData(): T | undefined | Promise<T | undefined> {
    throw appError('CAROM_ERR_NO_MESSAGE_DATA', this.constructor.name);
  }

  private binding(): SenderBinding {
    const binding = this[kBinding];
    if (!binding) {
      throw appError('CAROM_ERR_SENDER_NOT_REGISTERED', this.constructor.name);
    }
    return binding;
  }
}

/**
 * A sender that publishes `createMessageData()` periodically while the app
 * runs: `@Topic('clock', { everyMs: 1000 })`. A tick is skipped when nobody is
 * subscribed or `createMessageData()` returns `undefined`; ticks never
 * overlap; a tick that throws is logged and the next one runs on time.
 */
export abstract class TimedSender<T = unknown> extends Sender<T> {
  /**
   * The period in ms, when the instance sets it (in its constructor, from
   * injected configuration, or as a field); it wins over `@Topic`'s `everyMs`.
   * Read once, when the app is built.
   */
  everyMs?: number;

  abstract override createMessageData(): T | undefined | Promise<T | undefined>;
}
