/**
 * Raw `ws` done well: carom's wire protocol written by hand, with the tricks a
 * careful author would use, shared by the two raw contenders. Each published
 * message is serialized once and turned into a Buffer once, then written to
 * every subscriber found through a Map<event, Set<connection>>; writes to one
 * socket within one event-loop turn are coalesced with cork/uncork; a socket
 * whose unsent bytes pass 16 MiB is dropped as too slow; timestamps are
 * formatted once per millisecond; per-message deflate is off and frames are
 * capped at 1 MiB. `carom.ping` is answered as carom answers it (an ack with
 * null data). The DTO request is checked with the same class-validator DTO
 * carom uses. How a publish reaches the sockets is the one difference:
 * `frame` builds the WebSocket frame once (`ws`'s own `Sender.frame`) and
 * writes the same buffers to every subscriber's net socket, `send` calls
 * `ws.send` per subscriber, which frames the message again for each.
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as wsModule from 'ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { BODY, ECHO, ECHO_DTO, TICK, TIMED_PERIOD_MS, TOCK } from '../common.js';
import { validateEcho } from './dto.js';
import { IntervalPublisher, type BenchServer } from './types.js';

const MAX_PAYLOAD = 1024 * 1024;
/** carom's default `maxBufferedBytes`: a socket with more unsent bytes is too slow. */
const MAX_BUFFERED = 16 * 1024 * 1024;
/** `ws`'s options for an unmasked, unfragmented, uncompressed server text frame. */
const TEXT_FRAME = { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false };

/** `ws`'s frame builder: exported by `ws` at run time, missing from its type declarations. */
const frameText = (
  wsModule as unknown as {
    Sender: { frame(data: Buffer, options: typeof TEXT_FRAME): Buffer[] };
  }
).Sender.frame;

/** How a publish reaches its subscribers (see the module comment). */
export type PublishMode = 'frame' | 'send';
const DECLARED = new Set([TICK, TOCK]);

interface NetSocket {
  readonly writableLength: number;
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
}

