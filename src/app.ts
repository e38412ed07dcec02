import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode, ErrorCode } from './protocol/errors.js';
import { appError, CaromError } from './core/errors.js';
import type { Frame } from './protocol/frame.js';
import { TimestampWriter } from './protocol/timestamp.js';
import { createHttpServer } from './transport/http-server.js';
import { CLIENT_MODULE_PATH } from './transport/client-module.js';
import { WsTransport } from './transport/ws-server.js';
import { AppAcceptor, registerAcceptor } from './core/acceptor.js';
import { LocalBroker, type Broker, type BrokerStats, type PresenceEntry } from './core/broker.js';
import { Presence } from './core/presence.js';
import { Channels } from './core/channels.js';
import { Backlog } from './core/backlog.js';
import { DeliveryPolicies, type DeliveryStats } from './core/delivery.js';
import { HistoryPolicies } from './core/history-policies.js';
import { Recovery } from './core/recovery.js';
import { HistorySubscriber } from './core/history-subscribe.js';
import { ClusterNode, ConnectionRef } from './core/cluster.js';
import { systemClock, type Clock } from './core/clock.js';
import type { Connection } from './core/connection.js';
import { Sessions } from './core/sessions.js';
import { Container, type Class } from './core/container.js';
import { Dispatcher } from './core/dispatcher.js';
import { drain } from './core/drain.js';
import { createLogger, type CaromLogger } from './core/logger.js';
import { resolveOptions, type CaromOptions, type ResolvedOptions } from './core/options.js';
import { Publisher } from './core/publisher.js';
import { Registry } from './core/registry.js';
import { bindSender } from './core/sender-binding.js';
import type { Session } from './core/session.js';
import { StaleFilter } from './core/stale-filter.js';
import { SubscriptionRequests } from './core/subscription-requests.js';
import { Subscriptions } from './core/subscriptions.js';
import { Scheduler } from './core/scheduler.js';
import { Topics } from './core/topics.js';
import { PayloadValidator } from './core/validation.js';
import { guardLogger } from './core/guard.js';
import { Replies } from './core/replies.js';
import { Asks } from './core/asks.js';
import { scopeOf, type PublishOptions } from './core/publish-options.js';
import type { AnyEvents, EventMapOf, PublishableEvent, PublishData } from './protocol/event-map.js';
import { Lifecycle } from './core/lifecycle.js';
import { observerOf } from './core/observer.js';
import { observedApp } from './core/observed-app.js';
import { NO_ONCE_STATS, onceGateOf, type OnceGate, type OnceStats } from './core/once-gate.js';
import { readTopic } from './core/metadata.js';
import type { AppModel } from './asyncapi/model.js';
import type { AsyncApiDocument, AsyncApiOptions } from './asyncapi/document.js';

const ignore = (): void => undefined;

/** Where `listen` binds. */
export interface ListenOptions {
  /** TCP port; 0 picks a free one. Default 8080. */
  readonly port?: number;
  /** Interface to bind. Default: all interfaces. */
  readonly host?: string;
  /**
   * Serve the app's AsyncAPI document ({@link Carom.asyncapi}) at this path,
   * such as `/asyncapi.json`. Default: not served.
   */
  readonly asyncapiPath?: string;
  /** What the served document says that the app cannot know (title, version, host). */
  readonly asyncapi?: AsyncApiOptions;
}

/** How `app.close` shuts down. */
export interface CloseOptions {
  /**
   * Milliseconds to drain connections before the rest are closed with 1001.
   * Connections are told to reconnect elsewhere (close 1012) one by one over
   * the period, each once what it sent has been answered. Default 0: close
   * everything with 1001 at once.
   */
  readonly graceMs?: number;
}

/** The app's own counters: what it holds now. */
export interface CaromStats {
  /** Open connections. */
  readonly connections: number;
  /** Subscriptions held, over all connections. */
  readonly subscriptions: {
    /** Exact names. */
    readonly exact: number;
    /** Patterns: `*` and `prefix.*`. */
    readonly patterns: number;
    /** Exact names carved out of patterns. */
    readonly exclusions: number;
  };
  /** Staleness watermarks: per-connection ones summed, plus the global ones. */
  readonly watermarks: number;
  /** Envelopes queued or being handled, over all connections. */
  readonly pending: number;
  /** TimedSender timers armed now. */
  readonly timers: number;
  /** Events whose recipient list is cached. */
  readonly cachedEvents: number;
}

