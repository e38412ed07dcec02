import type { Class, ValueProvider } from './container.js';
import { patternProblem } from '../protocol/names.js';
import type { Broker } from './broker.js';
import type { CaromObserver } from './observer.js';
import type { Clock } from './clock.js';
import type { Connection } from './connection.js';
import type { DeliveryOptions } from './delivery.js';
import type { HistoryDeclaration } from './history-policies.js';
import type { Context } from './context.js';
import type { ErrorClass } from './guard.js';
import { LOG_LEVELS, type CaromLogger, type LogLevel } from './logger.js';
import type { TimestampFormat } from '../protocol/timestamp.js';
import type { HandshakeRequest } from './seam.js';
import { appError } from './errors.js';
import { normalizeOrigin } from './origin.js';
import type { Interceptor } from './interceptors.js';

/**
 * Decides who connects. Return the user (anything but `false`, `null` or
 * `undefined`) to accept; it becomes `connection.user`. Return `false` or throw
 * `ConnectionRefused` to refuse: the socket is accepted and closed with 1008.
 */
export type Authenticate = (request: HandshakeRequest) => unknown;

/** Decides whether a connection may subscribe to a name or pattern; `false` answers `FORBIDDEN`. */
export type SubscribeGuard = (connection: Connection, name: string) => boolean | Promise<boolean>;

/** Decides whether a connection may have an envelope handled; `false` answers `FORBIDDEN`. */
export type MessageGuard = (ctx: Context) => boolean | Promise<boolean>;

/** A per-connection rate limit: at most `messages` envelopes per `perMs` milliseconds. */
export interface RateLimit {
  /** Envelopes a connection may send per period (the bucket's size). */
  readonly messages: number;
  /** The period, in milliseconds. */
  readonly perMs: number;
}

/** Where staleness is judged. */
export type StaleScope = 'connection' | 'global' | 'off';

/** Options for dropping stale envelopes. */
export interface StalenessOptions {
  /**
   * `connection` (default): an envelope is stale when older than the newest
   * handled envelope of the same event from the same connection. `global`: one
   * watermark per event across all connections, as bounce-ws's orchestrator
   * keeps. `off`: no watermark.
   */
  readonly scope?: StaleScope;
  /** Also stale when older than this many milliseconds by the server's clock. Off by default. */
  readonly maxAgeMs?: number;
}

/** What to do with payload properties that the DTO does not declare. */
export type UnknownProperties = 'strip' | 'refuse' | 'keep';

