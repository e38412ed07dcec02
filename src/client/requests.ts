/**
 * Requests in flight: each gets an id, a timer and a promise, and is settled
 * by the `ack` or `error` that carries its id, by its timeout, or when the
 * connection ends. One sent with a key (to be retried) outlives its
 * connection: it is kept, its timer still running, and sent again on the next.
 */
import type { WireEnvelope, WireId } from '../protocol/wire.js';
import { ClientErrorCode } from './codes.js';
import { RequestError, replyError, timeoutError } from './errors.js';
import { encodeFrame } from './frame.js';
import { ACK } from './names.js';
import type { WebSocketLike } from './socket.js';

interface Pending {
  readonly resolve: (value: any) => void;
  readonly reject: (error: RequestError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly event: string;
  /** The frame as sent; set only for a retried request, which may be sent again. */
  readonly frame: string | undefined;
  /** True while a retried request waits for a connection to be sent on again. */
  kept: boolean;
}

/** The client's requests waiting for a reply, by id. */
export class Requests {
  private readonly pending = new Map<WireId, Pending>();
  private nextId = 1;

  /** A fresh id, for a frame built before it is sent (a retried emit waiting in the outbox). */
  id(): number {
    return this.nextId++;
  }

  /**
   * Sends `event` with a fresh id (and `key`, which makes it retried) on an
   * open `socket`; settles with its reply or `TIMEOUT`.
   */
  send<T>(
    socket: WebSocketLike,
    event: string,
    data: unknown,
    timeoutMs: number,
    key?: string,
  ): Promise<T> {
    const id = this.id();
    return new Promise<T>((resolve, reject) => {
      // Encoded first: data that JSON cannot encode throws here, before anything is registered.
      const frame = encodeFrame(event, data, id, key);
      this.register(id, event, frame, timeoutMs, key !== undefined, resolve, reject);
      socket.send(frame);
    });
  }

  /** Sends `frame`, which carries `id`, and waits for its reply; `retry` keeps it across a reconnect. */
  track<T>(
    socket: WebSocketLike,
    id: WireId,
    event: string,
    frame: string,
    timeoutMs: number,
    retry: boolean,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.register(id, event, frame, timeoutMs, retry, resolve, reject);
      socket.send(frame);
    });
  }

  private register(
    id: WireId,
    event: string,
    frame: string,
    timeoutMs: number,
    retry: boolean,
    resolve: (value: any) => void,
    reject: (error: RequestError) => void,
  ): void {
    const timer = setTimeout(() => {
      this.pending.delete(id);
      reject(timeoutError(event, timeoutMs));
    }, timeoutMs);
    const kept = false;
    this.pending.set(id, { resolve, reject, timer, event, frame: retry ? frame : undefined, kept });
  }

  /**
   * Settles the request `reply` (an `ack` or `error`) answers by its `id`;
   * false when no request waits for that id, or it waits to be sent again
   * (a reply to it on an old connection cannot arrive on this one).
   */
  settle(id: WireId, reply: WireEnvelope): boolean {
    const pending = this.pending.get(id);
    if (!pending || pending.kept) return false;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (reply.event === ACK) pending.resolve(reply.data);
    else pending.reject(replyError(reply.data, pending.event));
    return true;
  }

  /**
   * The connection was lost: retried requests are kept, at most `keep` of
   * them (the newest), to be sent again; the others reject with `code`.
   */
  lost(code: ClientErrorCode, message: string, keep: number): void {
    let retried = 0;
    for (const p of this.pending.values()) if (p.frame !== undefined) retried++;
    for (const [id, p] of this.pending) {
      if (p.frame !== undefined && retried-- <= keep) p.kept = true;
      else this.reject(id, p, code, message);
    }
  }

  /** Sends the kept requests again on `socket`, with their ids and keys, oldest first. */
  resend(socket: WebSocketLike): void {
    for (const p of this.pending.values()) {
      if (p.kept && p.frame !== undefined) {
        p.kept = false;
        socket.send(p.frame);
      }
    }
  }

  /** Rejects every request in flight or kept with `code` (`REFUSED`, `CLOSED`). */
  rejectAll(code: ClientErrorCode, message: string): void {
    for (const [id, p] of this.pending) this.reject(id, p, code, message);
  }

  private reject(id: WireId, p: Pending, code: ClientErrorCode, message: string): void {
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.reject(new RequestError(code, message, p.event));
  }
}
