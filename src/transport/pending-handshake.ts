import type { Duplex } from 'node:stream';

/** How a handshake ended before it could be answered with a WebSocket. */
export type HandshakeEnd = 'timeout' | 'hungUp' | 'earlyData' | 'shuttingDown';

/**
 * Bytes a client may send after its upgrade request and before the answer. A
 * WebSocket client sends nothing until it has the 101, so this is only slack.
 */
const MAX_EARLY_BYTES = 16 * 1024;

/**
 * An upgrade request between its arrival and its answer, while `authenticate`
 * runs. It holds the socket: it bounds the wait, notices the client hanging up
 * (so the socket is released at once, not when `authenticate` settles), and
 * keeps what the client sent early, which `ws` will read as the start of the
 * stream. Whatever ends it first wins; the rest is ignored.
 */
export class PendingHandshake {
  private settled = false;
  private early: Buffer[] = [];
  private earlyBytes = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly onData = (chunk: Buffer): void => {
    this.earlyBytes += chunk.length;
    if (this.earlyBytes > MAX_EARLY_BYTES) this.abort('earlyData');
    else this.early.push(chunk);
  };
  // A reading socket is what makes a hang-up visible: paused, it would sit
  // half-open with its FIN unread. Hence the 'data' listener, even for nothing.
  private readonly onGone = (): void => this.abort('hungUp');

  constructor(
    readonly socket: Duplex,
    private readonly head: Buffer,
    timeoutMs: number,
    private readonly onEnd: (why: HandshakeEnd) => void,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onGone);
    socket.on('close', this.onGone);
    socket.on('error', this.onGone);
    this.timer = setTimeout(() => this.abort('timeout'), timeoutMs);
  }

  /**
   * Ends the wait and hands the socket over for the upgrade. Returns what the
   * client has sent beyond its request headers, or `undefined` when the
   * handshake already ended (timed out, hung up): the caller then does nothing.
   */
  take(): Buffer | undefined {
    if (!this.settle()) return undefined;
    if (this.socket.destroyed) {
      // Destroyed, its 'close' not yet emitted: a hang-up all the same.
      this.onEnd('hungUp');
      return undefined;
    }
    return this.early.length === 0 ? this.head : Buffer.concat([this.head, ...this.early]);
  }

  /** Ends the handshake without an upgrade; `onEnd` says what to answer. */
  abort(why: HandshakeEnd): void {
    if (!this.settle()) return;
    if (why === 'hungUp') this.socket.destroy();
    this.onEnd(why);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onGone);
    socket.off('close', this.onGone);
    socket.off('error', this.onGone);
    return true;
  }
}
