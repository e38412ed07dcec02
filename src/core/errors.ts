import { ErrorCode } from '../protocol/errors.js';
import { isAppCode, MAX_APP_CODE_LENGTH } from './app-code.js';

/**
 * An error that becomes an `error` envelope. The core raises it for protocol
 * violations; application code may throw it from a handler or a hook, and then
 * its message and details are shown to the client as they are.
 */
export class CaromError extends Error {
  /** The protocol code sent in `data.code`. */
  readonly code: ErrorCode;
  /** Sent in `data.details` when present. */
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'CaromError';
    this.code = code;
    this.details = details;
  }
}

/** What a `ClientError` carries besides its message. */
export interface ClientErrorOptions {
  /** The protocol's code. Default `HANDLER_ERROR`. */
  readonly code?: ErrorCode;
  /**
   * The application's own code, sent as `data.appCode` so that clients can tell
   * `BID_TOO_LOW` from the protocol's codes and from a crash: an upper-case
   * letter, then upper-case letters, digits and `_`, at most 64 characters.
   */
  readonly appCode?: string;
  /** Sent as `data.details`. */
  readonly details?: unknown;
}

/**
 * Throw this from a handler to answer the client with your own message (code
 * `HANDLER_ERROR` unless you pick another) and, if you like, your own code
 * (`appCode`). Any other error thrown by a handler is answered with a generic
 * message, so that internals never leak. An `appCode` of the wrong shape throws
 * a `UsageError` (`CAROM_ERR_BAD_APP_CODE`) here, where the mistake is.
 */
export class ClientError extends CaromError {
  /** The application's own code, when one was given. */
  readonly appCode: string | undefined;

  constructor(message: string, options: ClientErrorOptions = {}) {
    super(options.code ?? ErrorCode.HANDLER_ERROR, message, options.details);
    this.name = 'ClientError';
    if (options.appCode !== undefined && !isAppCode(options.appCode)) {
      throw appError('CAROM_ERR_BAD_APP_CODE', options.appCode);
    }
    this.appCode = options.appCode;
  }
}

/**
 * Throw this (or return `false`) from `authenticate` to refuse a connection. The
 * message becomes the reason of the 1008 close frame, so keep it short.
 */
export class ConnectionRefused extends Error {
  constructor(reason = 'unauthorized') {
    super(reason);
    this.name = 'ConnectionRefused';
  }
}

/**
 * Thrown for a mistake in how the application is put together: an option that
 * cannot work, a decorator misused, a dependency that cannot be resolved, a
 * name declared wrongly. `code` is one of {@link CAROM_ERRORS}' keys.
 */
export class ConfigurationError extends Error {
  /** The stable code of the mistake, such as `CAROM_ERR_BAD_OPTION`. */
  readonly code: AppErrorCode;

  constructor(message: string, code: AppErrorCode = 'CAROM_ERR_CONFIGURATION') {
    super(message);
    this.name = 'ConfigurationError';
    this.code = code;
  }
}

/**
 * Thrown when a running app is used in a way that cannot work: publishing or
 * subscribing to a name nobody declared, a sender that is not registered, a
 * connection of another app, a closed app. `code` is one of {@link CAROM_ERRORS}' keys.
 */
export class UsageError extends Error {
  /** The stable code of the misuse, such as `CAROM_ERR_UNDECLARED_EVENT`. */
  readonly code: AppErrorCode;

  constructor(message: string, code: AppErrorCode = 'CAROM_ERR_USAGE', options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
    this.code = code;
  }
}

