/**
 * Requests in flight: each gets an id, a timer and a promise, and is settled
 * by the `ack` or `error` that carries its id, by its timeout, or all at once
 * when the connection ends.
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
}

/** The client's requests waiting for a reply, by id. */
export class Requests {
  private readonly pending = new Map<WireId, Pending>();
  private nextId = 1;

  /** Sends `event` with a fresh id on an open `socket`; settles with its reply or `TIMEOUT`. */
  send<T>(socket: WebSocketLike, event: string, data: unknown, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      // Built first: data that JSON cannot encode throws here, before anything is registered.
      const frame = encodeFrame(event, data, id);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(timeoutError(event, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, event });
      socket.send(frame);
    });
  }

  /**
   * Settles the request `reply` (an `ack` or `error`) answers by its `id`;
   * false when no request waits for that id.
   */
  settle(id: WireId, reply: WireEnvelope): boolean {
    const pending = this.pending.get(id);
    if (!pending) return false;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (reply.event === ACK) pending.resolve(reply.data);
    else pending.reject(replyError(reply.data, pending.event));
    return true;
  }

  /** Rejects every request in flight with `code` (`DISCONNECTED`, `REFUSED`, `CLOSED`). */
  rejectAll(code: ClientErrorCode, message: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new RequestError(code, message, p.event));
    }
  }
}
