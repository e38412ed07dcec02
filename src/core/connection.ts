import { CloseCode } from '../protocol/errors.js';
import type {
  AnswerData,
  AnyEvents,
  AskableEvent,
  AskData,
  EventMapOf,
  PublishableEvent,
  PublishData,
} from '../protocol/event-map.js';
import { AssignsMap, newAssigns } from './assigns.js';
import type { AskOptions } from './asks.js';
import type { WireRecovery } from '../protocol/wire.js';
import type { HistorySubscribeOptions } from './history-subscribe.js';

/**
 * What a connection lets server code do; the app's session implements it. Kept
 * as an interface so `Connection` stays a thin public face over the app's state.
 */
export interface ConnectionControl {
  subscribe(names: readonly string[]): void;
  unsubscribe(names: readonly string[]): void;
  subscribeWithHistory(
    name: string,
    options: HistorySubscribeOptions,
  ): Promise<WireRecovery | undefined>;
  subscriptions(): string[];
  exclusions(): string[];
  send(event: string, data: unknown): boolean;
  ask(event: string, data: unknown, options: AskOptions | undefined): Promise<unknown>;
  close(code: number, reason: string): void;
  isOpen(): boolean;
}

let controlOfConnection: (value: unknown) => ConnectionControl | undefined;

/**
 * What stands behind a connection (for the app: its session); undefined for
 * anything that is not a `Connection`. Not exported by the package: only
 * carom's core reads it, to find a connection's session without a table of
 * every connection.
 */
export function controlOf(value: unknown): ConnectionControl | undefined {
  return controlOfConnection(value);
}

/**
 * One client connection, as handlers, hooks and senders see it.
 *
 * @typeParam U - the type `authenticate` returns for the user.
 * @typeParam M - the app's event map: it types `send` and `ask`.
 * @typeParam A - the shape of `assigns`, the application's own per-connection state.
 */
export class Connection<
  U = unknown,
  M extends EventMapOf<M> = AnyEvents,
  A extends object = Record<string, unknown>,
> {
  readonly #control: ConnectionControl;
  #assigns: A | undefined;
  #state: AssignsMap | undefined;

  static {
    controlOfConnection = (value) =>
      typeof value === 'object' && value !== null && #control in value ? value.#control : undefined;
  }

  /** @internal Created by the app; applications never construct connections. */
  constructor(
    /** Unique within the app (`c1`, `c2`, ...): a name, not a secret. */
    readonly id: string,
    /** What `authenticate` returned, or `undefined` without authentication. */
    readonly user: U,
    /** The client's address as the transport reports it. */
    readonly remoteAddress: string | undefined,
    control: ConnectionControl,
    /**
     * The instance id carom's client sent at the handshake (its
     * `carom.client.<id>` subprotocol entry), the same across its
     * reconnects; `undefined` for other clients. Chosen by the client: it
     * tells one anonymous client from another, it proves nothing.
     */
    readonly clientId: string | undefined = undefined,
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

  /**
   * Subscribes this connection to one exact name from server code and replays
   * its history, as a client's `subscribe` with `resume` or `recent` does (no
   * gap or duplicate at the seam): what followed `since` (a position the
   * client sent back, as when it rejoins a room after a reconnect), or the
   * newest `recent` messages, also when what followed `since` is gone. The
   * replayed messages are written before the promise resolves, with what became
   * of the event (`recovered`, `reason`, the position now): return it in the
   * handler's ack, so the client can say that messages may be missing.
   * Resolves undefined when nothing can be replayed to this connection (it did
   * not negotiate the `carom` subprotocol) or nothing was asked of an event
   * without a history. Throws a `UsageError` as `subscribe` does, and for a
   * pattern or a malformed option.
   */
  subscribeWithHistory(
    name: string,
    options: HistorySubscribeOptions = {},
  ): Promise<WireRecovery | undefined> {
    return this.#control.subscribeWithHistory(name, options);
  }

  /** Removes subscriptions, with the protocol's rules for `*` and exclusions. */
  unsubscribe(...names: string[]): void {
    this.#control.unsubscribe(names);
  }

  /**
   * The application's own state for this connection, typed by `A` (Phoenix's
   * assigns): `connection.assigns.name = 'ann'`. It starts empty, so declare
   * as optional every field not set in a connect hook. The object has no
   * prototype: any key is an ordinary key.
   */
  get assigns(): A {
    return (this.#assigns ??= newAssigns<A>());
  }

  /**
   * @deprecated Since 0.2: use {@link Connection.assigns}, which is typed. This
   * `Map` reads and writes the same store, so both see the same values.
   */
  get state(): Map<string, unknown> {
    return (this.#state ??= new AssignsMap(this.assigns as Record<string, unknown>));
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
    return this.#control.exclusions();
  }

  /** True until the socket closes. */
  get open(): boolean {
    return this.#control.isOpen();
  }

  /**
   * Sends one event to this connection alone, whatever it subscribed to.
   * Returns false when the connection is already closed.
   */
  send<E extends PublishableEvent<M>>(event: E, data: PublishData<M, E>): boolean {
    return this.#control.send(event, data);
  }

  /**
   * Asks this client a question and resolves with its answer (Socket.IO's
   * `emitWithAck`): the client answers with the handler it registered with
   * `client.answer(event, fn)`. Rejects with an `AskError` on timeout
   * (`askTimeoutMs` by default), when the connection closes first, when it
   * already has `maxPendingAsks` questions waiting, or when the client answers
   * with an error. The answer is the client's JSON, unchecked: validate it as
   * you would a payload. Throws a `UsageError` for a connection that did not
   * negotiate the `carom` subprotocol (a bounce-ws client cannot answer).
   */
  ask<K extends AskableEvent<M>>(
    event: K,
    data: AskData<M, K>,
    options?: AskOptions,
  ): Promise<AnswerData<M, K>> {
    return this.#control.ask(event, data, options) as Promise<AnswerData<M, K>>;
  }

  /** Closes the connection (1000, normal closure, by default). */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    this.#control.close(code, reason);
  }
}
