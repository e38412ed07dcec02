import 'reflect-metadata';
import type { DeliveryOptions } from './delivery.js';
import type { HistoryDeclaration } from './history-policies.js';
import type { DtoClass } from './validation.js';
import type { Interceptor } from './interceptors.js';
import type { MessageGuard } from './options.js';

/**
 * Metadata keys and readers. Decorators only write here; the core's registry
 * reads it once, when the app is built, and never per message. It lives in the
 * core because the reader owns the format: decorators import it, the core
 * never imports a decorator.
 */

/** Options of `@On`. */
export interface OnOptions {
  /**
   * The payload's DTO class; overrides the type read from the handler's
   * parameter. `false` says the handler takes payloads unvalidated on purpose.
   */
  readonly dto?: DtoClass | false;
  /**
   * This handler's own guard, run after the app's `canHandle` and before any
   * handler of the event: `true` (or a promise of it) lets the envelope
   * through, `false` answers `FORBIDDEN`, anything else is refused as well and logged.
   */
  readonly guard?: MessageGuard;
  /** Interceptors around this handler, inside the app's `interceptors`. */
  readonly interceptors?: readonly Interceptor[];
  /** This handler's timeout in ms, instead of the app's `handlerTimeoutMs`; 0 is none. */
  readonly timeoutMs?: number;
  /**
   * The class of the ack's data, for `app.asyncapi()`: the document describes
   * the ack with its schema. Not checked at run time.
   */
  readonly ack?: DtoClass;
}

/**
 * Options of `@Topic`; `delivery` and `key` say what a backlogged connection
 * gets (see {@link DeliveryOptions}), `history` what a client that comes back
 * can recover (see {@link HistoryDeclaration}).
 */
export interface TopicOptions extends DeliveryOptions, HistoryDeclaration {
  /** For a `TimedSender`: publish every this many milliseconds. */
  readonly everyMs?: number;
  /**
   * For a `TimedSender` of an app on several nodes: run on one node at a time
   * (holding a lease through the broker) and publish to every node's
   * subscribers, instead of on every node for its own subscribers. If the
   * holder stops, another node takes over within two periods and a second.
   */
  readonly onOneNode?: boolean;
  /**
   * The class of the data this topic carries, for `app.asyncapi()`: the
   * document describes the event with its schema. Not checked when publishing.
   */
  readonly dto?: DtoClass;
}

/** One `@On` found on a class (`method` is `handle`) or on a method of a controller. */
export interface HandlerMetadata {
  readonly event: string;
  readonly method: string | symbol;
  readonly options: OnOptions;
  /** True for `@On` on a class (its `handle`), false for `@On` on a method. */
  readonly onClass: boolean;
}

/** The `@Topic` of a sender class. */
export interface TopicMetadata {
  readonly event: string;
  readonly options: TopicOptions;
}

export const HANDLERS = Symbol('carom:handlers');
export const TOPIC = Symbol('carom:topic');
export const CONNECT_HOOKS = Symbol('carom:connect');
export const DISCONNECT_HOOKS = Symbol('carom:disconnect');
export const INJECTABLE = Symbol('carom:injectable');

/** Appends to a list kept on `target` itself (not inherited from a parent class). */
export function appendOwn<T>(key: symbol, target: object, item: T): void {
  const own = (Reflect.getOwnMetadata(key, target) as T[] | undefined) ?? [];
  Reflect.defineMetadata(key, [...own, item], target);
}

/** A list from `target` and its prototype chain, parents first. */
export function readAll<T>(key: symbol, target: object): T[] {
  const chain: object[] = [];
  for (let t: object | null = target; t && t !== Object.prototype && t !== Function.prototype;) {
    chain.unshift(t);
    t = Object.getPrototypeOf(t) as object | null;
  }
  return chain.flatMap((t) => (Reflect.getOwnMetadata(key, t) as T[] | undefined) ?? []);
}

/** The `@Topic` of a class, if any (inherited from a parent class when not its own). */
export function readTopic(cls: object): TopicMetadata | undefined {
  return Reflect.getMetadata(TOPIC, cls) as TopicMetadata | undefined;
}
