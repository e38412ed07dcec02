import type {
  AckData,
  EventMapOf,
  MemberOf,
  ReceivableEvent,
  ReceiveData,
  SendableEvent,
  SendData,
} from '../protocol/event-map.js';
import type { OnOptions, TopicOptions } from '../core/metadata.js';
import type { kPayload } from '../core/sender.js';
import { On } from './on.js';
import { Topic } from './topic.js';

/**
 * `@On`, typed by an event map: on a class, its `handle` must take the
 * event's `send` payload and return its `ack`; on a method, that method must.
 */
export interface TypedOn<T, R> {
  /**
   * On a handler class: its `handle` must take `T` and return `R`.
   *
   * @typeParam C - the decorated class.
   */
  <C extends abstract new (...args: any[]) => HandlerOf<T, R>>(target: C): void;
  /**
   * On a method: the method must take `T` and return `R`.
   *
   * @typeParam D - the decorated method's type.
   */
  <D extends (data: T, ctx: any) => Ack<R> | Promise<Ack<R>>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<D>,
  ): void;
}

/** A handler class's instance, as a typed `@On` checks it. */
export interface HandlerOf<T, R> {
  /** Takes the event's `send` payload and returns its `ack`. */
  handle(data: T, ctx: any): Ack<R> | Promise<Ack<R>>;
}

/** What a typed `@Topic` checks of a sender: its payload type, under a type-only key. */
export interface PayloadOf<T> {
  /** Type only: the payload, in and out, so that it must match exactly. */
  readonly [kPayload]?: (data: T) => T;
}

/** A sender of one event, as a typed `@Topic` checks it. */
export interface SenderOf<T> extends PayloadOf<T> {
  /** Publishes `T`. */
  send(data?: T, ...rest: never[]): unknown;
}

/** A family sender, as a typed `@Topic` checks it. */
export interface FamilySenderOf<K extends string, T> extends PayloadOf<T> {
  /** The sender of one member of the family `K`. */
  to(member: MemberOf<K>): unknown;
}

/** What a handler may return for an ack of `R`: nothing at all when the map gives no ack (`null`). */
export type Ack<R> = [R] extends [null] ? R | void : R;

/** What a typed `@Topic(K)` accepts: a sender, or a family sender for a `prefix.*` key, of `K`'s payload. */
export type PublisherOf<K extends string, T> = K extends `${string}.*`
  ? FamilySenderOf<K, T>
  : SenderOf<T>;

/** `@On` and `@Topic` typed by one event map; see {@link eventMap}. */
export interface TypedDecorators<M extends EventMapOf<M>> {
  /** `@On(event)`, with the handler checked against the map's `send` and `ack` of `event`. */
  On<K extends SendableEvent<M>>(
    event: K,
    options?: OnOptions,
  ): TypedOn<SendData<M, K>, AckData<M, K>>;
  /**
   * `@Topic(event)`, with the sender checked against the map's `receive` of
   * `event`: a `Sender<T>` (or `TimedSender<T>`) for an exact key, a
   * `FamilySender<T>` for a family key (`auction.*`), `T` exactly the payload.
   */
  Topic<K extends ReceivableEvent<M>>(
    event: K,
    options?: TopicOptions,
  ): (target: abstract new (...args: any[]) => PublisherOf<K, ReceiveData<M, K>>) => void;
}

/**
 * The decorators typed by an event map, the one the client takes too: a wrong
 * event name, payload, ack or sender type does not compile. At run time they
 * are `@On` and `@Topic` themselves.
 *
 * ```ts
 * const { On, Topic } = eventMap<Chat>();
 * @On('chat') class ChatHandler extends Handler<SendData<Chat, 'chat'>, AckData<Chat, 'chat'>> { ... }
 * @Topic('clock') class ClockSender extends Sender<ReceiveData<Chat, 'clock'>> {}
 * ```
 */
export function eventMap<M extends EventMapOf<M>>(): TypedDecorators<M> {
  const decorators: unknown = { On, Topic };
  return decorators as TypedDecorators<M>;
}
