import 'reflect-metadata';
import {
  CONNECT_HOOKS,
  DISCONNECT_HOOKS,
  HANDLERS,
  readAll,
  type HandlerMetadata,
} from './metadata.js';
import { appError } from './errors.js';
import type { Connection } from './connection.js';
import { isApplicationClass } from './container.js';
import type { Context } from './context.js';
import type { DtoClass } from './validation.js';
import { handlerOptions } from './handler-options.js';
import { intercept, type Interceptor } from './interceptors.js';
import type { CaromLogger } from './logger.js';
import type { MessageGuard } from './options.js';

/** One handler of one event, resolved once when the app is built. */
export interface HandlerEntry {
  /** `ClassName.method`, for logs. */
  readonly name: string;
  /** The handler, bound to its instance. */
  readonly invoke: (data: unknown, ctx: Context) => unknown;
  /** The payload's DTO, when there is one. */
  readonly dto: DtoClass | undefined;
  /** The handler's own guard (`@On(event, { guard })`). */
  readonly guard: MessageGuard | undefined;
  /** Its timeout in ms (its own or the app's); 0 is none. */
  readonly timeoutMs: number;
  /** The class of the ack's data, when `@On` names it (`ack`). */
  readonly ack: DtoClass | undefined;
}

/** What the registry needs from the app's options. */
export interface RegistryOptions {
  /** The app's interceptors, around every handler. */
  readonly interceptors: readonly Interceptor[];
  /** The app's handler timeout; 0 is none. */
  readonly handlerTimeoutMs: number;
  /** Where misused interceptors are reported. */
  readonly logger: CaromLogger;
}

/** A connect or disconnect hook, bound to its instance. */
export interface LifecycleHook {
  readonly name: string;
  readonly invoke: (connection: Connection) => unknown;
}

/**
 * The DTO of a handler, or why it cannot be known. carom reads it from the
 * parameter's type (`design:paramtypes`) unless `@On` names it, so a build
 * without decorator metadata would silently skip validation: that is refused.
 */
function dtoOf(
  instance: object,
  meta: HandlerMetadata,
  name: string,
  fn: (...args: unknown[]) => unknown,
): { dto: DtoClass | undefined; unvalidated: boolean } {
  const given = meta.options.dto;
  if (given === false) return { dto: undefined, unvalidated: false };
  if (given !== undefined) {
    if (!isApplicationClass(given)) {
      throw appError('CAROM_ERR_BAD_DTO', meta.event, name);
    }
    return { dto: given, unvalidated: false };
  }
  const types = Reflect.getMetadata('design:paramtypes', instance, meta.method) as
    unknown[] | undefined;
  // A handler that declares no parameter never reads its payload. The recorded types
  // decide when there are some: `fn.length` does not count a parameter with a default.
  if (types === undefined ? fn.length === 0 : types.length === 0) {
    return { dto: undefined, unvalidated: false };
  }
  if (types === undefined) {
    throw appError('CAROM_ERR_PAYLOAD_TYPE_UNKNOWN', name, meta.event, meta.onClass);
  }
  const first = types[0];
  if (isApplicationClass(first)) return { dto: first as DtoClass, unvalidated: false };
  return { dto: undefined, unvalidated: true };
}

function bindMethod(instance: object, method: string | symbol, what: string) {
  const fn = (instance as Record<string | symbol, unknown>)[method];
  const name = `${instance.constructor.name}.${String(method)}`;
  if (typeof fn !== 'function') {
    throw appError('CAROM_ERR_NOT_A_METHOD', what, name);
  }
  return { name, fn: (fn as (...args: unknown[]) => unknown).bind(instance) };
}

/**
 * The dispatch table: event name to handlers, plus lifecycle hooks. Built by
 * reading the decorators' metadata once; nothing is reflected per message.
 */
export class Registry {
  readonly handlers = new Map<string, HandlerEntry[]>();
  readonly connectHooks: LifecycleHook[] = [];
  readonly disconnectHooks: LifecycleHook[] = [];
  /** Handlers that take a payload with no DTO, named `Class.method`. */
  readonly unvalidated: string[] = [];

  constructor(private readonly options: RegistryOptions) {}

  /** Adds every `@On`, `@OnConnect` and `@OnDisconnect` of an instance. Returns how many it found. */
  add(instance: object): number {
    const proto = Object.getPrototypeOf(instance) as object;
    const metas = readAll<HandlerMetadata>(HANDLERS, proto);
    for (const meta of metas) {
      const { name, fn } = bindMethod(instance, meta.method, `@On('${meta.event}') handler`);
      const { dto, unvalidated } = dtoOf(instance, meta, name, fn);
      if (unvalidated) this.unvalidated.push(`${name} ('${meta.event}')`);
      const ack = meta.options.ack;
      if (ack !== undefined && !isApplicationClass(ack)) {
        throw appError('CAROM_ERR_BAD_ACK', meta.event, name);
      }
      const own = handlerOptions(meta, name);
      const interceptors = [...this.options.interceptors, ...own.interceptors];
      const entry: HandlerEntry = {
        name,
        invoke: intercept(fn, name, interceptors, this.options.logger),
        dto,
        ack,
        guard: own.guard,
        timeoutMs: own.timeoutMs ?? this.options.handlerTimeoutMs,
      };
      const list = this.handlers.get(meta.event);
      if (list) list.push(entry);
      else this.handlers.set(meta.event, [entry]);
    }
    const hooks: Array<[symbol, LifecycleHook[], string]> = [
      [CONNECT_HOOKS, this.connectHooks, '@OnConnect'],
      [DISCONNECT_HOOKS, this.disconnectHooks, '@OnDisconnect'],
    ];
    let found = metas.length;
    for (const [key, into, what] of hooks) {
      for (const method of readAll<string | symbol>(key, proto)) {
        const { name, fn } = bindMethod(instance, method, what);
        into.push({ name, invoke: fn });
        found++;
      }
    }
    return found;
  }
}