/** A value as an error message shows it: strings quoted, objects by kind, never a dump. */
function shown(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

const BUILD_FIX =
  'compile with tsc (or SWC) and "experimentalDecorators": true, "emitDecoratorMetadata": true ' +
  'in tsconfig.json (esbuild and tsx do not emit decorator metadata), or name the DTO with ' +
  '@On(event, { dto: YourDto }) ({ dto: false } for a handler that takes any payload)';

const configuration = ConfigurationError;
const usage = UsageError;

// The table itself; exported below as CAROM_ERRORS, typed by name, so that the API
// reference shows one table rather than every entry's fields.
const ERROR_TABLE = {
  // A ConfigurationError or UsageError made by hand, with only a message.
  CAROM_ERR_CONFIGURATION: { type: configuration, message: (text: string) => text },
  CAROM_ERR_USAGE: { type: usage, message: (text: string) => text },

  // Options.
  CAROM_ERR_BAD_OPTION: {
    type: configuration,
    message: (option: string, expected: string, got: unknown) =>
      `option ${option} must be ${expected}, got ${shown(got)}`,
  },

  // Names: decorators, the topics option, senders and channels.
  CAROM_ERR_EMPTY_EVENT_NAME: {
    type: configuration,
    message: (decorator: string, where: string) =>
      `${decorator} on ${where} needs a non-empty event name`,
  },
  CAROM_ERR_NOT_EXACT_NAME: {
    type: configuration,
    message: (where: string, name: string) => `${where}: '${name}' is not an exact event name`,
  },
  CAROM_ERR_RESERVED_NAME: {
    type: configuration,
    message: (where: string, name: string) =>
      `${where}: '${name}' is reserved by the protocol; pick another name`,
  },
  CAROM_ERR_ALREADY_DECLARED: {
    type: configuration,
    message: (where: string, name: string, owner: string) =>
      `${where}: '${name}' is already declared by ${owner}`,
  },
  CAROM_ERR_BAD_TOPIC_FAMILY: {
    type: configuration,
    message: (pattern: string) =>
      `topic family '${pattern}' must be a prefix pattern such as 'room.*'`,
  },
  CAROM_ERR_BAD_DELIVERY: {
    type: configuration,
    message: (where: string, problem: string) => `${where}: ${problem}`,
  },
  CAROM_ERR_BAD_HISTORY: {
    type: configuration,
    message: (where: string, problem: string) => `${where}: bad history: ${problem}`,
  },
  CAROM_ERR_BAD_PERIOD: {
    type: configuration,
    message: (event: string, sender: string) =>
      `${sender} publishing '${event}': everyMs must be a number of milliseconds > 0 and below 2^31`,
  },

  // Handlers and senders.
  CAROM_ERR_NOT_A_HANDLER: {
    type: configuration,
    message: (name: string) =>
      `${name} was passed as a handler but has no @On, @OnConnect or @OnDisconnect`,
  },
  CAROM_ERR_NOT_A_METHOD: {
    type: configuration,
    message: (what: string, name: string) => `${what} ${name} is not a method`,
  },
  CAROM_ERR_BAD_TOPIC_DTO: {
    type: configuration,
    message: (event: string, sender: string) =>
      `@Topic('${event}') on ${sender}: dto must be a class`,
  },
  CAROM_ERR_BAD_DTO: {
    type: configuration,
    message: (event: string, handler: string) =>
      `@On('${event}') on ${handler}: dto must be a class or false`,
  },
  CAROM_ERR_BAD_ACK: {
    type: configuration,
    message: (event: string, handler: string) =>
      `@On('${event}') on ${handler}: ack must be a class`,
  },
  CAROM_ERR_PAYLOAD_TYPE_UNKNOWN: {
    type: configuration,
    message: (handler: string, event: string, onClass: boolean) =>
      onClass
        ? `${handler} takes a payload, but carom cannot see its type: mark the parameter with ` +
          `@Payload() (handle(@Payload() data: YourDto)). If it is marked, the build emitted no ` +
          `decorator metadata: ${BUILD_FIX}`
        : `${handler} has @On('${event}'), but the build emitted no decorator metadata, so ` +
          `its payload's DTO cannot be read: ${BUILD_FIX}`,
  },
  CAROM_ERR_UNVALIDATED_HANDLERS: {
    type: configuration,
    message: (handlers: readonly string[]) =>
      `handlers that take a payload with no DTO, so their payloads reach them unvalidated: ` +
      `${handlers.join(', ')}. Give the parameter a class type with class-validator ` +
      `decorators (@Payload() data: YourDto), or @On(event, { dto: false }) when that is on purpose`,
  },
  CAROM_ERR_SENDER_WITHOUT_TOPIC: {
    type: configuration,
    message: (name: string) => `${name} was passed as a sender but has no @Topic('event')`,
  },
  CAROM_ERR_TOPIC_WITHOUT_SENDER: {
    type: configuration,
    message: (name: string) => `${name} has @Topic but does not extend Sender or TimedSender`,
  },
  CAROM_ERR_SENDER_IN_OTHER_APP: {
    type: configuration,
    message: (name: string) =>
      `this ${name} instance is already registered with another app: an instance serves ` +
      'one app; pass the class so that each app makes its own',
  },
  CAROM_ERR_TIMED_SENDER_WITHOUT_PERIOD: {
    type: configuration,
    message: (name: string, event: string) =>
      `${name} is a TimedSender: give it a period with @Topic('${event}', { everyMs: ... }) ` +
      'or set this.everyMs in its constructor',
  },
  CAROM_ERR_PERIOD_WITHOUT_TIMED_SENDER: {
    type: configuration,
    message: (name: string) => `${name} has everyMs but does not extend TimedSender`,
  },

  // Dependency injection.
  CAROM_ERR_BAD_PROVIDE: {
    type: configuration,
    message: () => '`provide` must be a class (the type constructors ask for)',
  },
  CAROM_ERR_TWO_VALUES: {
    type: configuration,
    message: (name: string) => `two values were given for ${name}; pass one`,
  },
  CAROM_ERR_TWO_INSTANCES: {
    type: configuration,
    message: (name: string) => `two instances of ${name} were registered; pass one`,
  },
  CAROM_ERR_LISTED_TWICE: {
    type: configuration,
    message: (name: string, list: string) =>
      `${name} is listed twice in \`${list}\`: the app makes one of each class, so list it once`,
  },
  CAROM_ERR_NOT_A_CLASS: {
    type: configuration,
    message: (got: unknown) => `expected a class or an instance, got ${String(got)}`,
  },
  CAROM_ERR_CIRCULAR_DEPENDENCY: {
    type: configuration,
    message: (cycle: readonly string[]) => `circular constructor dependency: ${cycle.join(' -> ')}`,
  },
  CAROM_ERR_NO_PARAMETER_TYPES: {
    type: configuration,
    message: (name: string, count: number) =>
      `cannot construct ${name}: its constructor takes ${count} parameter(s) but ` +
      'TypeScript recorded no types for them. Decorate the class (@On, @Topic or ' +
      '@Injectable) and compile with "emitDecoratorMetadata": true (tsc or SWC, not esbuild)',
  },
  CAROM_ERR_NOT_INJECTABLE: {
    type: configuration,
    message: (name: string, index: number, type: string) =>
      `cannot construct ${name}: constructor parameter #${index} has type ${type}, ` +
      'which cannot be injected (an interface, a primitive or a type-only import?). ' +
      'Pass a ready instance of the class instead',
  },
  CAROM_ERR_NOT_REGISTERED: {
    type: configuration,
    message: (name: string, index: number, type: string) =>
      `cannot construct ${name}: constructor parameter #${index} (${type}) is not ` +
      `registered with this app; add ${type} to \`senders\`, \`handlers\` or \`providers\``,
  },

  // The running app.
  CAROM_ERR_UNDECLARED_EVENT: {
    type: usage,
    message: (action: string, name: string) =>
      `cannot ${action} '${name}': no sender, channel or topic family declares it`,
  },
  CAROM_ERR_BAD_SUBSCRIPTION: {
    type: usage,
    message: (action: string, problem: string) => `cannot ${action}: ${problem}`,
  },
  CAROM_ERR_NOT_JSON: {
    type: usage,
    message: (event: string, reason: string) =>
      `cannot publish '${event}': data is not JSON-serializable (${reason})`,
  },
  CAROM_ERR_NOT_A_CHANNEL: {
    type: usage,
    message: (name: string, owner: string) => `'${name}' is declared by ${owner}, not by a channel`,
  },
  CAROM_ERR_SENDER_NOT_REGISTERED: {
    type: usage,
    message: (name: string) =>
      `${name} is not registered with a running app: ` +
      'pass it in the `senders` option of new Carom(...)',
  },
  CAROM_ERR_NO_MESSAGE_DATA: {
    type: usage,
    message: (name: string) =>
      `${name}.createMessageData() is not implemented: ` +
      'override it, or call send(data) with the data',
  },
  CAROM_ERR_FOREIGN_CONNECTION: {
    type: usage,
    message: (where: string) => `${where}: that connection does not belong to this app`,
  },
  CAROM_ERR_NOT_AN_APP: {
    type: usage,
    message: (where: string) => `${where}: that is not a carom app`,
  },
  CAROM_ERR_ONE_NODE_WITHOUT_TIMED_SENDER: {
    type: configuration,
    message: (name: string) => `${name} has onOneNode but does not extend TimedSender`,
  },
  CAROM_ERR_NO_LEASE_STORE: {
    type: configuration,
    message: (name: string) =>
      `${name} runs onOneNode, which needs a broker that keeps leases across nodes, and this one does not`,
  },
  CAROM_ERR_NO_ONCE_STORE: {
    type: configuration,
    message: () =>
      'the once option needs a broker that keeps the keys of requests handled once, and this one does not (or set once: false)',
  },
  CAROM_ERR_NO_PRESENCE_STORE: {
    type: configuration,
    message: () =>
      'the presence option needs a broker that keeps presence across nodes, and this one does not',
  },
  CAROM_ERR_NO_HISTORY_STORE: {
    type: configuration,
    message: (where: string) =>
      `${where} declares a history, which needs a broker that keeps histories, and this one does not`,
  },
  CAROM_ERR_OBSERVER_BOUND: {
    type: usage,
    message: () => 'this observer already watches another app: make one per app',
  },
  CAROM_ERR_PEER_MISSING: {
    type: configuration,
    message: (entry: string, pkg: string, why: string) =>
      `${entry} needs the package ${pkg}, which could not be loaded (npm install ${pkg}): ${why}`,
  },
  CAROM_ERR_PRESENCE_NOT_TRACKED: {
    type: usage,
    message: (topic: string) =>
      `presence('${topic}'): the presence option does not track that topic`,
  },
  CAROM_ERR_NOT_STARTED: {
    type: usage,
    message: () => 'this app has not started: call listen, attach or start first',
  },
  CAROM_ERR_APP_CLOSED: {
    type: usage,
    message: () => 'this app is closed; create a new one',
  },
  CAROM_ERR_ALREADY_ATTACHED: {
    type: usage,
    message: () => 'this app is already attached to a server',
  },
  CAROM_ERR_GET_UNREGISTERED: {
    type: usage,
    message: (name: string) =>
      `app.get(${name}): ${name} is not registered with this app; ` +
      'pass it in `handlers`, `senders` or `providers`',
  },
  CAROM_ERR_BAD_APP_CODE: {
    type: usage,
    message: (got: unknown) =>
      `a ClientError's appCode must be an upper-case letter, then upper-case letters, digits ` +
      `and _, at most ${MAX_APP_CODE_LENGTH} characters (BID_TOO_LOW), got ${shown(got)}`,
  },
  CAROM_ERR_NEXT_TWICE: {
    type: usage,
    message: (interceptor: string, handler: string) =>
      `interceptor ${interceptor} called next() twice for ${handler}; the handler ran once`,
  },
  CAROM_ERR_NEXT_LATE: {
    type: usage,
    message: (interceptor: string, handler: string) =>
      `interceptor ${interceptor} called next() for ${handler} after it had answered; ` +
      'the handler did not run',
  },
  CAROM_ERR_START_HOOK_FAILED: {
    type: usage,
    message: (name: string) => `${name}.onStart() failed, so the app did not start`,
  },
  CAROM_ERR_BAD_ARGUMENT: {
    type: usage,
    message: (call: string, argument: string, expected: string, got: unknown) =>
      `${call}: ${argument} must be ${expected}, got ${shown(got)}`,
  },
  CAROM_ERR_ASYNCAPI_CONVERTER_MISSING: {
    type: usage,
    message: () =>
      'app.asyncapi() needs the package class-validator-jsonschema to describe DTOs: npm install class-validator-jsonschema',
  },
  CAROM_ERR_ASYNCAPI_NAME_CLASH: {
    type: usage,
    message: (name: string) =>
      `app.asyncapi(): two DTO classes are named ${name}, and the document names schemas by class; rename one`,
  },
  CAROM_ERR_BAD_CLIENT_ADDRESS: {
    type: usage,
    message: (got: string) => `clientAddress returned ${got}`,
  },

  // Typed end to end: families, scoped publishes, requests to clients.
  CAROM_ERR_FAMILY_WITHOUT_SENDER: {
    type: configuration,
    message: (name: string, pattern: string) =>
      `${name} has @Topic('${pattern}'), a topic family: extend FamilySender, not Sender`,
  },
  CAROM_ERR_NOT_A_FAMILY: {
    type: configuration,
    message: (name: string, event: string) =>
      `${name} extends FamilySender, so its @Topic must be a family such as 'room.*', not '${event}'`,
  },
  CAROM_ERR_NOT_A_MEMBER: {
    type: usage,
    message: (pattern: string, name: unknown) =>
      `${pattern}: ${shown(name)} is not an exact name under '${pattern.slice(0, -1)}'`,
  },
  CAROM_ERR_BAD_PUBLISH_TOPICS: {
    type: usage,
    message: (event: string, problem: string) => `publish('${event}'): topics ${problem}`,
  },
  CAROM_ERR_ASK_UNSUPPORTED: {
    type: usage,
    message: (connection: string, event: string) =>
      `ask('${event}'): ${connection} did not negotiate the carom subprotocol, so it cannot answer`,
  },
} as const satisfies Record<string, ErrorEntry>;

/**
 * Every error carom raises to the application, each once: its stable code (the
 * key, also the instance's `code`), its class and its message. Codes never
 * change meaning; messages may be reworded. Errors sent to clients are not
 * here: they are `CaromError`s with the wire's `ErrorCode`.
 */
export const CAROM_ERRORS: typeof ERROR_TABLE = ERROR_TABLE;

/** One entry of {@link CAROM_ERRORS}. */
export interface ErrorEntry {
  /** The class of the error. */
  readonly type: typeof ConfigurationError | typeof UsageError;
  /** The message, from the template's arguments. */
  readonly message: (...args: never[]) => string;
}

/** The stable code of an error carom raises to the application: a key of {@link CAROM_ERRORS}. */
export type AppErrorCode = keyof typeof CAROM_ERRORS;

type Entry<C extends AppErrorCode> = (typeof CAROM_ERRORS)[C];

/**
 * The error of table entry `code`, its message made from `args`, ready to throw.
 * `cause` is the error that led to it, when there is one.
 */
export function appError<C extends AppErrorCode>(
  code: C,
  ...args: Parameters<Entry<C>['message']>
): InstanceType<Entry<C>['type']> {
  return appErrorCausedBy(undefined, code, ...args);
}

/** {@link appError}, with the error that led to this one as its `cause`. */
export function appErrorCausedBy<C extends AppErrorCode>(
  cause: unknown,
  code: C,
  ...args: Parameters<Entry<C>['message']>
): InstanceType<Entry<C>['type']> {
  const entry: ErrorEntry = CAROM_ERRORS[code];
  const message = (entry.message as (...a: unknown[]) => string)(...args);
  const error =
    entry.type === UsageError
      ? new UsageError(message, code, cause === undefined ? undefined : { cause })
      : new ConfigurationError(message, code);
  return error as InstanceType<Entry<C>['type']>;
}
