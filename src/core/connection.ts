import { CloseCode } from '../protocol/errors.js';

/**
 * What a connection lets server code do; the app implements it. Kept as an
 * interface so `Connection` stays a thin public face over the app's state.
 */
export interface ConnectionControl {
  subscribe(names: readonly string[]): void;
  unsubscribe(names: readonly string[]): void;
  subscriptions(): string[];
  excluded(): string[];
  send(event: string, data: unknown): boolean;
  close(code: number, reason: string): void;
  isOpen(): boolean;
}

/**
 * One client connection, as handlers, hooks and senders see it.
 *
 * @typeParam U - the type `authenticate` returns for the user.
 */
export class Connection<U = unknown> {
  readonly #control: ConnectionControl;
  #state: Map<string, unknown> | undefined;

  /** @internal Created by the app; applications never construct connections. */
  constructor(
    /** Unique within the app (`c1`, `c2`, ...): a name, not a secret. */
    readonly id: string,
    /** What `authenticate` returned, or `undefined` without authentication. */
    readonly user: U,
    /** The client's address as the transport reports it. */
    readonly remoteAddress: string | undefined,
    control: ConnectionControl,
  ) {
    this.#control = control;
  }

  /**
   * Subscribes this connection to names or patterns from server code (rooms:
   * `connection.subscribe('room.lobby')`). Names follow the protocol's rules;
   * a malformed name, or an undeclared exact one unless the app allows
   * undeclared names, throws a `UsageError`.
   */
  subscribe(...names: string[]): void {
    this.#control.subscribe(names);
  }

  /** Removes subscriptions, with the protocol's rules for `*` and exclusions. */
  unsubscribe(...names: string[]): void {
    this.#control.unsubscribe(names);
  }

  /** Free-form per-connection state for the application (a name picked in a chat, say). */
  get state(): Map<string, unknown> {
    return (this.#state ??= new Map());
  }

  /** Exact names and patterns this connection is subscribed to. */
  get subscriptions(): string[] {
    return this.#control.subscriptions();
  }

  /** @deprecated Since 0.2: read {@link Connection.subscriptions}, the same list. */
  get topics(): string[] {
    return this.#control.subscriptions();
  }

  /** Exact names excluded from this connection's wildcard subscriptions. */
  get excluded(): string[] {
    return this.#control.excluded();
  }

  /** True until the socket closes. */
  get open(): boolean {
    return this.#control.isOpen();
  }

  /**
   * Sends one event to this connection alone, whatever it subscribed to.
   * Returns false when the connection is already closed.
   */
  send(event: string, data: unknown): boolean {
    return this.#control.send(event, data);
  }

  /** Closes the connection (1000, normal closure, by default). */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    this.#control.close(code, reason);
  }
}