/**
 * A carom application: the handlers, senders and services it was given, wired
 * together, and the dispatcher that serves them over WebSockets.
 *
 * ```ts
 * const app = new Carom({ handlers: [ChatHandler], senders: [ChatSender] });
 * await app.listen({ port: 8080 });
 * ```
 *
 * @typeParam M - the event map shared with the clients (`new Carom<Chat>(...)`):
 *   it types `publish`, `to(id).send` and the connections it lists.
 */
export class Carom<M extends EventMapOf<M> = AnyEvents> {
  /** Channels declared and removed at run time. */
  readonly channels: Channels;
  /** The logger carom writes to. */
  readonly logger: CaromLogger;
  /** The clock the app reads. */
  readonly clock: Clock;
  /** Largest accepted frame in bytes. */
  readonly maxPayload: number;
  /** The URL path WebSocket connections are taken on. */
  readonly path: string;

  private readonly options: ResolvedOptions;
  private readonly container = new Container();
  private readonly topics: Topics;
  private readonly index = new Subscriptions<Session>();
  private readonly policies = new DeliveryPolicies();
  private readonly histories: HistoryPolicies;
  private readonly publisher: Publisher;
  private readonly sessions: Sessions;
  private readonly dispatcher: Dispatcher;
  private readonly asks: Asks;
  private readonly stale: StaleFilter;
  private readonly scheduler: Scheduler;
  private readonly acceptor: AppAcceptor;
  private readonly transport: WsTransport;
  private readonly broker: Broker;
  private readonly cluster: ClusterNode;
  private readonly life: Lifecycle;
  private readonly registry: Registry;
  private readonly senderClasses: readonly Class[];
  private brokerStarted: Promise<void> | undefined;
  private presenceTracker: Presence | undefined;
  private readonly once: OnceGate | undefined;
  private ownServer: Server | undefined;
  private started = false;
  private closing: Promise<void> | undefined;

  /** Builds the app. Every mistake in how it is put together throws here, with what to fix. */
  constructor(options: CaromOptions = {}) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.logger = guardLogger(o.logger ?? createLogger(o.logLevel));
    this.clock = o.clock ?? systemClock;
    this.maxPayload = o.maxPayload;
    this.path = o.path;
    this.topics = new Topics(o.allowUndeclared);
    this.broker = o.broker ?? new LocalBroker({ clock: this.clock });
    this.histories = new HistoryPolicies(this.broker.history !== undefined);
    for (const entry of o.topics) {
      const t = typeof entry === 'string' ? entry : entry.name;
      if (t.endsWith('.*')) this.topics.declareFamily(t);
      else this.topics.declare(t, { kind: 'option', by: 'the topics option' });
      if (typeof entry !== 'string') {
        this.policies.set(t, entry, `the topics option's '${t}'`);
        this.histories.set(t, entry.history, `the topics option's '${t}'`);
      }
    }
    const timestamps = new TimestampWriter(o.timestampFormat);
    const observer = observerOf(o.observers);
    const backlog = new Backlog(
      { backlogBytes: o.backlogBytes, maxWaiting: o.maxWaitingKeys },
      this.logger,
    );
    this.publisher = new Publisher(this.index, this.clock, timestamps, this.broker, {
      policies: this.policies,
      backlog,
    });
    this.publisher.observer = observer;
    if (this.broker.history !== undefined) {
      this.publisher.history = { policies: this.histories, store: this.broker.history };
    }
    this.stale = new StaleFilter(o.staleness);
    this.scheduler = new Scheduler(this.clock, this.logger, this.broker.leases);
    const requests = new SubscriptionRequests(this.index, this.topics, o.canSubscribe, {
      maxLength: o.maxEventLength,
      maxSubscriptions: o.maxSubscriptions,
    });

