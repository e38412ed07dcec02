/**
 * A second transport for carom, written against `carom/transport` only: one
 * JSON envelope per line over plain TCP (`node:net`). It is small, but it keeps
 * the whole contract of the seam, so the tests that run an app over it show
 * the core needs nothing of `ws`.
 *
 * The framing, on top of the lines: the client's first line is its handshake,
 * `{"headers": {...}, "url": "..."}`; a line `#binary` stands for a binary
 * frame; `#close CODE REASON` is a close, after which the sender ends the
 * socket. Every other line is one text frame.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  type Frame,
  type HandshakeRequest,
  type Peer,
  type PeerAcceptor,
  type PeerListener,
} from '../../src/transport/index.js';

/** Close codes this transport uses itself (the WebSocket ones, for the same causes). */
const TOO_BIG = 1009;
const POLICY_VIOLATION = 1008;
const ABNORMAL = 1006;
const PROTOCOL_ERROR = 1002;

/** Reads `#close CODE REASON`; undefined for any other line. */
export function readClose(line: string): { code: number; reason: string } | undefined {
  const m = /^#close (\d+) ?(.*)$/.exec(line);
  return m ? { code: Number(m[1]), reason: m[2] ?? '' } : undefined;
}

/** The server's end of one TCP connection, as the core's Peer. */
class LinePeer implements Peer {
  readonly remoteAddress: string | undefined;
  /** carom's own protocol, so the app greets each connection with `carom.welcome`. */
  readonly protocol = 'carom';
  listener: PeerListener | undefined;
  /** The code to report when the socket is gone: ours, the client's, or 1006. */
  closeCode = ABNORMAL;
  private closing = false;
  private reported = false;

  constructor(
    readonly socket: Socket,
    private readonly reports: number[],
  ) {
    this.remoteAddress = socket.remoteAddress;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  send(frame: Frame): void {
    // The contract: never throw, whatever state the socket is in.
    if (this.closing || !this.socket.writable) return;
    this.socket.write(`${frame.text}\n`);
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeCode = code;
    if (this.socket.writable) this.socket.end(`#close ${code} ${reason.replace(/\n/g, ' ')}\n`);
    else this.socket.destroy();
  }

  /** Tells the core once, whoever closed first. */
  report(): void {
    if (this.reported) return;
    this.reported = true;
    if (!this.listener) return;
    this.reports.push(this.closeCode);
    this.listener.onClose(this.closeCode);
  }
}

/** Newline-delimited JSON over TCP, serving one app's acceptor. */
export class LineTransport {
  /** Every close code told to the core, one per accepted connection. */
  readonly reportedCloses: number[] = [];
  private readonly server: Server;
  private readonly peers = new Set<LinePeer>();

  constructor(private readonly acceptor: PeerAcceptor) {
    this.server = createServer((socket) => this.connection(socket));
  }

  /** Listens on 127.0.0.1 on a port the system picks; resolves with it. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and closes every connection with `code`. */
  async close(code = 1001, reason = 'transport closed'): Promise<void> {
    for (const peer of this.peers) peer.close(code, reason);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connection(socket: Socket): void {
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    const peer = new LinePeer(socket, this.reportedCloses);
    let buffered = '';
    // Lines that arrive while `authenticate` runs wait for the verdict, in order.
    let waiting: string[] | undefined;
    let handshaken = false;
    socket.on('close', () => {
      this.peers.delete(peer);
      peer.report();
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!handshaken) {
          handshaken = true;
          waiting = [];
          void this.handshake(peer, line).then(() => {
            const lines = waiting ?? [];
            waiting = undefined;
            for (const l of lines) this.line(peer, l);
          });
        } else if (waiting) waiting.push(line);
        else this.line(peer, line);
        if (peer.isClosing) return;
      }
      // The same bound as the WebSocket's: a frame past maxPayload closes with 1009,
      // checked on what is still unterminated so a line with no end cannot grow forever.
      if (Buffer.byteLength(buffered, 'utf8') > this.acceptor.maxPayload) {
        peer.close(TOO_BIG, 'Max payload size exceeded');
      }
    });
  }

  private async handshake(peer: LinePeer, line: string): Promise<void> {
    let parsed: { headers?: Record<string, string>; url?: string };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      peer.close(PROTOCOL_ERROR, 'the first line must be the handshake');
      return;
    }
    const request: HandshakeRequest = {
      url: parsed.url ?? '/',
      headers: parsed.headers ?? {},
      socket: { remoteAddress: peer.remoteAddress },
    };
    const admission = await this.acceptor.admit(request);
    if (peer.socket.destroyed || peer.isClosing) return;
    if (!admission.ok) {
      peer.close(POLICY_VIOLATION, admission.reason);
      return;
    }
    this.peers.add(peer);
    peer.listener = this.acceptor.accept(peer, admission.user);
  }

  private line(peer: LinePeer, line: string): void {
    const listener = peer.listener;
    if (!listener || peer.isClosing) return;
    if (Buffer.byteLength(line, 'utf8') > this.acceptor.maxPayload) {
      peer.close(TOO_BIG, 'Max payload size exceeded');
      return;
    }
    const close = readClose(line);
    if (close) {
      // The client closed: its code is what the core hears, once the socket is gone.
      peer.closeCode = close.code;
      peer.socket.end();
      return;
    }
    if (line === '#binary') listener.onBinary();
    else listener.onText(line);
  }
}
