import { CloseCode } from '../protocol/errors.js';
import { ClientError, ConnectionRefused } from './errors.js';
import { WELCOME } from '../protocol/names.js';
import { isInstance, outcomeOf, readString, whenSettled } from './guard.js';
import type { Peer } from './seam.js';
import { Connection, controlOf } from './connection.js';
import type { AskOptions, Asks } from './asks.js';
import type { Dispatcher } from './dispatcher.js';
import type { CaromLogger } from './logger.js';
import type { Publisher } from './publisher.js';
import type { CaromObserver } from './observer.js';
import type { LifecycleHook } from './registry.js';
import { Session } from './session.js';
import type { SubscriptionList, SubscriptionRequests } from './subscription-requests.js';
import type { Subscriptions } from './subscriptions.js';
import type { WireRecovery } from '../protocol/wire.js';
import type { HistorySubscribeOptions, HistorySubscriber } from './history-subscribe.js';

/** What the connection lifecycle needs from the app. */
export interface SessionParts {
  readonly dispatcher: Dispatcher;
  readonly index: Subscriptions<Session>;
  readonly requests: SubscriptionRequests;
  readonly publisher: Publisher;
  readonly asks: Asks;
  readonly connectHooks: readonly LifecycleHook[];
  readonly disconnectHooks: readonly LifecycleHook[];
  readonly logger: CaromLogger;
  /** Begins every connection id, so that ids are unique across the nodes of an application. */
  readonly idPrefix: string;
  /** Metrics and traces; undefined when nothing observes. */
  readonly observer?: CaromObserver | undefined;
  /** `connection.subscribeWithHistory`. */
  readonly histories: HistorySubscriber;
}

/**
 * Opens and closes connections: runs the connect hooks before the first
 * envelope is handled, and on close removes every subscription, watermark and
 * queued envelope before the disconnect hooks run.
 */
export class Sessions {
  /** Every open session of the app. */
  readonly all = new Set<Session>();
  private readonly byId = new Map<string, Session>();
  private nextId = 1;

  constructor(private readonly parts: SessionParts) {}

  /** Starts a connection over an admitted peer. */
  open(peer: Peer, user: unknown): Session {
    const session = new Session(peer, this);
    this.parts.dispatcher.attach(session);
    const connection = new Connection(
      // Short ids stay flat strings in memory; they name, they do not authenticate.
      `${this.parts.idPrefix}c${(this.nextId++).toString(36)}`,
      user,
      peer.remoteAddress,
      session,
      peer.clientId,
    );
    session.connection = connection;
    this.byId.set(connection.id, session);
    this.all.add(session);
    const obs = this.parts.observer;
    if (obs !== undefined) obs.opened(connection.id);
    const hooks = this.parts.connectHooks;
    if (hooks.length === 0) {
      this.welcome(session);
    } else {
      void this.runConnectHooks(session, hooks);
    }
    return session;
  }

  /** The open session of this node with that connection id, if there is one. */
  withId(id: string): Session | undefined {
    return this.byId.get(id);
  }

  /** The session behind a public connection of this app, if it is one. */
  sessionOf(connection: Connection): Session | undefined {
    const control = controlOf(connection);
    return control instanceof Session && control.isOf(this) ? control : undefined;
  }

  receiveText(session: Session, text: string): void {
    // The dispatcher answers every failure itself; this catch keeps a bug of carom's
    // own from escaping into the socket's event emitter and ending the process.
    try {
      this.parts.dispatcher.receiveText(session, text);
    } catch (err) {
      this.parts.logger.error(`carom failed on a frame from ${session.connection.id}`, err);
    }
  }

  receiveBinary(session: Session): void {
    try {
      this.parts.dispatcher.receiveBinary(session);
    } catch (err) {
      this.parts.logger.error(`carom failed on a frame from ${session.connection.id}`, err);
    }
  }

  closed(session: Session, code: number): void {
    const obs = this.parts.observer;
    if (obs !== undefined) obs.closed(session.connection.id, code);
    this.all.delete(session);
    this.byId.delete(session.connection.id);
    const held = this.parts.requests.list(session);
    session.finalSubscriptions = held;
    this.parts.index.removeAll(session);
    session.watermarks = undefined;
    session.inbound.close();
    this.parts.asks.closed(session);
    for (const hook of this.parts.disconnectHooks) {
      this.runHook(hook, session.connection);
    }
  }

  subscribeFor(session: Session, names: readonly string[]): void {
    this.parts.requests.serverSubscribe(session, names);
  }

  unsubscribeFor(session: Session, names: readonly string[]): void {
    this.parts.requests.serverUnsubscribe(session, names);
  }

  subscribeWithHistoryFor(
    session: Session,
    name: string,
    options: HistorySubscribeOptions,
  ): Promise<WireRecovery | undefined> {
    return this.parts.histories.subscribe(session, name, options);
  }

  subscriptionsOf(session: Session): SubscriptionList {
    return this.parts.requests.list(session);
  }

  sendTo(session: Session, event: string, data: unknown): boolean {
    const wrote = session.write(this.parts.publisher.frame(event, data));
    const obs = this.parts.observer;
    if (wrote && obs !== undefined) obs.sent(event, 1);
    return wrote;
  }

  askOf(
    session: Session,
    event: string,
    data: unknown,
    options: AskOptions | undefined,
  ): Promise<unknown> {
    return this.parts.asks.ask(session, event, data, options);
  }

  private async runConnectHooks(session: Session, hooks: readonly LifecycleHook[]): Promise<void> {
    for (const hook of hooks) {
      try {
        await hook.invoke(session.connection);
      } catch (err) {
        this.refuse(session, hook.name, err);
        return;
      }
      if (!session.open) return;
    }
    this.welcome(session);
  }

  /**
   * A connect hook that throws `ClientError` or `ConnectionRefused` refuses the
   * connection with 1008 and its message, which the client reads as a refusal
   * and does not retry; anything else is a failure of the server's (1011).
   */
  private refuse(session: Session, hook: string, err: unknown): void {
    let code: number = CloseCode.INTERNAL_ERROR;
    let reason = 'connect hook failed';
    if (isInstance(err, ClientError) || isInstance(err, ConnectionRefused)) {
      code = CloseCode.POLICY_VIOLATION;
      reason = readString(err, 'message') || 'refused';
      this.parts.logger.info(`${hook} refused ${session.connection.id}: ${reason}`);
    } else {
      this.parts.logger.error(`${hook} failed; closing the connection`, err);
    }
    session.close(code, reason);
  }

  /**
   * The connection is ready for its envelopes. A client that speaks carom's own
   * subprotocol is told so with `carom.welcome`, which is how its `ready()` can
   * tell an accepted connection from one about to be refused. The welcome goes
   * first: the replies to envelopes that waited for the hooks follow it.
   */
  private welcome(session: Session): void {
    if (session.peer.protocol === 'carom') {
      const welcome = this.parts.publisher.frame(WELCOME, { connection: session.connection.id });
      if (session.write(welcome)) this.parts.observer?.sent(WELCOME, 1);
    }
    session.inbound.open();
  }

  private runHook(hook: LifecycleHook, connection: Connection): void {
    const failed = (err: unknown): void => {
      this.parts.logger.error(`${hook.name} failed`, err);
    };
    let result: unknown;
    try {
      result = hook.invoke(connection);
    } catch (err) {
      failed(err);
      return;
    }
    const outcome = outcomeOf(result);
    if (outcome.kind === 'failed') failed(outcome.error);
    else if (outcome.kind === 'async') whenSettled(outcome.promise, () => undefined, failed);
  }
}