    this.container.provide(Carom, this);
    const senderClasses = this.container.registerAll('senders', o.senders);
    const handlerClasses = this.container.registerAll('handlers', o.handlers);
    const providerClasses = this.container.registerAll('providers', o.providers);
    const senderParts = {
      container: this.container,
      topics: this.topics,
      publisher: this.publisher,
      // The connections are built below, once the handlers are; sendTo runs later still.
      sessionOf: (connection: Connection) => this.sessions.sessionOf(connection),
      sendToId: (connectionId: string, frame: Frame) =>
        this.cluster.route(connectionId, { kind: 'send', frame: frame.text }),
      index: this.index,
      scheduler: this.scheduler,
      policies: this.policies,
      histories: this.histories,
    };
    for (const cls of senderClasses) bindSender(cls, senderParts);
    this.senderClasses = senderClasses;
    // Built now, not on first use, so a provider that cannot be made fails here.
    for (const cls of providerClasses) this.container.get(cls);
    this.registry = new Registry({
      interceptors: o.interceptors,
      handlerTimeoutMs: o.handlerTimeoutMs,
      logger: this.logger,
    });
    const registry = this.registry;
    for (const cls of handlerClasses) {
      if (registry.add(this.container.get(cls)) === 0) {
        throw appError('CAROM_ERR_NOT_A_HANDLER', cls.name);
      }
    }

