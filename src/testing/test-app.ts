import { Carom } from '../app.js';
import type { AnyEvents, EventMapOf } from '../protocol/event-map.js';
import type { Connection } from '../core/connection.js';
import type { CaromLogger } from '../core/logger.js';
import type { CaromOptions } from '../core/options.js';
import { CloseCode } from '../protocol/errors.js';
import { acceptorOf, type HandshakeRequest, type PeerAcceptor } from '../transport/index.js';
import { FakeClock, settle } from './fake-clock.js';
import { FakeSocket } from './fake-socket.js';
import { TestClient } from './test-client.js';

/** One line a test app's logger received. */
export interface LogLine {
  /** The logger method called. */
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  /** What it was called with. */
  readonly args: unknown[];
}

/** Options of `createTestApp`: the app's own, plus the fake clock's start. */
export interface TestAppOptions extends CaromOptions {
  /** Where the fake clock starts, epoch ms. */
  readonly startTime?: number;
}

/** How a test client connects. */
export interface ConnectOptions {
  /** Connect as this user, skipping `authenticate`. */
  readonly user?: unknown;
  /** Headers of the handshake `authenticate` reads (when `user` is not given). */
  readonly headers?: Record<string, string>;
  /** URL of the handshake, query string included. Default: the app's path. */
  readonly url?: string;
  /** The client's address. */
  readonly remoteAddress?: string;
  /**
   * The subprotocol the client negotiated. `'carom'` makes it a client of
   * carom's own: it gets `carom.welcome` first, and may be asked questions
   * (`connection.ask`, answered with `client.answer`). Default: none, a
   * plain (bounce-ws) client.
   */
  readonly protocol?: 'carom';
  /**
   * The client instance id carom's client sends at the handshake
   * (`carom.client.<id>`), with `protocol: 'carom'`: `connection.clientId`,
   * and the identity of an anonymous client's keyed requests (see the `once` option).
   */
  readonly clientId?: string;
}

/** A logger that keeps what it is told, for assertions. */
class CapturingLogger implements CaromLogger {
  readonly lines: LogLine[] = [];
  debug(...args: unknown[]): void {
    this.lines.push({ level: 'debug', args });
  }
  info(...args: unknown[]): void {
    this.lines.push({ level: 'info', args });
  }
  warn(...args: unknown[]): void {
    this.lines.push({ level: 'warn', args });
  }
  error(...args: unknown[]): void {
    this.lines.push({ level: 'error', args });
  }
}

/**
 * An app under test: the real `Carom` built from your classes, on a fake clock,
 * with clients over fake sockets. No port, no waiting. `M`, the
 * app's event map, types `app` and, unless `connect<Other>()` says otherwise, its clients.
 */
export class TestApp<M extends EventMapOf<M> = AnyEvents> {
  private readonly clients = new Set<TestClient<any>>();
  // The same seam any transport uses: the kit is a transport over in-memory sockets.
  private readonly acceptor: PeerAcceptor;

  /** @internal `createTestApp(options)` makes it. */
  constructor(
    /** The app itself. */
    readonly app: Carom<M>,
    /** Its clock; `advance` drives timed senders and ages envelopes. */
    readonly clock: FakeClock,
    private readonly captured: CapturingLogger | undefined,
  ) {
    this.acceptor = acceptorOf(app);
  }

  /** What the app logged (unless you passed your own logger). */
  get logs(): readonly LogLine[] {
    return this.captured?.lines ?? [];
  }

  /**
   * Connects a client. Without `user`, the app's `authenticate` runs on the
   * given headers and URL; a refusal yields a client already closed with 1008.
   *
   * It connects through the transport seam, as the `ws` server does, but it is
   * not the `ws` server: the checks made before a WebSocket exists (origin,
   * `clientAddress`, `maxConnections`, `maxConnectionsPerAddress`, the handshake
   * timeout) are HTTP refusals of that server and do not run here. Test those
   * over a real socket (`app.listen({ port: 0 })`).
   */
  async connect<C extends EventMapOf<C> = M>(options: ConnectOptions = {}): Promise<TestClient<C>> {
    const socket = new FakeSocket(
      this.acceptor.maxPayload,
      options.remoteAddress,
      options.protocol,
      options.protocol === 'carom' ? options.clientId : undefined,
    );
    let user = options.user;
    if (!('user' in options)) {
      const request: HandshakeRequest = {
        url: options.url ?? this.app.path,
        headers: Object.fromEntries(
          Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
        ),
        socket: { remoteAddress: options.remoteAddress },
      };
      const admission = await this.acceptor.admit(request);
      if (!admission.ok) {
        socket.close(CloseCode.POLICY_VIOLATION, admission.reason);
        return new TestClient<C>(socket, undefined, this.clock, this.idler);
      }
      user = admission.user;
    }
    const listener = this.acceptor.accept(socket, user);
    socket.bind(listener);
    const client = new TestClient<C>(
      socket,
      listener.connection as unknown as Connection<unknown, C>,
      this.clock,
      this.idler,
    );
    this.clients.add(client as TestClient<any>);
    await this.idle();
    return client;
  }

  /** Resolves when no connection has an envelope queued or being handled. */
  async idle(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      await settle(1);
      if (this.app.stats().pending === 0) {
        await settle(1);
        if (this.app.stats().pending === 0) return;
      }
    }
    throw new Error('the app is still handling envelopes after 1000 event-loop turns');
  }

  /**
   * Closes the app (every client sees 1001). Every wait a client still has
   * (`request`, `next`, an assertion) rejects, and no timer of the kit is left.
   */
  async close(): Promise<void> {
    try {
      await this.app.close();
    } finally {
      for (const client of this.clients) client.endWaits('the test app was closed');
    }
  }

  private readonly idler = (): Promise<void> => this.idle();
}

/**
 * Builds an app for a test: the same options as `new Carom`, a fake clock, and
 * a logger that keeps lines in `logs`. Timed senders are started, and the
 * broker, when one is given, has started.
 */
export async function createTestApp<M extends EventMapOf<M> = AnyEvents>(
  options: TestAppOptions = {},
): Promise<TestApp<M>> {
  const clock = new FakeClock(options.startTime);
  const captured = options.logger ? undefined : new CapturingLogger();
  const app = new Carom<M>({
    ...options,
    clock: options.clock ?? clock,
    logger: options.logger ?? captured,
  });
  app.start();
  await app.ready();
  return new TestApp<M>(app, clock, captured);
}
