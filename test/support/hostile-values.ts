/**
 * Values application code may return or throw that a framework must survive:
 * Proxies whose traps throw, getters that throw, thenables that misbehave,
 * values that are not JSON. Shared by every test that feeds them to a place
 * where application code runs.
 */
import { CaromError, ClientError, ErrorCode } from '../../src/index.js';

export const boom = (): never => {
  throw new Error('trap');
};

/** A Proxy every trap of which throws: even `instanceof` and `String()` of it throw. */
export function hostileProxy(): object {
  return new Proxy(
    {},
    {
      get: boom,
      getPrototypeOf: boom,
      has: boom,
      ownKeys: boom,
      getOwnPropertyDescriptor: boom,
    },
  );
}

/** An object whose every property getter throws, `message` and `name` included. */
export function throwingGetters(): object {
  return {
    get message(): string {
      throw new Error('message getter');
    },
    get name(): string {
      throw new Error('name getter');
    },
    get stack(): string {
      throw new Error('stack getter');
    },
    get code(): string {
      throw new Error('code getter');
    },
  };
}

export function circular(): object {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
}

/** Values thrown (or rejected with) that carom did not make: answered with a generic HANDLER_ERROR. */
export const UNEXPECTED_THROWS: ReadonlyArray<readonly [string, () => unknown]> = [
  ['an object whose getters throw', throwingGetters],
  ['a Proxy whose every trap throws', hostileProxy],
  ['null', () => null],
  ['undefined', () => undefined],
  ['a string', () => 'password=hunter2'],
  ['a number', () => 42],
  ['a symbol', () => Symbol('thrown')],
  ['a BigInt', () => 10n],
  ['a plain Error', () => new Error('internal detail')],
];

/** CaromErrors whose details cannot be serialized: the code and message go through, the details do not. */
export const CAROM_THROWS: ReadonlyArray<
  readonly [string, () => unknown, { code: ErrorCode; message: string }]
> = [
  [
    'a CaromError with circular details',
    () => new CaromError(ErrorCode.FORBIDDEN, 'not yours', circular()),
    { code: ErrorCode.FORBIDDEN, message: 'not yours' },
  ],
  [
    'a ClientError whose details hold a BigInt',
    () => new ClientError('too big', { details: { n: 1n } }),
    { code: ErrorCode.HANDLER_ERROR, message: 'too big' },
  ],
  [
    'a ClientError whose details are a Proxy',
    () => new ClientError('proxied', { details: hostileProxy() }),
    { code: ErrorCode.HANDLER_ERROR, message: 'proxied' },
  ],
];

/** Returned values that are not JSON, or not safely readable: HANDLER_ERROR and a log line. */
export const BAD_RETURNS: ReadonlyArray<readonly [string, () => unknown]> = [
  ['a function', () => () => 1],
  ['a symbol', () => Symbol('returned')],
  ['a BigInt', () => 2n],
  [
    'an object with a throwing toJSON',
    () => ({
      toJSON(): never {
        throw new Error('toJSON');
      },
    }),
  ],
  ['an object whose toJSON returns undefined', () => ({ toJSON: () => undefined })],
  ['a circular object', circular],
  ['an object holding a BigInt deep down', () => ({ nested: { deep: [Symbol('x')] }, big: 3n })],
  [
    'a value whose then getter throws',
    () => ({
      get then(): never {
        throw new Error('then getter');
      },
    }),
  ],
  ['a Proxy whose every trap throws', hostileProxy],
  [
    'a thenable whose then throws',
    () => ({
      then(): never {
        throw new Error('then');
      },
    }),
  ],
  [
    'a thenable that rejects with a Proxy',
    () => ({
      then(_ok: unknown, fail: (e: unknown) => void): void {
        fail(hostileProxy());
      },
    }),
  ],
  [
    'a thenable that resolves to a function',
    () => ({
      then(ok: (v: unknown) => void): void {
        ok(() => 1);
      },
    }),
  ],
  [
    'a thenable that resolves to a value whose then getter throws',
    () => ({
      then(ok: (v: unknown) => void): void {
        ok({
          get then(): never {
            throw new Error('inner then getter');
          },
        });
      },
    }),
  ],
];

/** The returned values above that fail when awaited (what a guard or hook may return too). */
export const REJECTING_RETURNS = BAD_RETURNS.filter(([what]) =>
  /then getter throws|Proxy|then throws|rejects/.test(what),
);

/** Thenables that misbehave but do settle first with a value: the first settlement wins. */
export const FIRST_WINS: ReadonlyArray<readonly [string, () => unknown, unknown]> = [
  [
    'a thenable that calls back twice',
    () => ({
      then(ok: (v: unknown) => void): void {
        ok('first');
        ok('second');
      },
    }),
    'first',
  ],
  [
    'a thenable that resolves, then rejects',
    () => ({
      then(ok: (v: unknown) => void, fail: (e: unknown) => void): void {
        ok('resolved');
        fail(hostileProxy());
      },
    }),
    'resolved',
  ],
  [
    'a thenable that resolves, then throws',
    () => ({
      then(ok: (v: unknown) => void): void {
        ok('before the throw');
        throw hostileProxy();
      },
    }),
    'before the throw',
  ],
];

/** A thenable that rejects first and then resolves: an error. */
export const REJECTS_FIRST = (): unknown => ({
  then(ok: (v: unknown) => void, fail: (e: unknown) => void): void {
    fail(new Error('rejected first'));
    ok('too late');
  },
});