/** Everything `new Carom(...)` takes. Every field is optional. */
export interface CaromOptions {
  /** Handler and controller classes (or ready instances) with `@On` methods. */
  readonly handlers?: ReadonlyArray<Class | object>;
  /** `Sender` and `TimedSender` classes (or ready instances) with `@Topic`. */
  readonly senders?: ReadonlyArray<Class | object>;
  /**
   * Other classes (or instances) that constructors may ask for, or
   * `{ provide: SomeClass, useValue }` to stand in for a class.
   */
  readonly providers?: ReadonlyArray<Class | object | ValueProvider>;
  /**
   * Extra declared names: exact names, or families such as `room.*` (every name
   * under `room.`); `{ name, delivery, key, history }` declares one with a
   * delivery policy or a history (a family's events each get their own).
   */
  readonly topics?: ReadonlyArray<string | TopicDeclaration>;
  /**
   * Topics whose subscribers are tracked across the nodes: exact names,
   * families (`room.*`) or `*`. `app.presence(topic)` lists who holds an exact
   * subscription to one. Default: none.
   */
  readonly presence?: readonly string[];
  /**
   * With `presence`, announce each join and leave to the topic's subscribers as
   * `carom.presence` envelopes. Default false.
   */
  readonly presenceNotices?: boolean;
  /** Let clients subscribe to, and the server publish, names nobody declared. Default `false`. */
  readonly allowUndeclared?: boolean;
  /** Staleness scope and maximum age. Default: per connection and event, no maximum age. */
  readonly staleness?: StalenessOptions;
  /** Largest accepted frame in bytes; a larger one closes the connection with 1009. Default 1 MiB. */
  readonly maxPayload?: number;
  /**
   * Bytes a connection may have waiting to be sent before it is closed with
   * 1013 as too slow (a client that stopped reading). Default 16 MiB; 0 is no limit.
   */
  readonly maxBufferedBytes?: number;
  /**
   * Bytes waiting to be sent to a connection past which it is backlogged: it
   * then gets only the newest message of `latest` events and skips `drop`
   * events until its socket drains. Below `maxBufferedBytes`; default 1 MiB
   * (half of `maxBufferedBytes` when that is smaller).
   */
  readonly backlogBytes?: number;
  /**
   * Distinct events and keys of `latest` events that may wait for one
   * backlogged connection; past it the connection is closed with 1013. Default 10 000.
   */
  readonly maxWaitingKeys?: number;
  /** Longest accepted event name. Default 200. */
  readonly maxEventLength?: number;
  /** Envelopes of one connection handled at once. Default 1 (strict arrival order). */
  readonly maxInFlight?: number;
  /**
   * Envelopes of one connection that may wait behind those being handled;
   * more are answered `RATE_LIMITED`. Default 1024.
   */
  readonly maxQueued?: number;
  /**
   * Per-connection rate limit, a token bucket: excess envelopes are answered
   * `RATE_LIMITED`. Default 1000 envelopes per 1000 ms (bursts up to 1000);
   * `false` turns it off.
   */
  readonly rateLimit?: RateLimit | false;
  /** Outgoing timestamps: `utc` (ISO with `Z`, default) or `local` (bounce-ws's offset-less form). */
  readonly timestampFormat?: TimestampFormat;
  /** Payload properties a DTO does not declare: `strip` (default), `refuse` or `keep`. */
  readonly unknownProperties?: UnknownProperties;
  /** Error classes whose messages handlers may show to clients (besides `ClientError`). */
  readonly exposeErrors?: readonly ErrorClass[];
  /** Runs at each handshake; see {@link Authenticate}. Default: everyone is accepted. */
  readonly authenticate?: Authenticate;
  /** May refuse a client's subscription (`FORBIDDEN`). */
  readonly canSubscribe?: SubscribeGuard;
  /** May refuse a client's envelope before its handlers run (`FORBIDDEN`). */
  readonly canHandle?: MessageGuard;
  /** The WebSocket path. Default `/ws`. */
  readonly path?: string;
  /** Ping interval in ms; a connection that does not answer is terminated. Default 30000; 0 is off. */
  readonly heartbeatMs?: number;
  /** Your logger (tslog or anything with debug/info/warn/error). Default: tslog at `logLevel`. */
  readonly logger?: CaromLogger;
  /** Level of the default logger. Default `info`. */
  readonly logLevel?: LogLevel;
  /** The clock timers and staleness read. Default: the system clock; the testing kit passes a fake. */
  readonly clock?: Clock;
  /**
   * How this node reaches the other nodes of the application. Default: a lone
   * node (`LocalBroker`); `redisBroker` from `carom/redis` makes several nodes
   * behave as one server.
   */
  readonly broker?: Broker;
  /**
   * What watches the app for metrics and traces: `caromMetrics()` from
   * `carom/metrics`, `caromTracing()` from `carom/otel`. Default none, and then
   * the app makes no call for them at all.
   */
  readonly observers?: readonly CaromObserver[];
  /** Deepest nesting of arrays and objects in an envelope's `data`; deeper is `BAD_ENVELOPE`. Default 32. */
  readonly maxDepth?: number;
  /**
   * Values (objects, arrays, strings, numbers...) a payload may hold when it is
   * validated against a DTO; more are refused with `VALIDATION_FAILED` before
   * class-transformer runs. Default 10 000.
   */
  readonly maxValidatedValues?: number;
  /** Subscriptions (names, patterns and exclusions) one connection may hold. Default 1000. */
  readonly maxSubscriptions?: number;
  /** How far ahead of the server's clock a client timestamp may be; further is `BAD_ENVELOPE`. Default 60 000 ms. */
  readonly maxClockSkewMs?: number;
  /** Open connections in all; a handshake past it is answered HTTP 503. Default 10 000. */
  readonly maxConnections?: number;
  /** Open connections from one client address; past it the handshake is answered HTTP 429. Default 1000. */
  readonly maxConnectionsPerAddress?: number;
  /**
   * The client's address, as limits and `connection.remoteAddress` see it.
   * Default: the socket's peer address. Behind a proxy, read the header it sets
   * (see `forwardedAddress`).
   */
  readonly clientAddress?: ClientAddress;
  /** Channels that may exist at once; `channels.create` past it throws `LIMIT_EXCEEDED`. Default 10 000. */
  readonly maxChannels?: number;
  /**
   * Time a handshake may take, from the upgrade request to an admitted socket
   * (`authenticate` included); past it the request is answered 503 and its socket
   * released. `listen` also bounds the HTTP request headers by it. Default 10 000 ms.
   */
  readonly handshakeTimeoutMs?: number;
  /** Requests the server may have waiting on one connection's answers (`connection.ask`). Default 100. */
  readonly maxPendingAsks?: number;
  /** How long `connection.ask` waits for an answer unless told otherwise. Default 10 000 ms. */
  readonly askTimeoutMs?: number;
  /**
   * Browser origins that may open a WebSocket: a list (`['https://app.example.com']`),
   * a function, or `'*'` for any. Default: the page must come from the host it
   * connects to (the `Origin` matches the `Host` header). Requests without an
   * `Origin` (not from a browser) are never refused by this check.
   */
  readonly allowedOrigins?: AllowedOrigins;
  /**
   * A handler that takes a payload but has no DTO to validate it: `warn` (default)
   * logs it at start-up, naming the handler and the fix; `error` refuses to start.
   * `@On(event, { dto: false })` says a handler takes unvalidated payloads on purpose.
   */
  readonly unvalidatedHandlers?: 'warn' | 'error';
  /**
   * Functions that wrap every handler, the first outermost (timing, logging,
   * tracing); a handler's own `@On(event, { interceptors })` run inside them.
   * See {@link Interceptor}. Default: none, and then handlers are called directly.
   */
  readonly interceptors?: readonly Interceptor[];
  /**
   * Longest time in ms a handler (with its guards, async validation and
   * interceptors) may take before the client is answered `HANDLER_TIMEOUT` and
   * the connection's next envelope starts; `@On(event, { timeoutMs })` sets
   * one handler's. What it settles to later is dropped and logged. Default
   * 30 000; 0 is none.
   */
  readonly handlerTimeoutMs?: number;
  /**
   * Longest time in ms one provider's `onStart()` or `onClose()` may take; past
   * it a start fails and a close moves on to the next provider. Default 10 000.
   */
  readonly lifecycleTimeoutMs?: number;
  /**
   * Requests and emits sent with a `key` (carom's client retrying after a
   * reconnect) are handled once per identity within a window; a repeat gets
   * the first answer. See {@link OnceOptions}. Default: on, with its defaults,
   * when the broker keeps keys (`LocalBroker` and `carom/redis` do); `false`
   * handles keyed envelopes as any other.
   */
  readonly once?: OnceOptions | false;
}

