import { CloseCode } from '../protocol/errors.js';
import type { Frame } from '../protocol/frame.js';
import type { Peer, PeerListener } from '../core/seam.js';

/**
 * An in-memory socket between a test and the app. The app writes frames to it
 * as it would to a `ws` socket; the test delivers frames the way a client's
 * socket would, with the same size limit (1009 past `maxPayload`). A test can
 * `pause` it, as a client that stops reading: what the app writes then waits
 * (`bufferedBytes`) until `release` or `resume` lets the client read it, and the
 * app is told the socket drained once nothing waits.
 */
export class FakeSocket implements Peer {
  /** Every text frame the app wrote, in order. */
  readonly frames: string[] = [];
  /** The close code, once closed. */
  closeCode: number | undefined;
  /** The close reason, once closed. */
  closeReason: string | undefined;
  private listener: PeerListener | undefined;
  private readonly watchers = new Set<(text: string) => void>();
  private readonly closeWatchers = new Set<(code: number, reason: string) => void>();
  private paused = false;
  private held: Frame[] = [];
  private heldBytes = 0;
  private drainAwaited = false;

  constructor(
    private readonly maxPayload: number,
    readonly remoteAddress: string | undefined = '127.0.0.1',
    /** The subprotocol agreed: `carom` for a client that speaks carom's extensions. */
    readonly protocol: string | undefined = undefined,
    /** The client instance id a `carom` client sent at the handshake. */
    readonly clientId: string | undefined = undefined,
  ) {}

  /** True once either side closed. */
  get closed(): boolean {
    return this.closeCode !== undefined;
  }

  /** Connects the socket to the app's listener for it. */
  bind(listener: PeerListener): void {
    this.listener = listener;
  }

  /** Called with each frame the app writes from now on; returns a function that stops it. */
  watch(fn: (text: string) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Called once when the socket closes, from either side; returns a function that stops it. */
  watchClose(fn: (code: number, reason: string) => void): () => void {
    this.closeWatchers.add(fn);
    return () => this.closeWatchers.delete(fn);
  }

  send(frame: Frame): void {
    if (this.closed) return;
    if (this.paused || this.held.length > 0) {
      this.held.push(frame);
      this.heldBytes += frame.bytes.length;
      return;
    }
    this.receive(frame);
  }

  /** Bytes the app wrote that the client has not read (while paused). */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  /** Frames the app wrote that the client has not read (while paused). */
  get heldFrames(): number {
    return this.held.length;
  }

  awaitDrain(): void {
    if (this.closed || this.drainAwaited) return;
    this.drainAwaited = true;
    // Like a real socket: told on a later turn, never inside the write that asked.
    if (this.held.length === 0) setImmediate(() => this.drainedIfEmpty());
  }

  /** The client stops reading: what the app writes from now on waits. */
  pause(): void {
    this.paused = true;
  }

  /** The client reads the `count` oldest waiting frames and stays paused. */
  release(count: number): void {
    const n = Math.min(count, this.held.length);
    const read = this.held.splice(0, n);
    for (const frame of read) {
      this.heldBytes -= frame.bytes.length;
      this.receive(frame);
    }
    this.drainedIfEmpty();
  }

  /** The client reads everything waiting and keeps reading. */
  resume(): void {
    this.paused = false;
    this.release(this.held.length);
  }

  private drainedIfEmpty(): void {
    if (!this.drainAwaited || this.held.length > 0 || this.closed) return;
    this.drainAwaited = false;
    this.listener?.onDrain?.();
    // What the app wrote on being told (its queue) is read at once unless paused.
    if (!this.paused && this.held.length > 0) this.release(this.held.length);
  }

  private receive(frame: Frame): void {
    this.frames.push(frame.text);
    for (const fn of this.watchers) fn(frame.text);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closeCode = code;
    this.closeReason = reason;
    this.listener?.onClose(code);
    for (const fn of this.closeWatchers) fn(code, reason);
  }

  /** Delivers a text frame from the client. */
  deliverText(text: string): void {
    if (this.closed) throw new Error('the socket is closed');
    if (Buffer.byteLength(text, 'utf8') > this.maxPayload) {
      this.close(CloseCode.MESSAGE_TOO_BIG, 'Max payload size exceeded');
      return;
    }
    this.listener?.onText(text);
  }

  /** Delivers a binary frame from the client. */
  deliverBinary(bytes: Uint8Array): void {
    if (this.closed) throw new Error('the socket is closed');
    if (bytes.byteLength > this.maxPayload) {
      this.close(CloseCode.MESSAGE_TOO_BIG, 'Max payload size exceeded');
      return;
    }
    this.listener?.onBinary();
  }
}
