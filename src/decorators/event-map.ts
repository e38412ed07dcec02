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
  <
    C extends abstract new (...args: any[]) => {
      handle(data: T, ctx: any): Ack<R> | Promise<Ack<R>>;
    },
  >(
    target: C,
  ): void;
  <D extends (data: T, ctx: any) => Ack<R> | Promise<Ack<R>>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<D>,
  ): void;
}

/** What a handler may return for an ack of `R`: nothing at all when the map gives no ack (`null`). */
export type Ack<R> = [R] extends [null] ? R | void : R;

/** What a typed `@Topic(K)` accepts: a sender, or a family sender for a `prefix.*` key, of `K`'s payload. */
export type PublisherOf<K extends string, T> = K extends `${string}.*`
  ? { readonly [kPayload]?: (data: T) => T; to(member: MemberOf<K>): unknown }
  : { readonly [kPayload]?: (data: T) => T; send(data?: T, ...rest: never[]): unknown };

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