    if (registry.unvalidated.length > 0) {
      const error = appError('CAROM_ERR_UNVALIDATED_HANDLERS', registry.unvalidated);
      if (o.unvalidatedHandlers === 'error') throw error;
      this.logger.warn(error.message);
    }
    this.once = onceGateOf(o.once, this.broker, this.clock, this.logger);
    const replies = new Replies({
      clock: this.clock,
      timestamps,
      logger: this.logger,
      exposeErrors: o.exposeErrors,
      observer,
      once: this.once,
    });
    this.asks = new Asks(this.clock, this.publisher, replies, {
      maxPending: o.maxPendingAsks,
      timeoutMs: o.askTimeoutMs,
    });
    const recovery = new Recovery({
      policies: this.histories,
      store: this.broker.history,
      backlogBytes: o.backlogBytes,
      drainTimeoutMs: o.handlerTimeoutMs,
      clock: this.clock,
      logger: this.logger,
    });
    this.dispatcher = new Dispatcher({
      registry,
      requests,
      stale: this.stale,
      validator: new PayloadValidator(o.unknownProperties, o.maxValidatedValues),
      replies,
      clock: this.clock,
      logger: this.logger,
      maxEventLength: o.maxEventLength,
      maxDepth: o.maxDepth,
      maxClockSkewMs: o.maxClockSkewMs,
      maxInFlight: o.maxInFlight,
      maxQueued: o.maxQueued,
      rateLimit: o.rateLimit,
      canHandle: o.canHandle,
      asks: this.asks,
      handlerTimeoutMs: o.handlerTimeoutMs,
      observer,
      recovery,
      once: this.once,
    });
    this.sessions = new Sessions({
      dispatcher: this.dispatcher,
      index: this.index,
      requests,
      publisher: this.publisher,
      asks: this.asks,
      connectHooks: registry.connectHooks,
      disconnectHooks: registry.disconnectHooks,
      logger: this.logger,
      idPrefix: this.broker.nodeId === '' ? '' : `${this.broker.nodeId}:`,
      observer,
      histories: new HistorySubscriber({
        requests,
        policies: this.histories,
        store: this.broker.history,
        recovery,
        logger: this.logger,
      }),
    });
    this.channels = new Channels(
      this.topics,
      this.index,
      this.publisher,
      this.sessions.all,
      o.maxChannels,
      this.broker,
      this.policies,
      this.histories,
    );
    if (o.presence.length > 0) {
      const store = this.broker.presence;
      if (store === undefined) throw appError('CAROM_ERR_NO_PRESENCE_STORE');
      this.presenceTracker = new Presence({
        topics: o.presence,
        notices: o.presenceNotices,
        store,
        nodeId: this.broker.nodeId,
        publisher: this.publisher,
        clock: this.clock,
        timestamps,
        logger: this.logger,
      });
      this.index.observer = this.presenceTracker;
    }
    this.cluster = new ClusterNode({
      broker: this.broker,
      publisher: this.publisher,
      sessions: this.sessions,
      requests,
      channels: this.channels,
      topics: this.topics,
      logger: this.logger,
    });
    this.acceptor = new AppAcceptor({
      maxPayload: o.maxPayload,
      authenticate: o.authenticate,
      logger: this.logger,
      sessions: this.sessions,
    });
    registerAcceptor(this, this.acceptor);
    // Last, once every object is made: their order is the order they were made in.
    this.life = new Lifecycle(
      this.container.made().filter((made) => made !== this),
      this.clock,
      this.logger,
      o.lifecycleTimeoutMs,
    );
    this.transport = new WsTransport(this.acceptor, {
      path: o.path,
      heartbeatMs: o.heartbeatMs,
      maxBufferedBytes: o.maxBufferedBytes,
      maxConnections: o.maxConnections,
      maxConnectionsPerAddress: o.maxConnectionsPerAddress,
      clientAddress: o.clientAddress,
      allowedOrigins: o.allowedOrigins,
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      logger: this.logger,
    });
    observer?.bind(
      observedApp({
        stats: () => this.stats(),
        broker: this.broker,
        deliveryStats: () => this.deliveryStats(),
        transport: this.transport,
        handlers: registry.handlers,
        topics: this.topics,
      }),
    );
  }

  /**
   * Starts an HTTP server that serves WebSockets on the app's path and the
   * browser client at `/carom/client.js`, and starts the timed senders. Resolves with the bound address (`port: 0` picks one).
   */
  async listen(options: ListenOptions = {}): Promise<AddressInfo> {
    let routes: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
    if (options.asyncapiPath !== undefined) {
      // A path the server answers already would hide the document or the WebSocket path's 426.
      if (options.asyncapiPath === this.path || options.asyncapiPath === CLIENT_MODULE_PATH) {
        throw appError(
          'CAROM_ERR_BAD_ARGUMENT',
          'listen',
          'asyncapiPath',
          `a path other than ${this.path} and ${CLIENT_MODULE_PATH}`,
          options.asyncapiPath,
        );
      }
      const { asyncApiRoute } = await import('./asyncapi/route.js');
      routes = asyncApiRoute(this, { ...options.asyncapi, path: options.asyncapiPath });
    }
    const server = createHttpServer({ ...this.options, routes });
    this.attach(server);
    this.ownServer = server;
    await this.ready();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8080, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    this.logger.info(
      `carom listening on ws://${address.address}:${address.port}${this.options.path}`,
    );
    return address;
  }

  /**
   * Serves WebSockets on an HTTP server you already have (plain `node:http`,
   * Express's or Fastify's), on the app's path, and starts the timed senders.
   */
  attach(server: Server): this {
    this.transport.attach(server);
    this.start();
    return this;
  }

  /**
   * Starts the broker, the providers (each `onStart()`, in dependency order)
   * and then the timed senders, without a server (the testing kit does this).
   * `listen` waits for them; here, {@link ready} does.
   */
  start(): this {
    if (this.closing) throw appError('CAROM_ERR_APP_CLOSED');
    if (!this.started) {
      this.started = true;
      // A broker that throws instead of rejecting is read the same way: ready() rejects
      // with it, and it is logged here so that an app nobody awaits still says why.
      const broker = Promise.resolve()
        .then(() => this.broker.start(this.cluster))
        .catch((err: unknown) => {
          this.logger.error('the broker failed to start: this node relays nothing', err);
          throw err;
        });
      // Providers start beside the broker (onStart, in dependency order); timed
      // senders tick once they all have.
      const providers = this.life.start();
      providers.then(() => {
        if (!this.closing) this.scheduler.start();
      }, ignore);
      this.brokerStarted = Promise.all([broker, providers]).then(ignore);
      this.brokerStarted.catch(ignore);
    }
    return this;
  }

  /**
   * Resolves once the app has started and its broker relays to the other
   * nodes (at once for a lone node) and every `onStart()` has succeeded;
   * rejects when the broker could not start (a mistake in how it was
   * configured) or an `onStart()` failed (`CAROM_ERR_START_HOOK_FAILED`).
   * `listen` waits for it itself.
   */
  ready(): Promise<void> {
    return this.brokerStarted ?? Promise.reject(appError('CAROM_ERR_NOT_STARTED'));
  }

  /**
   * A connection by its id, on this node or any other node of the application
   * (ids are unique across nodes): send to it, subscribe or unsubscribe it, or
   * close it, wherever it is held.
   */
  to(connectionId: string): ConnectionRef<M> {
    return new ConnectionRef<M>(connectionId, this.cluster, this.publisher);
  }

  /**
   * The connections holding an exact subscription to `topic`, on every node,
   * with their users. The topic must be one the `presence` option tracks.
   */
  presence(topic: string): Promise<PresenceEntry[]> {
    const tracker = this.presenceTracker;
    if (tracker === undefined || !tracker.tracks(topic)) {
      return Promise.reject(appError('CAROM_ERR_PRESENCE_NOT_TRACKED', topic));
    }
    return tracker.list(topic);
  }

  /**
   * The AsyncAPI 3.0 document of the app: every event a client may send, with
   * the schema of its DTO and of its ack where `@On` names one (`ack`); every
   * event it publishes (senders, the `topics` option's names and families,
   * the channels declared now); carom's reserved events; the error envelope
   * with its codes; the WebSocket server, its path and its security schemes.
   * Schemas come from class-validator's metadata through
   * class-validator-jsonschema, an optional peer dependency loaded on the
   * first call (without it, this rejects with
   * `CAROM_ERR_ASYNCAPI_CONVERTER_MISSING`).
   */
  async asyncapi(options: AsyncApiOptions = {}): Promise<AsyncApiDocument> {
    const { asyncApiDocument } = await import('./asyncapi/document.js');
    return asyncApiDocument(this.model(), options);
  }

  /** What the AsyncAPI document reads of the app, as plain data. */
  private model(): AppModel {
    const o = this.options;
    const handlers = new Map(
      [...this.registry.handlers].map(([event, entries]) => [
        event,
        entries.map(({ name, dto, ack }) => ({ name, dto, ack })),
      ]),
    );
    const senders = this.senderClasses.map((cls) => {
      const topic = readTopic(cls)!;
      const { everyMs, dto } = topic.options;
      return { event: topic.event, by: cls.name, everyMs, dto };
    });
    const topicNames = o.topics.map((t) => (typeof t === 'string' ? t : t.name));
    const address = this.ownServer?.address();
    let listening: string | undefined;
    if (address !== null && typeof address === 'object') {
      const host =
        address.address === '::' || address.address === '0.0.0.0' ? 'localhost' : address.address;
      listening = `${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    }
    return {
      handlers,
      senders,
      optionTopics: topicNames.filter((t) => !t.endsWith('.*')),
      families: topicNames.filter((t) => t.endsWith('.*')),
      channels: this.channels.list(),
      presenceNotices: o.presenceNotices ? o.presence : [],
      path: o.path,
      authenticates: o.authenticate !== undefined,
      allowUndeclared: o.allowUndeclared,
      unknownProperties: o.unknownProperties,
      maxEventLength: o.maxEventLength,
      maxSubscriptions: o.maxSubscriptions,
      maxPayload: o.maxPayload,
      maxDepth: o.maxDepth,
      listening,
    };
  }

  /**
   * What handling keyed envelopes once has done since the app started:
   * handled, repeats answered or dropped, waits, releases, store failures.
   * All zero when keys are not handled once.
   */
  onceStats(): OnceStats {
    return this.once?.stats() ?? { ...NO_ONCE_STATS };
  }

  /** What the broker relayed to the other nodes, received from them, and lost. */
  brokerStats(): BrokerStats {
    return this.broker.stats();
  }

  /**
   * Shuts down: stops accepting connections, drains the open ones for
   * `graceMs` (see {@link CloseOptions}), answers whatever is still queued with
   * `UNAVAILABLE`, closes the rest with 1001, stops the timers and, when
   * `listen` made the server, closes it; then runs each started object's
   * `onClose()`, in the reverse of the start order. The process can then exit by itself.
   * Later calls return the same promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const graceMs = options.graceMs ?? 0;
    if (!(graceMs >= 0) || !Number.isFinite(graceMs)) {
      return Promise.reject(
        appError('CAROM_ERR_BAD_ARGUMENT', 'close', 'graceMs', '0 or a positive number', graceMs),
      );
    }
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.acceptor.stop();
    this.transport.stopAccepting();
    if (graceMs > 0) {
      await drain([...this.sessions.all], this.clock, graceMs);
    }
    this.scheduler.stop();
    const gone = new CaromError(ErrorCode.UNAVAILABLE, 'the server shut down before handling this');
    for (const session of [...this.sessions.all]) {
      this.dispatcher.refuseQueued(session, gone);
      session.close(CloseCode.GOING_AWAY, 'server shutting down');
    }
    this.dispatcher.stop();
    this.transport.close(CloseCode.GOING_AWAY, 'server shutting down');
    await this.transport.drained(2000);
    const server = this.ownServer;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.life.close();
    try {
      await this.broker.close();
    } catch (err) {
      this.logger.error('the broker failed to close', err);
    }
  }

  /**
   * Publishes an event to its subscribers on every node; returns how many of
   * this node's connections received it. `options` sends it to several
   * topics' subscribers at once (each once), or to all but one connection
   * (see {@link PublishOptions}); both hold across nodes.
   */
  publish<E extends PublishableEvent<M>>(
    event: E,
    data: PublishData<M, E>,
    options?: PublishOptions,
  ): number {
    if (!this.topics.isDeclared(event)) {
      throw appError('CAROM_ERR_UNDECLARED_EVENT', 'publish', event);
    }
    const scope = scopeOf(event, options, this.topics);
    if (scope !== undefined) return this.publisher.publishScoped(event, data, scope);
    return this.publisher.publish(event, data);
  }

  /** The connections that would receive `event` now. */
  subscribers(event: string): Connection<unknown, M>[] {
    return this.index
      .recipients(event)
      .map((s) => s.connection as unknown as Connection<unknown, M>);
  }

  /** Every open connection. */
  get openConnections(): Connection<unknown, M>[] {
    return [...this.sessions.all].map((s) => s.connection as unknown as Connection<unknown, M>);
  }

  /** Requests made of clients with `connection.ask` still waiting for their answer. */
  get pendingAsks(): number {
    return this.asks.pending;
  }

  /**
   * The instance the app made of a registered class (a sender, a handler, a
   * provider). A class never registered throws `CAROM_ERR_GET_UNREGISTERED`.
   */
  get<T extends object>(cls: Class<T>): T {
    return this.container.lookup(cls);
  }

  /**
   * What the delivery policies did: connections backlogged now, messages
   * waiting for them, and per topic with a `latest` or `drop` policy the
   * messages conflated, dropped and deferred since the app started.
   */
  deliveryStats(): DeliveryStats {
    let backlogged = 0;
    let waiting = 0;
    for (const s of this.sessions.all) {
      if (s.outbound === undefined) continue;
      backlogged++;
      waiting += s.outbound.size;
    }
    return { backlogged, waiting, topics: this.policies.counts() };
  }

  /** What the app holds now; every figure drops back when connections close. */
  stats(): CaromStats {
    let watermarks = this.stale.globalWatermarks;
    let pending = 0;
    for (const s of this.sessions.all) {
      watermarks += s.watermarks?.size ?? 0;
      pending += s.inbound.pending;
    }
    const counts = this.index.counts();
    return {
      connections: this.sessions.all.size,
      subscriptions: {
        exact: counts.exact,
        patterns: counts.patterns,
        exclusions: counts.exclusions,
      },
      watermarks,
      pending,
      timers: this.scheduler.activeTimers,
      cachedEvents: counts.cachedEvents,
    };
  }
}