/** How envelopes sent with a `key` are handled once (the `once` option). */
export interface OnceOptions {
  /**
   * How long a key is remembered, in ms, from its claim and again from its
   * first answer; past it a repeat is handled again. Default 120 000.
   */
  readonly windowMs?: number;
  /** Keys remembered per identity; past it the oldest is forgotten. Default 1000. */
  readonly maxKeys?: number;
  /**
   * Whose keys a connection's are: a string, or `undefined` for none (its
   * keys are then ignored). Called once per connection, at its first keyed
   * envelope. Default: the `id` of the user `authenticate` returned, when it
   * is a string or a number, else the client instance id carom's client sends
   * (`connection.clientId`), else none.
   */
  readonly identity?: (connection: Connection) => string | undefined;
}

/** An entry of the `topics` option that declares a delivery policy or a history with its name. */
export interface TopicDeclaration extends DeliveryOptions, HistoryDeclaration {
  /** An exact name, or a family (`ticker.*`): the policy covers channels made under it too. */
  readonly name: string;
}

/** Reads a client's address from its handshake request. */
export type ClientAddress = (request: HandshakeRequest) => string | undefined;

/** Which browser origins may connect: a list, a function of the `Origin` header, or `'*'`. */
export type AllowedOrigins =
  readonly string[] | '*' | ((origin: string, request: HandshakeRequest) => boolean);

/** The options with every default filled in. */
export type ResolvedOptions = Required<Omit<CaromOptions, OptionalOption>> &
  Omit<Pick<CaromOptions, OptionalOption>, 'rateLimit'> & {
    /** Undefined when the limit is off. */
    readonly rateLimit?: RateLimit | undefined;
  };

type OptionalOption =
  | 'rateLimit'
  | 'authenticate'
  | 'canSubscribe'
  | 'canHandle'
  | 'logger'
  | 'clock'
  | 'broker'
  | 'clientAddress'
  | 'allowedOrigins'
  | 'once';

