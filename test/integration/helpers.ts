/**
 * Small helpers for tests over real sockets: a `ws` client that collects what
 * the server sends, and the close code and reason. The bounded waits and the
 * envelope type are in `test/support/`.
 */
import WebSocket from 'ws';
import type { Envelope } from '../support/envelope.js';
import { WAIT_MS, within } from '../support/wait.js';

/** How a socket closed. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

const open = new Set<WebSocket>();

/** A `ws` client that keeps every envelope it receives, in order. */
export class Client {
  /** Every envelope received, oldest first. */
  readonly messages: Envelope[] = [];
  /** Resolves once the socket has closed. */
  readonly closed: Promise<CloseInfo>;
  private readonly taken = new Set<number>();
  private readonly listeners = new Set<() => void>();

  constructor(readonly ws: WebSocket) {
    // Errors end in 'close', which `closed` reports.
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const text = (data as Buffer).toString();
      let envelope: Envelope;
      try {
        envelope = JSON.parse(text) as Envelope;
      } catch {
        envelope = { event: '<not JSON>', data: text, timestamp: '' };
      }
      this.messages.push(envelope);
      for (const listener of [...this.listeners]) listener();
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  /** The data of every received envelope of one event, oldest first. */
  dataOf(event: string): any[] {
    return this.messages.filter((e) => e.event === event).map((e) => e.data);
  }

  /** Sends an object as one JSON text frame. */
  send(envelope: object): void {
    this.ws.send(JSON.stringify(envelope));
  }

  /**
   * Resolves with the first envelope received (now or later) that matches and
   * that no earlier `next` returned. Fails after `ms`.
   */
  next(match: (e: Envelope) => boolean = () => true, ms = WAIT_MS): Promise<Envelope> {
    const found = new Promise<Envelope>((resolve) => {
      const look = (): boolean => {
        for (let i = 0; i < this.messages.length; i++) {
          if (!this.taken.has(i) && match(this.messages[i]!)) {
            this.taken.add(i);
            this.listeners.delete(check);
            resolve(this.messages[i]!);
            return true;
          }
        }
        return false;
      };
      const check = (): void => void look();
      if (!look()) this.listeners.add(check);
    });
    return within(
      found,
      `waiting for an envelope (received: ${JSON.stringify(this.messages)})`,
      ms,
    );
  }

  /** The next envelope of one event. */
  nextOf(event: string, ms = WAIT_MS): Promise<Envelope> {
    return this.next((e) => e.event === event, ms);
  }

  /** Sends an envelope with `id` and resolves with its reply (`ack` or `error`). */
  request(envelope: { event: string; data?: unknown; id: string | number }): Promise<Envelope> {
    const reply = this.next(
      (e) => (e.event === 'ack' || e.event === 'error') && e.id === envelope.id,
    );
    this.send(envelope);
    return reply;
  }

  /** Resolves with the close code and reason; fails when the socket is still open after `ms`. */
  closedWithin(ms = WAIT_MS): Promise<CloseInfo> {
    return within(this.closed, 'waiting for the socket to close', ms);
  }
}

/** Opens a client, offering `protocols` when given, and waits until it is open. */
export async function connect(
  url: string,
  options: WebSocket.ClientOptions = {},
  protocols?: string[],
): Promise<Client> {
  const ws = new WebSocket(url, protocols, options);
  open.add(ws);
  ws.once('close', () => open.delete(ws));
  const client = new Client(ws);
  await within(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    `opening ${url}`,
  );
  return client;
}

/** Opens a client of the `carom` subprotocol and waits for its `carom.welcome`. */
export async function connectCarom(url: string): Promise<Client> {
  const ws = new WebSocket(url, ['carom']);
  open.add(ws);
  ws.once('close', () => open.delete(ws));
  const client = new Client(ws);
  await client.nextOf('carom.welcome');
  return client;
}

/**
 * Attempts an upgrade that the server is expected to refuse; resolves with the
 * HTTP status. `options` are `ws`'s (an `origin`, say).
 */
export function upgradeStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  const ws = new WebSocket(url, options);
  open.add(ws);
  ws.on('error', () => undefined);
  const status = new Promise<number>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => reject(new Error(`${url} accepted the upgrade`)));
    ws.once('error', reject);
  });
  return within(status, `upgrading ${url}`).finally(() => open.delete(ws));
}

/** Ends every socket these helpers opened that is still open (for afterEach). */
export function terminateAll(): void {
  for (const ws of open) ws.terminate();
  open.clear();
}
