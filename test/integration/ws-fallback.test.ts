/**
 * The ws transport's two write paths, over real sockets. A frame goes straight
 * to the net socket (its shared `Frame.wire`) only while `ws`'s sender is
 * idle; while the sender is busy it goes through `ws.send`, which queues it
 * behind what the sender holds. Here the sender is kept busy by a Blob whose
 * read the test holds open (the way `ws`'s sender gets busy on a connection
 * without an extension; carom never negotiates permessage-deflate): frames,
 * a ping and the close must reach the client whole and in the order they
 * were sent, on that socket and on another one sharing the same frames.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { CaromLogger } from '../../src/index.js';
import { Frame, type Peer, type PeerAcceptor } from '../../src/transport/index.js';
import { WsTransport } from '../../src/transport/ws-server.js';
import { eventually, within } from '../support/wait.js';

/** What a client saw, in order. */
type Seen =
  | { kind: 'text'; seq: number; body: string }
  | { kind: 'binary'; bytes: string }
  | { kind: 'ping' }
  | { kind: 'close'; code: number };

/** A client that records every frame it receives, in order. */
class Recorder {
  readonly seen: Seen[] = [];
  readonly closed: Promise<void>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.seen.push({ kind: 'binary', bytes: data.toString('hex') });
        return;
      }
      const { data: d } = JSON.parse(data.toString('utf8')) as {
        data: { seq: number; body: string };
      };
      this.seen.push({ kind: 'text', seq: d.seq, body: d.body });
    });
    ws.on('ping', () => this.seen.push({ kind: 'ping' }));
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.seen.push({ kind: 'close', code });
        resolve();
      }),
    );
  }
}

/**
 * A Blob whose read `ws` starts when it comes to it and the test finishes when
 * it chooses (at once, if `finish` came first).
 */
class HeldBlob extends Blob {
  private release: (() => void) | undefined;
  private finished = false;

  override arrayBuffer(): Promise<ArrayBuffer> {
    if (this.finished) return super.arrayBuffer();
    return new Promise((resolve, reject) => {
      this.release = () => super.arrayBuffer().then(resolve, reject);
    });
  }

  /** Lets `ws` have the bytes. */
  finish(): void {
    this.finished = true;
    this.release?.();
  }
}

/** The peer's own `ws` socket and its sender's state (neither is in the Peer interface or ws's types). */
function internalsOf(peer: Peer): { ws: WebSocket; busy: () => boolean } {
  const ws = (peer as unknown as { socket: WebSocket }).socket;
  const sender = (ws as unknown as { _sender: { _state: number } })._sender;
  return { ws, busy: () => sender._state !== 0 };
}

const quiet: CaromLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

let server: Server | undefined;
let transport: WsTransport | undefined;
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  transport?.close(1001, 'done');
  transport = undefined;
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
  }
  server = undefined;
});

/** A ws transport on 127.0.0.1 whose acceptor hands over each peer, and `count` recording clients. */
async function connected(count: number): Promise<Array<{ peer: Peer; client: Recorder }>> {
  const peers: Peer[] = [];
  const acceptor: PeerAcceptor = {
    maxPayload: 1024 * 1024,
    admit: () => Promise.resolve({ ok: true, user: undefined }),
    accept: (peer) => {
      peers.push(peer);
      return { onText: () => undefined, onBinary: () => undefined, onClose: () => undefined };
    },
  };
  transport = new WsTransport(acceptor, {
    path: '/ws',
    heartbeatMs: 0,
    maxBufferedBytes: 64 * 1024 * 1024,
    maxConnections: 10,
    maxConnectionsPerAddress: 10,
    clientAddress: undefined,
    allowedOrigins: undefined,
    handshakeTimeoutMs: 5000,
    logger: quiet,
  });
  server = createServer();
  transport.attach(server);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const out: Array<{ peer: Peer; client: Recorder }> = [];
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    clients.push(ws);
    const client = new Recorder(ws);
    await within(new Promise((resolve) => ws.once('open', resolve)), 'the client opens');
    await eventually(() => peers.length === i + 1, 'the peer is accepted');
    out.push({ peer: peers[i]!, client });
  }
  return out;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// Payloads with 7-bit, 16-bit and 64-bit lengths, multi-byte characters, and none at all.
const BODIES = ['', 'a'.repeat(100), 'é'.repeat(40_000), '€'.repeat(30), 'z'.repeat(70_000)];