/** The defaults, as the README lists them. */
export const DEFAULTS = {
  /** {@link CaromOptions.allowUndeclared} */
  allowUndeclared: false,
  /** {@link CaromOptions.maxPayload}: 1 MiB. */
  maxPayload: 1024 * 1024,
  /** {@link CaromOptions.maxBufferedBytes}: 16 MiB. */
  maxBufferedBytes: 16 * 1024 * 1024,
  /** {@link CaromOptions.backlogBytes}: 1 MiB. */
  backlogBytes: 1024 * 1024,
  /** {@link CaromOptions.maxWaitingKeys} */
  maxWaitingKeys: 10_000,
  /** {@link CaromOptions.maxEventLength} */
  maxEventLength: 200,
  /** {@link CaromOptions.maxInFlight} */
  maxInFlight: 1,
  /** {@link CaromOptions.maxQueued} */
  maxQueued: 1024,
  /** {@link CaromOptions.timestampFormat} */
  timestampFormat: 'utc',
  /** {@link CaromOptions.unknownProperties} */
  unknownProperties: 'strip',
  /** {@link CaromOptions.path} */
  path: '/ws',
  /** {@link CaromOptions.heartbeatMs} */
  heartbeatMs: 30_000,
  /** {@link CaromOptions.logLevel} */
  logLevel: 'info',
  /** {@link CaromOptions.maxDepth} */
  maxDepth: 32,
  /** {@link CaromOptions.maxValidatedValues} */
  maxValidatedValues: 10_000,
  /** {@link CaromOptions.maxSubscriptions} */
  maxSubscriptions: 1000,
  /** {@link CaromOptions.maxClockSkewMs} */
  maxClockSkewMs: 60_000,
  /** {@link CaromOptions.maxConnections} */
  maxConnections: 10_000,
  /** {@link CaromOptions.maxConnectionsPerAddress} */
  maxConnectionsPerAddress: 1000,
  /** {@link CaromOptions.maxChannels} */
  maxChannels: 10_000,
  /** {@link CaromOptions.handshakeTimeoutMs} */
  handshakeTimeoutMs: 10_000,
  /** {@link CaromOptions.maxPendingAsks} */
  maxPendingAsks: 100,
  /** {@link CaromOptions.askTimeoutMs} */
  askTimeoutMs: 10_000,
  /** {@link CaromOptions.unvalidatedHandlers} */
  unvalidatedHandlers: 'warn',
  /** {@link CaromOptions.handlerTimeoutMs} */
  handlerTimeoutMs: 30_000,
  /** {@link CaromOptions.lifecycleTimeoutMs} */
  lifecycleTimeoutMs: 10_000,
  /** {@link CaromOptions.rateLimit}: 1000 envelopes a second. */
  rateLimit: {
    /** {@link RateLimit.messages} */
    messages: 1000,
    /** {@link RateLimit.perMs} */
    perMs: 1000,
  },
} as const;

/** The defaults of the `once` option's fields ({@link OnceOptions}). */
export const ONCE_DEFAULTS = {
  /** {@link OnceOptions.windowMs}: two minutes. */
  windowMs: 120_000,
  /** {@link OnceOptions.maxKeys} */
  maxKeys: 1000,
} as const;

/**
 * What an app gets for each option it leaves out. Typed so that an option with
 * neither a default here nor a place among the optional ones does not compile.
 */
const FILLED: Required<Omit<CaromOptions, OptionalOption>> = {
  ...DEFAULTS,
  handlers: [],
  senders: [],
  providers: [],
  topics: [],
  staleness: {},
  exposeErrors: [],
  presence: [],
  presenceNotices: false,
  interceptors: [],
  observers: [],
};

/** What one option must be: the phrase its error shows, and the test of a given value. */
interface Rule {
  readonly expected: string;
  readonly test: (value: unknown) => boolean;
}

/** The longest delay Node's timers take: a longer one fires at once, with a warning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** True for a timeout option: 0 (none) or a whole number of ms a timer can take. */
export function isTimeout(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_TIMER_MS;
}

const isFunction = (value: unknown): boolean => typeof value === 'function';
const isNumber = (value: unknown): value is number => typeof value === 'number';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function withMethods(expected: string, methods: readonly string[]): Rule {
  return {
    expected,
    test: (value) => {
      if (!isObject(value) && !isFunction(value)) return false;
      try {
        return methods.every((m) => isFunction((value as Record<string, unknown>)[m]));
      } catch {
        // A getter that throws (a hostile Proxy) is not a missing method: the
        // guarded logger survives it at run time, and the app keeps serving.
        return true;
      }
    },
  };
}

