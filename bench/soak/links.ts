/**
 * One well-behaved connection, whatever library opens it: a raw `ws` socket
 * speaking carom's envelopes by hand, or carom's own client. Both report ticks
 * in arrival order and resolve requests with the ack's data.
 */
import WebSocket from 'ws';
import { connect, type CaromClient } from '../../src/client/index.js';
import { TICK, type ClientKind } from './protocol.js';

/** A refused or failed request: `code` is the server's error code, `TIMEOUT` or `CLOSED`. */
export class LinkError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a session needs from a connection. */
export interface Link {
  /** Resolves once the connection is open and usable; rejects after `timeoutMs`. */
  open(timeoutMs: number): Promise<void>;
  /** Sends a request with an id; resolves with the ack's data, rejects with a {@link LinkError}. */
  request(event: string, data: unknown, timeoutMs: number): Promise<unknown>;
  /** Closes normally; resolves once closed (or after a bound, the socket then dropped). */
  close(): Promise<void>;
}

/** What a link tells its session. */
export interface LinkEvents {
  tick(seq: number): void;
  /** The connection closed without `close()` being called. */
  lost(code: number, reason: string): void;
}

/** Opens a link of `kind` to `url`. */
export function openLink(kind: ClientKind, url: string, events: LinkEvents): Link {
  return kind === 'ws' ? new WsLink(url, events) : new CaromLink(url, events);
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LinkError('TIMEOUT', `${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

interface Pending {
  resolve(data: unknown): void;
  reject(err: LinkError): void;
  timer: NodeJS.Timeout;
}

/** carom's envelopes written by hand on a `ws` socket, as a bounce-ws client would. */
class WsLink implements Link {
  private readonly ws: WebSocket;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private readonly closed: Promise<void>;

  constructor(
    url: string,
    private readonly events: LinkEvents,
  ) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.fail('CLOSED', `closed (${code})`);
        if (!this.closing) this.events.lost(code, reason.toString());
        resolve();
      });
    });
  }

  open(timeoutMs: number): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    const opened = new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      void this.closed.then(() => reject(new LinkError('CLOSED', 'closed while opening')));
    });
    return timeout(opened, timeoutMs, 'open');
  }

  request(event: string, data: unknown, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) {
        reject(new LinkError('CLOSED', `'${event}' not sent: not open`));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LinkError('TIMEOUT', `no reply to '${event}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ event, data, id }));
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    const done = await Promise.race([this.closed.then(() => true), sleepFor(5000)]);
    if (!done) this.ws.terminate();
  }

  private receive(data: Buffer, isBinary: boolean): void {
    let msg: { event?: unknown; id?: unknown; data?: any };
    try {
      msg = JSON.parse(isBinary ? '' : data.toString()) as typeof msg;
    } catch {
      this.events.tick(NaN);
      return;
    }
    if (msg.event === TICK) {
      this.events.tick(typeof msg.data?.seq === 'number' ? msg.data.seq : NaN);
      return;
    }
    if ((msg.event === 'ack' || msg.event === 'error') && typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.event === 'ack') p.resolve(msg.data);
      else p.reject(new LinkError(String(msg.data?.code), String(msg.data?.message)));
    }
  }

  private fail(code: string, message: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new LinkError(code, message));
    }
  }
}

/** carom's own client, without its automatic reconnect: sessions reconnect themselves. */
class CaromLink implements Link {
  private readonly client: CaromClient;
  private closing = false;

  constructor(url: string, events: LinkEvents) {
    this.client = connect(url, { reconnect: false, requestTimeoutMs: 10_000 });
    this.client.on(TICK, (data: { seq?: unknown }) =>
      events.tick(typeof data?.seq === 'number' ? data.seq : NaN),
    );
    this.client.onState((state, info) => {
      if ((state === 'closed' || state === 'reconnecting') && !this.closing) {
        events.lost(info?.code ?? 0, info?.reason ?? '');
      }
    });
  }

  open(timeoutMs: number): Promise<void> {
    return timeout(this.client.ready(), timeoutMs, 'open').catch((err: unknown) => {
      throw err instanceof LinkError ? err : new LinkError('CLOSED', String(err));
    });
  }

  async request(event: string, data: unknown, timeoutMs: number): Promise<unknown> {
    try {
      return await this.client.request(event, data, { timeoutMs });
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown };
      throw new LinkError(String(e.code), String(e.message));
    }
  }

  close(): Promise<void> {
    this.closing = true;
    this.client.close();
    return Promise.resolve();
  }
}

function sleepFor(ms: number): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), ms));
}