/** Frame `seq` of the run: the same instance whoever it is sent to, as a publish shares it. */
const frames = new Map<number, Frame>();
function frameOf(seq: number): Frame {
  let frame = frames.get(seq);
  if (frame === undefined) {
    const body = BODIES[seq % BODIES.length]!;
    frame = new Frame(JSON.stringify({ event: 'tick', data: { seq, body } }));
    frames.set(seq, frame);
  }
  return frame;
}

const text = (seq: number): Seen => ({
  kind: 'text',
  seq,
  body: BODIES[seq % BODIES.length]!,
});
const texts = (from: number, to: number): Seen[] =>
  Array.from({ length: to - from }, (_, i) => text(from + i));

describe('the ws transport while ws’s sender is busy', () => {
  it('sends through ws.send behind what the sender holds, in order and whole, then writes directly again', async () => {
    const [busyOne, other] = await connected(2);
    const { ws, busy } = internalsOf(busyOne!.peer);
    let viaSend = 0;
    const realSend = ws.send.bind(ws) as (...args: unknown[]) => void;
    (ws as unknown as { send: (...args: unknown[]) => void }).send = (...args) => {
      if (Buffer.isBuffer(args[0])) viaSend++;
      realSend(...args);
    };
    const both = (seq: number): void => {
      busyOne!.peer.send(frameOf(seq));
      other!.peer.send(frameOf(seq));
    };

    // Idle sender: straight to the net socket.
    for (let seq = 0; seq < 5; seq++) both(seq);
    assert.equal(viaSend, 0, 'an idle sender: written directly');

    const held = new HeldBlob([Buffer.from('0b1e', 'hex')]);
    ws.send(held);
    assert.equal(busy(), true, 'the sender is busy reading the blob');
    for (let seq = 5; seq < 10; seq++) both(seq);
    ws.ping();
    for (let seq = 10; seq < 13; seq++) both(seq);
    assert.equal(viaSend, 8, 'a busy sender: every frame through ws.send');

    // Later turns, still busy: a new cork, the same path.
    await nextTurn();
    await nextTurn();
    assert.equal(busy(), true);
    for (let seq = 13; seq < 17; seq++) both(seq);
    assert.equal(viaSend, 12);

    held.finish();
    await eventually(() => !busy(), 'the sender is idle again');
    for (let seq = 17; seq < 22; seq++) both(seq);
    assert.equal(viaSend, 12, 'idle again: written directly');
    busyOne!.peer.close(1000, 'done');
    other!.peer.close(1000, 'done');
    await within(busyOne!.client.closed, 'the busy socket closes');
    await within(other!.client.closed, 'the other socket closes');

    assert.deepEqual(busyOne!.client.seen, [
      ...texts(0, 5),
      { kind: 'binary', bytes: '0b1e' },
      ...texts(5, 10),
      { kind: 'ping' },
      ...texts(10, 22),
      { kind: 'close', code: 1000 },
    ]);
    assert.deepEqual(
      other!.client.seen,
      [...texts(0, 22), { kind: 'close', code: 1000 }],
      'the socket beside it got the same frames, directly, whole',
    );
  });

  it('keeps the order over many switches between the two paths', async () => {
    const [{ peer, client }] = (await connected(1)) as [{ peer: Peer; client: Recorder }];
    const { ws, busy } = internalsOf(peer);
    const expected: Seen[] = [];
    let seq = 0;
    // A fixed pattern of frames sent while idle, a blob, frames while busy, a release:
    // 12 rounds, each switching paths twice, some within one turn and some across turns.
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < round % 3; i++) {
        peer.send(frameOf(seq));
        expected.push(text(seq++));
      }
      const held = new HeldBlob([Buffer.from([round])]);
      ws.send(held);
      expected.push({ kind: 'binary', bytes: Buffer.from([round]).toString('hex') });
      for (let i = 0; i < 1 + (round % 4); i++) {
        peer.send(frameOf(seq));
        expected.push(text(seq++));
        if (round % 2 === 1) await nextTurn();
      }
      assert.equal(busy(), true);
      held.finish();
      if (round % 3 !== 0) await eventually(() => !busy(), 'the sender is idle again');
    }
    await eventually(() => !busy(), 'the sender is idle at the end');
    peer.close(1000, 'done');
    expected.push({ kind: 'close', code: 1000 });
    await within(client.closed, 'the socket closes');
    assert.deepEqual(client.seen, expected);
  });
});
