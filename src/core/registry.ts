import 'reflect-metadata';
import {
  CONNECT_HOOKS,
  DISCONNECT_HOOKS,
  HANDLERS,
  readAll,
  type HandlerMetadata,
} from '../decorators/metadata.js';
import { ConfigurationError } from '../protocol/errors.js';
import type { Connection } from './connection.js';
import { isApplicationClass } from './container.js';
import type { Context } from './context.js';
import type { DtoClass } from './validation.js';

/** One handler of one event, resolved once when the app is built. */
export interface HandlerEntry {
  /** `ClassName.method`, for logs. */
  readonly name: string;
  /** The handler, bound to its instance. */
  readonly invoke: (data: unknown, ctx: Context) => unknown;
  /** The payload's DTO, when there is one. */
  readonly dto: DtoClass | undefined;
}

/** A connect or disconnect hook, bound to its instance. */
export interface LifecycleHook {
  readonly name: string;
  readonly invoke: (connection: Connection) => unknown;
}

function dtoOf(instance: object, meta: HandlerMetadata): DtoClass | undefined {
  if (meta.options.dto) return meta.options.dto;
  const types = Reflect.getMetadata('design:paramtypes', instance, meta.method) as
    unknown[] | undefined;
  const first = types?.[0];
  return isApplicationClass(first) ? (first as DtoClass) : undefined;
}

function bindMethod(instance: object, method: string | symbol, what: string) {
  const fn = (instance as Record<string | symbol, unknown>)[method];
  const name = `${instance.constructor.name}.${String(method)}`;
  if (typeof fn !== 'function') {
    throw new ConfigurationError(`${what} ${name} is not a method`);
  }
  return { name, fn: fn.bind(instance) as (...args: unknown[]) => unknown };
}

/**
 * The dispatch table: event name to handlers, plus lifecycle hooks. Built by
 * reading the decorators' metadata once; nothing is reflected per message.
 */
export class Registry {
  readonly handlers = new Map<string, HandlerEntry[]>();
  readonly connectHooks: LifecycleHook[] = [];
  readonly disconnectHooks: LifecycleHook[] = [];

  /** Adds every `@On`, `@OnConnect` and `@OnDisconnect` of an instance. Returns how many it found. */
  add(instance: object): number {
    const proto = Object.getPrototypeOf(instance) as object;
    const metas = readAll<HandlerMetadata>(HANDLERS, proto);
    for (const meta of metas) {
      const { name, fn } = bindMethod(instance, meta.method, `@On('${meta.event}') handler`);
      const entry: HandlerEntry = { name, invoke: fn, dto: dtoOf(instance, meta) };
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
