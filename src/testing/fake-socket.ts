import { CloseCode } from '../protocol/errors.js';
import type { Frame } from '../protocol/frame.js';
import type { Peer, PeerListener } from '../core/seam.js';

/**
 * An in-memory socket between a test and the app. The app writes frames to it
 * as it would to a `ws` socket; the test delivers frames the way a client's
 * socket would, with the same size limit (1009 past `maxPayload`).
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

  constructor(
    private readonly maxPayload: number,
    readonly remoteAddress: string | undefined = '127.0.0.1',
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