function oneOf(allowed: readonly string[]): Rule {
  return {
    expected: `one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
    test: (value) => typeof value === 'string' && allowed.includes(value),
  };
}

function listOf(expected: string, item: (value: unknown) => boolean): Rule {
  return { expected, test: (value) => Array.isArray(value) && value.every(item) };
}

const positiveInteger: Rule = {
  expected: 'a positive integer',
  test: (value) => Number.isInteger(value) && (value as number) >= 1,
};
const positiveNumber: Rule = {
  expected: 'a positive number',
  test: (value) => isNumber(value) && value > 0 && Number.isFinite(value),
};
const anyItem = (): boolean => true;

/** Every method of `CaromObserver`. */
const OBSERVER = withMethods('', [
  'bind',
  'opened',
  'closed',
  'received',
  'dropped',
  'handling',
  'invoke',
  'answered',
  'errorSent',
  'sent',
]);

/**
 * The rule of every option. Typed by `CaromOptions`' keys, so an option added
 * there without a rule here does not compile.
 */
const OPTION_RULES: { readonly [K in keyof CaromOptions]-?: Rule } = {
  handlers: listOf('an array of classes or instances', anyItem),
  senders: listOf('an array of classes or instances', anyItem),
  providers: listOf('an array of classes, instances or { provide, useValue }', anyItem),
  topics: listOf(
    'an array of event names and families, or { name, delivery, key, history }',
    (t) => typeof t === 'string' || (isObject(t) && typeof t.name === 'string'),
  ),
  allowUndeclared: { expected: 'true or false', test: (value) => typeof value === 'boolean' },
  presence: listOf(
    'an array of topic names, families (room.*) or *',
    (t) => typeof t === 'string' && t.length > 0 && patternProblem(t) === undefined,
  ),
  presenceNotices: { expected: 'true or false', test: (value) => typeof value === 'boolean' },
  staleness: { expected: 'an object { scope, maxAgeMs }', test: isObject },
  maxPayload: positiveInteger,
  maxBufferedBytes: {
    expected: '0 (no limit) or a positive integer',
    test: (value) => Number.isInteger(value) && (value as number) >= 0,
  },
  backlogBytes: positiveInteger,
  maxWaitingKeys: positiveInteger,
  maxEventLength: positiveInteger,
  maxInFlight: positiveInteger,
  maxQueued: positiveInteger,
  rateLimit: {
    expected: 'false or an object { messages, perMs }',
    test: (value) => value === false || isObject(value),
  },
  timestampFormat: oneOf(['utc', 'local']),
  unknownProperties: oneOf(['strip', 'refuse', 'keep']),
  exposeErrors: listOf('an array of error classes', isFunction),
  authenticate: { expected: 'a function of the handshake request', test: isFunction },
  canSubscribe: { expected: 'a function of the connection and the name', test: isFunction },
  canHandle: { expected: "a function of the envelope's context", test: isFunction },
  path: {
    expected: "a path starting with '/'",
    test: (value) => typeof value === 'string' && value.startsWith('/'),
  },
  heartbeatMs: {
    expected: `0 (off) or a positive number of milliseconds up to ${MAX_TIMER_MS}`,
    test: (value) => isNumber(value) && value >= 0 && value <= MAX_TIMER_MS,
  },
  logger: withMethods('an object with debug, info, warn and error methods', [
    'debug',
    'info',
    'warn',
    'error',
  ]),
  logLevel: oneOf(LOG_LEVELS),
  broker: withMethods('a broker (an object with start, publish, command and close methods)', [
    'start',
    'publish',
    'command',
    'channelCreated',
    'channelDeleted',
    'stats',
    'close',
  ]),
  observers: listOf('an array of observers (caromMetrics(), caromTracing())', (o) =>
    OBSERVER.test(o),
  ),
  clock: withMethods('an object with now, setTimeout and clearTimeout methods', [
    'now',
    'setTimeout',
    'clearTimeout',
  ]),
  maxDepth: positiveInteger,
  maxValidatedValues: positiveInteger,
  maxSubscriptions: positiveInteger,
  maxClockSkewMs: {
    expected: '0 or a positive number',
    test: (value) => isNumber(value) && value >= 0 && Number.isFinite(value),
  },
  maxConnections: positiveInteger,
  maxConnectionsPerAddress: positiveInteger,
  clientAddress: { expected: 'a function of the request', test: isFunction },
  maxChannels: positiveInteger,
  handshakeTimeoutMs: {
    expected: `a positive integer of milliseconds up to ${MAX_TIMER_MS}`,
    test: (value) => positiveInteger.test(value) && (value as number) <= MAX_TIMER_MS,
  },
  allowedOrigins: {
    expected: "a list of origins (scheme://host[:port], no path), a function or '*'",
    test: (value) =>
      value === '*' ||
      isFunction(value) ||
      (Array.isArray(value) &&
        value.every((o) => typeof o === 'string' && normalizeOrigin(o) !== undefined)),
  },
  unvalidatedHandlers: oneOf(['warn', 'error']),
  maxPendingAsks: positiveInteger,
  askTimeoutMs: {
    expected: `a positive integer of milliseconds up to ${MAX_TIMER_MS}`,
    test: (value) => positiveInteger.test(value) && (value as number) <= MAX_TIMER_MS,
  },
  interceptors: listOf('an array of functions (ctx, next, handler)', isFunction),
  handlerTimeoutMs: {
    expected: `0 (none) or a whole number of milliseconds up to ${MAX_TIMER_MS}`,
    test: isTimeout,
  },
  lifecycleTimeoutMs: {
    expected: `a positive whole number of milliseconds up to ${MAX_TIMER_MS}`,
    test: (value) => isTimeout(value) && value > 0,
  },
  once: {
    expected: 'false or an object { windowMs, maxKeys, identity }',
    test: (value) => value === false || isObject(value),
  },
};

const ONCE_RULES: { readonly [K in keyof OnceOptions]-?: Rule } = {
  windowMs: {
    expected: `a positive whole number of milliseconds up to ${MAX_TIMER_MS}`,
    test: (value) => isTimeout(value) && value > 0,
  },
  maxKeys: positiveInteger,
  identity: { expected: 'a function of the connection', test: isFunction },
};

const STALENESS_RULES: { readonly [K in keyof StalenessOptions]-?: Rule } = {
  scope: oneOf(['connection', 'global', 'off']),
  maxAgeMs: positiveNumber,
};

const RATE_LIMIT_RULES: { readonly [K in keyof RateLimit]-?: Rule } = {
  messages: positiveInteger,
  perMs: positiveNumber,
};

/** Throws for the first value that breaks its rule; an absent value (or `null`) takes the default. */
function check(prefix: string, rules: Readonly<Record<string, Rule>>, values: object): void {
  for (const [name, rule] of Object.entries(rules)) {
    const value = (values as Record<string, unknown>)[name];
    if (value !== undefined && value !== null && !rule.test(value)) {
      throw appError('CAROM_ERR_BAD_OPTION', prefix + name, rule.expected, value);
    }
  }
}

/**
 * Checks every option, and fills in defaults. A value that cannot work is a
 * `ConfigurationError` (`CAROM_ERR_BAD_OPTION`) naming the option, thrown here
 * rather than as a `TypeError` from wherever the value is first used.
 */
export function resolveOptions(options: CaromOptions): ResolvedOptions {
  const o = { ...options };
  check('', OPTION_RULES, o);
  if (o.staleness) check('staleness.', STALENESS_RULES, o.staleness);
  if (o.rateLimit) check('rateLimit.', RATE_LIMIT_RULES, o.rateLimit);
  if (o.once) check('once.', ONCE_RULES, o.once);
  // Checked above, so a value given replaces its default as it is; null, like
  // undefined, means "the default".
  const given: Partial<Record<keyof CaromOptions, unknown>> = {};
  for (const key of Object.keys(o) as (keyof CaromOptions)[]) {
    if (o[key] !== undefined && o[key] !== null) given[key] = o[key];
  }
  return {
    ...FILLED,
    ...(given as Partial<ResolvedOptions>),
    rateLimit: o.rateLimit === false ? undefined : (o.rateLimit ?? DEFAULTS.rateLimit),
    backlogBytes: backlogBytesOf(o),
  };
}

/**
 * The backlog threshold: given, it must be below `maxBufferedBytes` (a
 * connection must be backlogged before it is cut off); left out, the default
 * or half of a smaller `maxBufferedBytes`.
 */
function backlogBytesOf(o: CaromOptions): number {
  const limit = o.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes;
  const given = o.backlogBytes ?? undefined;
  if (given === undefined) {
    return limit > 0
      ? Math.min(DEFAULTS.backlogBytes, Math.max(1, Math.floor(limit / 2)))
      : DEFAULTS.backlogBytes;
  }
  if (limit > 0 && given >= limit) {
    throw appError(
      'CAROM_ERR_BAD_OPTION',
      'backlogBytes',
      `below maxBufferedBytes (${limit})`,
      given,
    );
  }
  return given;
}
