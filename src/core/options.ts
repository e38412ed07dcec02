import type { Class, ValueProvider } from './container.js';
import type { Clock } from './clock.js';
import type { Connection } from './connection.js';
import type { Context } from './context.js';
import type { ErrorClass } from './guard.js';
import { LOG_LEVELS, type CaromLogger, type LogLevel } from './logger.js';
import type { TimestampFormat } from '../protocol/timestamp.js';
import type { HandshakeRequest } from './seam.js';
import { ConfigurationError } from '../protocol/errors.js';

/**
 * Decides who connects. Return the user (anything but `false`, `null` or
 * `undefined`) to accept; it becomes `connection.user`. Return `false` or throw
 * `ConnectionRefused` to refuse: the socket is accepted and closed with 1008.
 */
export type Authenticate = (request: HandshakeRequest) => unknown;

/** Decides whether a connection may subscribe to a name or pattern; `false` answers `FORBIDDEN`. */
export type SubscribeGuard = (connection: Connection, topic: string) => boolean | Promise<boolean>;

/** Decides whether a connection may have an envelope handled; `false` answers `FORBIDDEN`. */
export type MessageGuard = (ctx: Context) => boolean | Promise<boolean>;

/** A per-connection rate limit: at most `messages` envelopes per `perMs` milliseconds. */
export interface RateLimit {
  readonly messages: number;
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
  /** Extra declared names: exact names, or families such as `room.*` (every name under `room.`). */
  readonly topics?: readonly string[];
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
   * (see {@link forwardedAddress}).
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
  | 'clientAddress'
  | 'allowedOrigins';

/** The defaults, as the README lists them. */
export const DEFAULTS = {
  allowUndeclared: false,
  maxPayload: 1024 * 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxEventLength: 200,
  maxInFlight: 1,
  maxQueued: 1024,
  timestampFormat: 'utc',
  unknownProperties: 'strip',
  path: '/ws',
  heartbeatMs: 30_000,
  logLevel: 'info',
  maxDepth: 32,
  maxValidatedValues: 10_000,
  maxSubscriptions: 1000,
  maxClockSkewMs: 60_000,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 1000,
  maxChannels: 10_000,
  handshakeTimeoutMs: 10_000,
  unvalidatedHandlers: 'warn',
  rateLimit: { messages: 1000, perMs: 1000 },
} as const;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(`option ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new ConfigurationError(
      `option ${name} must be 0 or a positive number, got ${String(value)}`,
    );
  }
  return value;
}

/** Fills in defaults and refuses options that cannot work, naming the option. */
export function resolveOptions(options: CaromOptions): ResolvedOptions {
  const o = { ...options };
  const resolved: ResolvedOptions = {
    handlers: o.handlers ?? [],
    senders: o.senders ?? [],
    providers: o.providers ?? [],
    topics: o.topics ?? [],
    allowUndeclared: o.allowUndeclared ?? DEFAULTS.allowUndeclared,
    staleness: o.staleness ?? {},
    maxPayload: positiveInteger('maxPayload', o.maxPayload ?? DEFAULTS.maxPayload),
    maxBufferedBytes: o.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes,
    maxEventLength: positiveInteger('maxEventLength', o.maxEventLength ?? DEFAULTS.maxEventLength),
    maxInFlight: positiveInteger('maxInFlight', o.maxInFlight ?? DEFAULTS.maxInFlight),
    maxQueued: positiveInteger('maxQueued', o.maxQueued ?? DEFAULTS.maxQueued),
    timestampFormat: o.timestampFormat ?? DEFAULTS.timestampFormat,
    unknownProperties: o.unknownProperties ?? DEFAULTS.unknownProperties,
    exposeErrors: o.exposeErrors ?? [],
    path: o.path ?? DEFAULTS.path,
    heartbeatMs: o.heartbeatMs ?? DEFAULTS.heartbeatMs,
    logLevel: o.logLevel ?? DEFAULTS.logLevel,
    rateLimit: o.rateLimit === false ? undefined : (o.rateLimit ?? DEFAULTS.rateLimit),
    authenticate: o.authenticate,
    canSubscribe: o.canSubscribe,
    canHandle: o.canHandle,
    logger: o.logger,
    clock: o.clock,
    maxDepth: positiveInteger('maxDepth', o.maxDepth ?? DEFAULTS.maxDepth),
    maxValidatedValues: positiveInteger(
      'maxValidatedValues',
      o.maxValidatedValues ?? DEFAULTS.maxValidatedValues,
    ),
    maxSubscriptions: positiveInteger(
      'maxSubscriptions',
      o.maxSubscriptions ?? DEFAULTS.maxSubscriptions,
    ),
    maxClockSkewMs: nonNegative('maxClockSkewMs', o.maxClockSkewMs ?? DEFAULTS.maxClockSkewMs),
    maxConnections: positiveInteger('maxConnections', o.maxConnections ?? DEFAULTS.maxConnections),
    maxConnectionsPerAddress: positiveInteger(
      'maxConnectionsPerAddress',
      o.maxConnectionsPerAddress ?? DEFAULTS.maxConnectionsPerAddress,
    ),
    maxChannels: positiveInteger('maxChannels', o.maxChannels ?? DEFAULTS.maxChannels),
    handshakeTimeoutMs: positiveInteger(
      'handshakeTimeoutMs',
      o.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
    ),
    unvalidatedHandlers: o.unvalidatedHandlers ?? DEFAULTS.unvalidatedHandlers,
    clientAddress: o.clientAddress,
    allowedOrigins: o.allowedOrigins,
  };
  if (resolved.unvalidatedHandlers !== 'warn' && resolved.unvalidatedHandlers !== 'error') {
    throw new ConfigurationError(`option unvalidatedHandlers must be 'warn' or 'error'`);
  }
  const origins = resolved.allowedOrigins;
  if (
    origins !== undefined &&
    origins !== '*' &&
    typeof origins !== 'function' &&
    !(Array.isArray(origins) && origins.every((x) => typeof x === 'string'))
  ) {
    throw new ConfigurationError(
      `option allowedOrigins must be a list of origins, a function or '*'`,
    );
  }
  if (resolved.clientAddress !== undefined && typeof resolved.clientAddress !== 'function') {
    throw new ConfigurationError('option clientAddress must be a function of the request');
  }
  if (!resolved.path.startsWith('/')) {
    throw new ConfigurationError(`option path must start with '/', got '${resolved.path}'`);
  }
  if (resolved.timestampFormat !== 'utc' && resolved.timestampFormat !== 'local') {
    throw new ConfigurationError(`option timestampFormat must be 'utc' or 'local'`);
  }
  if (!Number.isInteger(resolved.maxBufferedBytes) || resolved.maxBufferedBytes < 0) {
    throw new ConfigurationError(
      'option maxBufferedBytes must be 0 (no limit) or a positive integer',
    );
  }
  if (!(resolved.heartbeatMs >= 0)) {
    throw new ConfigurationError('option heartbeatMs must be 0 (off) or a positive number');
  }
  if (resolved.rateLimit) {
    positiveInteger('rateLimit.messages', resolved.rateLimit.messages);
    if (!(resolved.rateLimit.perMs > 0)) {
      throw new ConfigurationError('option rateLimit.perMs must be a positive number');
    }
  }
  oneOf('unknownProperties', resolved.unknownProperties, ['strip', 'refuse', 'keep']);
  oneOf('logLevel', resolved.logLevel, LOG_LEVELS);
  const { scope, maxAgeMs } = resolved.staleness;
  if (scope !== undefined) oneOf('staleness.scope', scope, ['connection', 'global', 'off']);
  if (maxAgeMs !== undefined && !(maxAgeMs > 0)) {
    throw new ConfigurationError('option staleness.maxAgeMs must be a positive number');
  }
  for (const name of ['authenticate', 'canSubscribe', 'canHandle'] as const) {
    const fn = resolved[name];
    if (fn !== undefined && typeof fn !== 'function') {
      throw new ConfigurationError(`option ${name} must be a function`);
    }
  }
  for (const name of ['handlers', 'senders', 'providers', 'topics', 'exposeErrors'] as const) {
    if (!Array.isArray(resolved[name])) {
      throw new ConfigurationError(`option ${name} must be an array`);
    }
  }
  return resolved;
}

function oneOf(name: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    const list = allowed.map((a) => `'${a}'`).join(', ');
    throw new ConfigurationError(`option ${name} must be one of ${list}, got ${String(value)}`);
  }
}
