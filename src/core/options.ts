import type { Class, ValueProvider } from './container.js';
import type { Clock } from './clock.js';
import type { Connection } from './connection.js';
import type { ErrorClass, MessageGuard, RateLimit } from './dispatcher.js';
import type { CaromLogger, LogLevel } from './logger.js';
import type { StalenessOptions } from './stale-filter.js';
import type { TimestampFormat } from '../protocol/timestamp.js';
import type { HandshakeRequest } from '../transport/peer.js';
import type { UnknownProperties } from './validation.js';
import { ConfigurationError } from '../protocol/errors.js';

/**
 * Decides who connects. Return the user (anything but `false`, `null` or
 * `undefined`) to accept; it becomes `connection.user`. Return `false` or throw
 * `ConnectionRefused` to refuse: the socket is accepted and closed with 1008.
 */
export type Authenticate = (request: HandshakeRequest) => unknown;

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
  /** Per-connection rate limit; excess envelopes are answered `RATE_LIMITED`. Default none. */
  readonly rateLimit?: RateLimit;
  /** Outgoing timestamps: `utc` (ISO with `Z`, default) or `local` (bounce-ws's offset-less form). */
  readonly timestampFormat?: TimestampFormat;
  /** Payload properties a DTO does not declare: `strip` (default), `refuse` or `keep`. */
  readonly unknownProperties?: UnknownProperties;
  /** Error classes whose messages handlers may show to clients (besides `ClientError`). */
  readonly exposeErrors?: readonly ErrorClass[];
  /** Runs at each handshake; see {@link Authenticate}. Default: everyone is accepted. */
  readonly authenticate?: Authenticate;
  /** May refuse a client's subscription (`FORBIDDEN`). */
  readonly canSubscribe?: (connection: Connection, topic: string) => boolean | Promise<boolean>;
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
}

/** The options with every default filled in. */
export type ResolvedOptions = Required<
  Omit<
    CaromOptions,
    'rateLimit' | 'authenticate' | 'canSubscribe' | 'canHandle' | 'logger' | 'clock'
  >
> &
  Pick<
    CaromOptions,
    'rateLimit' | 'authenticate' | 'canSubscribe' | 'canHandle' | 'logger' | 'clock'
  >;

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
} as const;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(`option ${name} must be a positive integer, got ${String(value)}`);
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
    rateLimit: o.rateLimit,
    authenticate: o.authenticate,
    canSubscribe: o.canSubscribe,
    canHandle: o.canHandle,
    logger: o.logger,
    clock: o.clock,
  };
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
  return resolved;
}
