/**
 * Raw `ws` done well: carom's wire protocol written by hand, with the tricks a
 * careful author would use. Each published frame is serialized once and turned
 * into a Buffer once, then written to every subscriber found through a
 * Map<event, Set<connection>>; writes to one socket within one event-loop turn
 * are coalesced with cork/uncork; timestamps are formatted once per
 * millisecond; per-message deflate is off and frames are capped at 1 MiB. The
 * DTO request is checked with the same class-validator DTO carom uses.
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BODY, ECHO, ECHO_DTO, TICK, TIMED_PERIOD_MS, TOCK } from '../common.js';
import { validateEcho } from './dto.js';
import { IntervalPublisher, type BenchServer } from './types.js';

const MAX_PAYLOAD = 1024 * 1024;
const DECLARED = new Set([TICK, TOCK]);

interface NetSocket {
  cork(): void;
  uncork(): void;
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

  /** Writes a text frame, corking the socket until the end of this turn. */
  send(frame: Buffer | string): void {
    if (this.ws.readyState !== 1) return;
    if (!this.corked && this.net) {
      this.corked = true;
      this.net.cork();
      process.nextTick(uncork, this);
    }
    this.ws.send(frame, { binary: false });
  }
}

type Id = string | number;

function readId(raw: unknown): Id | undefined | null {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw.length <= 64 ? raw : null;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
  return null;
}

export async function createServer(): Promise<BenchServer> {
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
      case ECHO_DTO:
        void validateEcho(data).then((result) => {
          if (typeof result === 'string') fail(conn, id, 'VALIDATION_FAILED', result, event);
          else ack(conn, id, { n: result.n });
        });
        return;
      case 'subscribe':
      case 'unsubscribe':
        subscribe(conn, id, data ?? {}, event === 'subscribe');
        return;
      default:
        fail(conn, id, 'UNKNOWN_EVENT', `no handler for event '${event}'`, event);
    }
  };

  /** Serializes once, encodes once, writes the same bytes to every subscriber. */
  const publish = (event: string, seq: number): number => {
    const set = subscribers.get(event)!;
    if (set.size === 0) return 0;
    const frame = Buffer.from(
      `{"event":"${event}","data":${JSON.stringify({ seq, body: BODY })},"timestamp":"${stamp()}"}`,
    );
    for (const conn of set) conn.send(frame);
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
    close: async () => {
      timed.stop();
      for (const conn of conns) conn.ws.close(1001, 'server shutting down');
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
