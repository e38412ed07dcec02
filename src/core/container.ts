import 'reflect-metadata';
import { appError } from './errors.js';

/** Any class. */
export type Class<T = object> = abstract new (...args: any[]) => T;

/**
 * Types TypeScript records for parameters that are not application classes:
 * primitives' wrappers, `Object` for interfaces and type-only imports, and the
 * built-in collections. They are neither injectable nor DTOs.
 */
const BUILT_IN_TYPES = new Set<unknown>([
  Object,
  String,
  Number,
  Boolean,
  Array,
  Function,
  Promise,
  Map,
  Set,
  Date,
]);

/** True for a class of the application's own (not a built-in type, not undefined). */
export function isApplicationClass(value: unknown): value is Class {
  return isClass(value) && !BUILT_IN_TYPES.has(value);
}

/** A ready value standing in for a class: `{ provide: Clock, useValue: fakeClock }`. */
export interface ValueProvider<T extends object = object> {
  /** The class constructors ask for. */
  readonly provide: Class<T>;
  /** What they get instead of an instance the app would make. */
  readonly useValue: T;
}

function isValueProvider(value: unknown): value is ValueProvider {
  return (
    typeof value === 'object' &&
    value !== null &&
    'provide' in value &&
    'useValue' in value &&
    Object.keys(value).length === 2
  );
}

function isClass(value: unknown): value is Class {
  return typeof value === 'function' && value.prototype !== undefined;
}

/**
 * Builds the application's objects once, when the app is created. A class's
 * constructor parameters are resolved by their types (`design:paramtypes`)
 * among the classes and instances registered with this container, each a
 * single instance per app. Mistakes fail here, with the class and parameter named.
 */
export class Container {
  private readonly registered = new Set<Class>();
  private readonly instances = new Map<Class, object>();
  private readonly resolving: Class[] = [];

  /**
   * Registers a class to construct, a ready instance for its own class, or
   * `{ provide: SomeClass, useValue: instance }` to stand in for a class (a
   * fake in a test, a subclass). Returns the class it is registered under.
   */
  register(item: Class | object | ValueProvider): Class {
    if (isValueProvider(item)) {
      if (!isClass(item.provide)) {
        throw appError('CAROM_ERR_BAD_PROVIDE');
      }
      const existing = this.instances.get(item.provide);
      if (existing && existing !== item.useValue) {
        throw appError('CAROM_ERR_TWO_VALUES', item.provide.name);
      }
      this.provide(item.provide, item.useValue);
      return item.provide;
    }
    if (isClass(item)) {
      this.registered.add(item);
      return item;
    }
    if (item === null || typeof item !== 'object') {
      throw appError('CAROM_ERR_NOT_A_CLASS', item);
    }
    const cls = item.constructor as Class;
    const existing = this.instances.get(cls);
    if (existing && existing !== item) {
      throw appError('CAROM_ERR_TWO_INSTANCES', cls.name);
    }
    this.registered.add(cls);
    this.instances.set(cls, item);
    return cls;
  }

  /**
   * Registers every item of the option `list` (`handlers`, `senders` or
   * `providers`), in order, and returns their classes. A class listed twice in
   * one list is refused: a handler would run twice per envelope, a sender would
   * be bound twice. A class may be in two lists when it plays both parts (a
   * sender with `@On` handlers); it is still made once.
   */
  registerAll(list: string, items: ReadonlyArray<Class | object>): Class[] {
    const classes: Class[] = [];
    for (const item of items) {
      const cls = this.register(item);
      if (classes.includes(cls)) throw appError('CAROM_ERR_LISTED_TWICE', cls.name, list);
      classes.push(cls);
    }
    return classes;
  }

  /**
   * Every instance the container holds, in dependency order: given ones first,
   * in the order they were given, then each constructed one after what its
   * constructor took (it was made first).
   */
  made(): object[] {
    return [...this.instances.values()];
  }

  /** Makes `value` what parameters of type `cls` receive. */
  provide(cls: Class, value: object): void {
    this.registered.add(cls);
    this.instances.set(cls, value);
  }

  /**
   * What `app.get(cls)` returns: the instance of a registered class. A class
   * never registered is a mistake, not one to construct on the spot.
   */
  lookup<T extends object>(cls: Class<T>): T {
    if (!this.registered.has(cls) && !this.instances.has(cls)) {
      const name = typeof cls === 'function' ? cls.name || 'an anonymous class' : String(cls);
      throw appError('CAROM_ERR_GET_UNREGISTERED', name);
    }
    return this.get(cls);
  }

  /** The single instance of a registered class, constructed on first use. */
  get<T extends object>(cls: Class<T>): T {
    const ready = this.instances.get(cls);
    if (ready) return ready as T;
    if (this.resolving.includes(cls)) {
      const cycle = [...this.resolving.slice(this.resolving.indexOf(cls)), cls].map((c) => c.name);
      throw appError('CAROM_ERR_CIRCULAR_DEPENDENCY', cycle);
    }
    this.resolving.push(cls);
    try {
      const instance = this.construct(cls);
      this.instances.set(cls, instance);
      return instance as T;
    } finally {
      this.resolving.pop();
    }
  }

  private construct(cls: Class): object {
    const types = Reflect.getMetadata('design:paramtypes', cls) as unknown[] | undefined;
    if (!types) {
      if (cls.length > 0) {
        throw appError('CAROM_ERR_NO_PARAMETER_TYPES', cls.name, cls.length);
      }
      return new (cls as new () => object)();
    }
    const args = types.map((type, index) => {
      if (!isApplicationClass(type)) {
        const shown = isClass(type) ? type.name : String(type);
        throw appError('CAROM_ERR_NOT_INJECTABLE', cls.name, index, shown);
      }
      if (!this.registered.has(type) && !this.instances.has(type)) {
        throw appError('CAROM_ERR_NOT_REGISTERED', cls.name, index, type.name);
      }
      return this.get(type);
    });
    return new (cls as new (...a: unknown[]) => object)(...args);
  }
}