let lastMs = -1;
let lastIso = '';
/** The ISO timestamp of now, formatted once per millisecond. */
function stamp(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

function uncork(conn: Conn): void {
  conn.corked = false;
  conn.net?.uncork();
}

/** One client connection and the events it subscribed to. */
class Conn {
  corked = false;
  readonly topics = new Set<string>();
  readonly net: NetSocket | undefined;

  constructor(readonly ws: WebSocket) {
    this.net = (ws as unknown as { _socket?: NetSocket })._socket;
  }

  /** Whether the socket is open and not too slow; corks it until the end of this turn. */
  private ready(): boolean {
    if (this.ws.readyState !== 1) return false;
    const net = this.net;
    if (net) {
      if (net.writableLength > MAX_BUFFERED) {
        this.ws.close(1013, 'too slow');
        return false;
      }
      if (!this.corked) {
        this.corked = true;
        net.cork();
        process.nextTick(uncork, this);
      }
    }
    return true;
  }

  /** Writes a text frame through `ws.send`, which frames it. */
  send(frame: Buffer | string): void {
    if (this.ready()) this.ws.send(frame, { binary: false });
  }

  /**
   * Writes a frame `Sender.frame` already built, straight to the net socket.
   * Safe beside `send`: without per-message deflate `ws` writes every frame
   * synchronously, so its sender never holds a queue this could overtake.
   */
  write(framed: readonly Buffer[]): void {
    if (!this.net) {
      this.send(framed[framed.length - 1]!);
      return;
    }
    if (!this.ready()) return;
    for (const chunk of framed) this.net.write(chunk);
  }
}

type Id = string | number;

function readId(raw: unknown): Id | undefined | null {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw.length <= 64 ? raw : null;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
  return null;
}

/** Starts a raw `ws` server whose publishes go out the `mode` way. */
export async function createRawServer(mode: PublishMode): Promise<BenchServer> {
  const subscribers = new Map<string, Set<Conn>>();
  for (const event of DECLARED) subscribers.set(event, new Set());
  const conns = new Set<Conn>();

  const ack = (conn: Conn, id: Id | undefined, value: unknown): void => {
    if (id === undefined) return;
    conn.send(
      `{"event":"ack","id":${JSON.stringify(id)},"data":${JSON.stringify(value ?? null)},"timestamp":"${stamp()}"}`,
    );
  };
  const fail = (
    conn: Conn,
    id: Id | undefined,
    code: string,
    message: string,
    event?: string,
  ): void => {
    const data = event === undefined ? { code, message } : { code, message, event };
    const idPart = id === undefined ? '' : `,"id":${JSON.stringify(id)}`;
    conn.send(`{"event":"error","data":${JSON.stringify(data)}${idPart},"timestamp":"${stamp()}"}`);
  };

  const subscribe = (conn: Conn, id: Id | undefined, data: unknown, on: boolean): void => {
    const events = (data as { events?: unknown } | null)?.events;
    if (!Array.isArray(events) || events.length === 0) {
      fail(conn, id, 'BAD_ENVELOPE', 'data.events must be a non-empty array');
      return;
    }
    const unknown: string[] = [];
    for (const name of events) {
      const set = typeof name === 'string' ? subscribers.get(name) : undefined;
      if (!set) {
        unknown.push(String(name));
        continue;
      }
      if (on) {
        set.add(conn);
        conn.topics.add(name as string);
      } else {
        set.delete(conn);
        conn.topics.delete(name as string);
      }
    }
    if (unknown.length > 0)
      fail(conn, id, 'UNKNOWN_EVENT', `unknown events: ${unknown.join(', ')}`);
    else ack(conn, id, { events: [...conn.topics] });
  };

  const receive = (conn: Conn, text: string): void => {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      fail(conn, undefined, 'BAD_JSON', 'frame is not valid JSON');
      return;
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      fail(conn, undefined, 'BAD_ENVELOPE', 'an envelope must be a JSON object');
      return;
    }
    const { event, data, id: rawId } = msg as { event?: unknown; data?: unknown; id?: unknown };
    const id = readId(rawId);
    if (id === null) {
      fail(conn, undefined, 'BAD_ENVELOPE', 'bad id');
      return;
    }
    if (typeof event !== 'string' || event.length === 0 || event.length > 200) {
      fail(conn, id, 'BAD_ENVELOPE', '"event" must be a non-empty string');
      return;
    }
    switch (event) {
      case ECHO:
        ack(conn, id, { n: (data as { n: number }).n });
        return;
      case ECHO_DTO: {
        const result = validateEcho(data);
        if (typeof result === 'string') fail(conn, id, 'VALIDATION_FAILED', result, event);
        else ack(conn, id, { n: result.n });
        return;
      }
      case 'carom.ping':
        ack(conn, id, null);
        return;
      case 'subscribe':
      case 'unsubscribe':
        subscribe(conn, id, data ?? {}, event === 'subscribe');
        return;
      default:
        fail(conn, id, 'UNKNOWN_EVENT', `no handler for event '${event}'`, event);
    }
  };

  /** Serializes once, encodes once (and frames once), writes to every subscriber. */
  const publish = (event: string, seq: number): number => {
    const set = subscribers.get(event)!;
    if (set.size === 0) return 0;
    const bytes = Buffer.from(
      `{"event":"${event}","data":${JSON.stringify({ seq, body: BODY })},"timestamp":"${stamp()}"}`,
    );
    if (mode === 'frame') {
      const framed = frameText(bytes, TEXT_FRAME);
      for (const conn of set) conn.write(framed);
    } else {
      for (const conn of set) conn.send(bytes);
    }
    return set.size;
  };

  const http = createHttpServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({
    server: http,
    path: '/ws',
    perMessageDeflate: false,
    maxPayload: MAX_PAYLOAD,
    clientTracking: false,
  });
  wss.on('connection', (ws) => {
    const conn = new Conn(ws);
    conns.add(conn);
    ws.on('message', (data, isBinary) => {
      if (isBinary) fail(conn, undefined, 'BAD_JSON', 'binary frames are not accepted');
      else receive(conn, data.toString());
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      conns.delete(conn);
      for (const t of conn.topics) subscribers.get(t)?.delete(conn);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const timed = new IntervalPublisher((seq) => publish(TOCK, seq), TIMED_PERIOD_MS);

  return {
    port: (http.address() as AddressInfo).port,
    path: '/ws',
    publish: (seq) => publish(TICK, seq),
    startTimed: (count) => timed.run(count),
    connections: () => conns.size,
    close: async () => {
      timed.stop();
      for (const conn of conns) conn.ws.close(1001, 'server shutting down');
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
