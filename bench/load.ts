/**
 * The load generator of one run: `node build/bench/load.js`. It opens the
 * clients (raw `ws` clients speaking carom's envelopes for carom and raw ws,
 * socket.io-client over the WebSocket transport for Socket.IO), checks every
 * fan-out message arrives once and in order, and drives the request phases.
 * Every loop is bounded in count and time.
 */
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import {
  epochMs,
  latencyOf,
  nextTurn,
  quantile,
  requestText,
  serveCommands,
  sleep,
  TICK,
  TOCK,
  within,
  type Command,
} from './common.js';
import { PingObserver, storm, type Pinger, type Redialable } from './storm.js';

type ReplyCallback = (ok: boolean) => void;

/** One client connection, whatever library it uses. */
interface BenchClient {
  /** Fan-out checking: the next sequence number expected and how many arrived. */
  next: number;
  got: number;
  /** Which server it is connected to (`connect`'s `group`): its latencies are kept apart. */
  group: number;
  subscribe(events: string[]): Promise<void>;
  /** Sends a request with an id; `onReply(ok)` runs when its ack (or error) arrives. */
  request(event: string, n: number, onReply: ReplyCallback): void;
  close(): void;
}

interface Tally {
  /** The event being checked and how many messages each client must get. */
  event: string;
  count: number;
  completed: number;
  firstAt: number;
  lastAt: number;
  deliveries: number;
  violations: number;
  details: string[];
  done: (() => void) | undefined;
  /** Publish-to-receipt times of each group (`expect`'s `latency`), filled up to `lengths`. */
  latency: Float64Array[] | undefined;
  lengths: number[];
}

/** The groups `connect` takes: 0 and 1 (node A and node B of the cross-node scenario). */
const GROUPS = 2;

let tally: Tally | undefined;
let stray = 0;
let replyErrors = 0;
const clients: BenchClient[] = [];
/** Every request's `text`, set by `connect`'s `textBytes` (`--sizes`); its JSON form for the envelope clients. */
let text = requestText(0);
let textJson = JSON.stringify(text);
/** The slow-readers scenario's throttled clients: outside the tally, reported by `slowReport`. */
const slowClients: SlowReader[] = [];

/** Every fan-out message any client receives goes through here. */
function onMessage(client: BenchClient, event: string, seq: number, at = NaN): void {
  const t = tally;
  if (t === undefined || event !== t.event) {
    stray++;
    return;
  }
  if (t.latency !== undefined) {
    const g = client.group;
    const n = t.lengths[g]!;
    if (n < t.latency[g]!.length) {
      t.latency[g]![n] = epochMs() - at;
      t.lengths[g] = n + 1;
    }
  }
  if (t.deliveries === 0) t.firstAt = epochMs();
  t.deliveries++;
  client.got++;
  if (seq !== client.next) {
    t.violations++;
    if (t.details.length < 5) {
      t.details.push(`client ${clients.indexOf(client)} expected seq ${client.next}, got ${seq}`);
    }
    if (seq > client.next) client.next = seq + 1;
  } else {
    client.next++;
  }
  if (client.got === t.count) {
    t.completed++;
    if (t.completed === clients.length) {
      t.lastAt = epochMs();
      t.done?.();
    }
  } else if (client.got > t.count) {
    t.violations++;
    if (t.details.length < 5)
      t.details.push(`client ${clients.indexOf(client)} got extra messages`);
  }
}

const TICK_PREFIX = `{"event":"${TICK}","data":{"seq":`;
const TOCK_PREFIX = `{"event":"${TOCK}","data":{"seq":`;

const AT = ',"at":';

/** The `at` stamp after the seq in a tick's text; NaN when there is none. */
function readAt(text: string, from: number): number {
  const i = text.indexOf(AT, from);
  return i === -1 ? NaN : Number.parseFloat(text.slice(i + AT.length, i + AT.length + 24));
}

/** Reads the digits at `from`; -1 when there are none. */
function readInt(text: string, from: number): number {
  let n = 0;
  let i = from;
  const end = Math.min(text.length, from + 15);
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return i === from ? -1 : n;
}

/**
 * A raw `ws` client speaking carom's protocol (used against carom and raw ws).
 * The storm scenario cuts its connection and dials again (`drop`, `reopen`).
 */
class EnvelopeClient implements BenchClient, Redialable, Pinger {
  next = 0;
  got = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { n: number; cb: ReplyCallback }>();
  private ws: WebSocket;

  constructor(
    private readonly url: string,
    readonly group: number,
    private readonly localAddress: string | undefined,
  ) {
    this.ws = this.dial();
  }

  private dial(): WebSocket {
    return new WebSocket(this.url, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      ...(this.localAddress === undefined ? {} : { localAddress: this.localAddress }),
    });
  }

  open(): Promise<void> {
    const ws = this.ws;
    return new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.on('error', () => undefined);
      ws.on('message', (data: Buffer) => {
        // A socket the storm cut may still hand over what it had read: it is not this client's now.
        if (ws === this.ws) this.receive(data.toString());
      });
    });
  }

  /** Cuts the connection at once, without a closing handshake, as a network failure would. */
  drop(): void {
    this.ws.terminate();
  }

  /** Dials again from the same address; resolves once open. Requests in flight are forgotten. */
  reopen(): Promise<void> {
    this.pending.clear();
    this.ws = this.dial();
    return this.open();
  }

  /** Sends `carom.ping` with an id; `onReply(ok)` runs when its ack arrives. */
  ping(onReply: ReplyCallback): void {
    const id = this.nextId++;
    this.pending.set(id, { n: -1, cb: onReply });
    this.ws.send(`{"event":"carom.ping","id":${id}}`);
  }

  private receive(text: string): void {
    // Fan-out messages: the fixed prefix both envelope servers write, then the digits.
    if (text.startsWith(TICK_PREFIX)) {
      const seq = readInt(text, TICK_PREFIX.length);
      // Only the latency round reads the stamp: the other rounds' path stays as it was.
      if (tally?.latency === undefined) onMessage(this, TICK, seq);
      else onMessage(this, TICK, seq, readAt(text, TICK_PREFIX.length));
      return;
    }
    if (text.startsWith(TOCK_PREFIX)) {
      onMessage(this, TOCK, readInt(text, TOCK_PREFIX.length));
      return;
    }
    const msg = JSON.parse(text) as {
      event: string;
      id?: number;
      data?: { n?: number; seq?: number; at?: number };
    };
    if (msg.event === 'ack' || msg.event === 'error') {
      const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!p) {
        replyErrors++;
        return;
      }
      this.pending.delete(msg.id!);
      p.cb(msg.event === 'ack' && (msg.data?.n === undefined || msg.data.n === p.n));
      return;
    }
    if (msg.event === TICK || msg.event === TOCK) {
      onMessage(this, msg.event, msg.data?.seq ?? -1, msg.data?.at ?? NaN);
    } else stray++;
  }

  private send(event: string, dataJson: string, cb: ReplyCallback, n: number): void {
    const id = this.nextId++;
    this.pending.set(id, { n, cb });
    this.ws.send(`{"event":"${event}","data":${dataJson},"id":${id},"timestamp":${Date.now()}}`);
  }

  subscribe(events: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.send(
        'subscribe',
        JSON.stringify({ events }),
        (ok) => (ok ? resolve() : reject(new Error('subscribe refused'))),
        -1,
      );
    });
  }

  request(event: string, n: number, onReply: ReplyCallback): void {
    this.send(event, `{"n":${n},"text":${textJson}}`, onReply, n);
  }

  close(): void {
    this.ws.terminate();
  }
}

/**
 * A reader that takes `rate` messages a second of the fan-out event on
 * average: once it has read more than its share of the time since it started,
 * it pauses its socket until the time catches up (checked every 10 ms), so the
 * server sees it read slowly. A resumed socket reads a whole chunk (many
 * messages) at once; the debt is what keeps the average. It checks that
 * sequence numbers never go backwards, counts the gaps and the markers, and
 * notes how it was closed.
 */
class SlowReader {
  got = 0;
  lastSeq = -1;
  backwards = 0;
  gaps = 0;
  marked = 0;
  closeCode = 0;
  private since = performance.now();
  private readonly timer: NodeJS.Timeout;
  private readonly ws: WebSocket;

  constructor(
    url: string,
    private readonly rate: number,
  ) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    this.timer = setInterval(() => {
      if (this.ws.isPaused && !this.ahead()) this.ws.resume();
    }, 10);
  }

  /** True when it has read more than its rate allows so far. */
  private ahead(): boolean {
    return this.got > ((performance.now() - this.since) * this.rate) / 1000;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
      this.ws.on('error', () => undefined);
      this.ws.on('close', (code) => {
        this.closeCode = code;
        clearInterval(this.timer);
      });
      this.ws.on('message', (data: Buffer) => this.receive(data.toString()));
    });
  }

  subscribe(events: string[]): Promise<void> {
    return new Promise((resolve) => {
      this.ws.send(JSON.stringify({ event: 'subscribe', data: { events }, id: 1 }));
      const onAck = (data: Buffer): void => {
        if (data.toString().includes('"ack"')) {
          this.ws.off('message', onAck);
          resolve();
        }
      };
      this.ws.on('message', onAck);
    });
  }

  /** Forgets what arrived so far (a new round). */
  reset(): void {
    this.since = performance.now();
    this.got = 0;
    this.lastSeq = -1;
    this.backwards = 0;
    this.gaps = 0;
    this.marked = 0;
  }

  private receive(text: string): void {
    if (!text.startsWith(TICK_PREFIX)) return;
    const seq = readInt(text, TICK_PREFIX.length);
    this.got++;
    if (seq <= this.lastSeq) this.backwards++;
    else if (seq !== this.lastSeq + 1) this.gaps++;
    this.lastSeq = Math.max(this.lastSeq, seq);
    if (text.includes('"skipped":')) this.marked++;
    if (!this.ws.isPaused && this.ahead()) this.ws.pause();
  }

  close(): void {
    clearInterval(this.timer);
    this.ws.terminate();
  }
}

/** A socket.io-client socket over the WebSocket transport. */
class SocketIoClient implements BenchClient {
  next = 0;
  got = 0;
  readonly group = 0;
  private readonly socket: Socket;

  constructor(url: string) {
    this.socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: 20000,
    });
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
      this.socket.on(TICK, (d: { seq: number }) => onMessage(this, TICK, d.seq));
      this.socket.on(TOCK, (d: { seq: number }) => onMessage(this, TOCK, d.seq));
    });
  }

  subscribe(events: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.emit('subscribe', { events }, (reply: { events?: unknown }) =>
        reply?.events ? resolve() : reject(new Error('subscribe refused')),
      );
    });
  }

  request(event: string, n: number, onReply: ReplyCallback): void {
    this.socket.emit(event, { n, text }, (reply: { n?: number }) => onReply(reply?.n === n));
  }

  close(): void {
    this.socket.disconnect();
  }
}

/**
 * Opens `count` clients, `concurrency` handshakes at a time, each subscribed
 * when asked, in `group` (0 unless given), from `localAddress` when given (an
 * address of 127.0.0.0/8: each has its own ~28k ephemeral ports); each client
 * has `clientTimeoutMs` (15 s unless given) to open, and as long for its ack.
 * `textBytes` sets the size of every request's text from then on (0: `hello`).
 */
async function connect(cmd: Command): Promise<object> {
  const kind = cmd.kind as 'envelope' | 'socketio';
  text = requestText((cmd.textBytes as number | undefined) ?? 0);
  textJson = JSON.stringify(text);
  const group = (cmd.group as number | undefined) ?? 0;
  if (!Number.isInteger(group) || group < 0 || group >= GROUPS)
    throw new Error(`bad group ${group}`);
  const count = cmd.count as number;
  const concurrency = Math.max(1, Math.min(count, cmd.concurrency as number));
  const subscribe = cmd.subscribe as string[] | undefined;
  const localAddress = cmd.localAddress as string | undefined;
  const clientMs = (cmd.clientTimeoutMs as number | undefined) ?? CLIENT_MS;
  const unixPath = cmd.unixPath as string | undefined;
  const url =
    kind === 'socketio'
      ? `http://127.0.0.1:${cmd.port as number}`
      : unixPath !== undefined
        ? `ws+unix://${unixPath}:${cmd.path as string}`
        : `ws://127.0.0.1:${cmd.port as number}${cmd.path as string}`;
  const slowRate = cmd.slowRate as number | undefined;
  if (slowRate !== undefined) return connectSlow(url, count, slowRate, subscribe ?? []);
  const start = performance.now();
  let index = clients.length;
  const end = index + count;
  let opened = 0;
  let subscribed = 0;
  const worker = async (): Promise<void> => {
    for (let i = 0; i < count && index < end; i++) {
      const n = index++;
      const client =
        kind === 'socketio'
          ? new SocketIoClient(url)
          : new EnvelopeClient(url, group, localAddress);
      clients.push(client);
      await within(client.open(), `client ${n} did not open`, clientMs);
      opened++;
      if (subscribe) {
        await within(client.subscribe(subscribe), `client ${n} got no subscribe ack`, clientMs);
        subscribed++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } catch (err) {
    throw new Error(
      `${(err as Error).message} (${opened} of ${count} opened, ${subscribed} subscribed, ` +
        `after ${(performance.now() - start).toFixed(0)} ms)`,
      { cause: err },
    );
  }
  const ms = performance.now() - start;
  return { ms, perSec: (count / ms) * 1000, clients: clients.length };
}

/** How long one client may take to open, or to be acked, unless the command says. */
const CLIENT_MS = 15_000;

/** Opens `count` slow readers taking `rate` messages a second (0: as fast as they can). */
async function connectSlow(
  url: string,
  count: number,
  rate: number,
  subscribe: string[],
): Promise<object> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const reader = new SlowReader(url, rate > 0 ? rate : 1e9);
    slowClients.push(reader);
    await within(reader.open(), `slow reader ${i} did not open`, CLIENT_MS);
    await within(reader.subscribe(subscribe), `slow reader ${i} got no subscribe ack`, CLIENT_MS);
  }
  return { ms: performance.now() - start, clients: slowClients.length };
}

/** What the slow readers received since `reset`: sums, and how many were closed and how. */
function slowReport(cmd: Command): object {
  const report = {
    readers: slowClients.length,
    got: 0,
    backwards: 0,
    gaps: 0,
    marked: 0,
    closed1013: 0,
    closedOther: 0,
    newestSeqMin: Number.POSITIVE_INFINITY,
    newestSeqMax: -1,
  };
  for (const r of slowClients) {
    report.got += r.got;
    report.backwards += r.backwards;
    report.gaps += r.gaps;
    report.marked += r.marked;
    if (r.closeCode === 1013) report.closed1013++;
    else if (r.closeCode !== 0) report.closedOther++;
    report.newestSeqMin = Math.min(report.newestSeqMin, r.lastSeq);
    report.newestSeqMax = Math.max(report.newestSeqMax, r.lastSeq);
    if (cmd.reset === true) r.reset();
  }
  if (slowClients.length === 0) report.newestSeqMin = -1;
  return report;
}

/**
 * Arms the fan-out check: every client must now get `count` messages of
 * `event`, seq 0..count-1; with `latency`, each message's time since its `at`.
 */
function expect(cmd: Command): object {
  const count = cmd.count as number;
  const perGroup = new Array<number>(GROUPS).fill(0);
  for (const c of clients) {
    c.next = 0;
    c.got = 0;
    perGroup[c.group]!++;
  }
  stray = 0;
  tally = {
    event: cmd.event as string,
    count,
    completed: 0,
    firstAt: 0,
    lastAt: 0,
    deliveries: 0,
    violations: 0,
    details: [],
    done: undefined,
    latency: cmd.latency === true ? perGroup.map((n) => new Float64Array(n * count)) : undefined,
    lengths: new Array<number>(GROUPS).fill(0),
  };
  return {};
}

/** Waits until every client got every message, or `timeoutMs`; reports what arrived. */
async function wait(cmd: Command): Promise<object> {
  const t = tally;
  if (!t) throw new Error('wait without expect');
  if (t.completed < clients.length) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, cmd.timeoutMs as number);
      t.done = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  // Anything extra or late would show up now.
  await sleep(20);
  tally = undefined;
  let missing = 0;
  for (const c of clients) missing += Math.max(0, t.count - c.got);
  return {
    latency: t.latency?.map((l, g) => latencyOf(l.subarray(0, t.lengths[g]))),
    complete: t.completed === clients.length,
    firstAt: t.firstAt,
    lastAt: t.lastAt,
    deliveries: t.deliveries,
    violations: t.violations,
    missing,
    stray,
    details: t.details,
  };
}

/** Waits (bounded) until no request is outstanding. */
async function drain(outstanding: () => number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let i = 0; i < 100_000 && outstanding() > 0 && performance.now() < deadline; i++) {
    await sleep(2);
  }
}

/** Closed loop: each client keeps `window` requests outstanding for `durationMs`. */
async function closedLoop(cmd: Command): Promise<object> {
  const event = cmd.event as string;
  const window = cmd.window as number;
  const durationMs = cmd.durationMs as number;
  let running = true;
  let inWindow = 0;
  let total = 0;
  let errors = 0;
  let outstanding = 0;
  let n = 0;
  const fire = (c: BenchClient): void => {
    outstanding++;
    c.request(event, n++, (ok) => {
      outstanding--;
      total++;
      if (!ok) errors++;
      else if (running) inWindow++;
      if (running) fire(c);
    });
  };
  const start = performance.now();
  for (const c of clients) for (let w = 0; w < window; w++) fire(c);
  await sleep(durationMs);
  running = false;
  const elapsed = performance.now() - start;
  await drain(() => outstanding, 5000);
  return {
    requests: inWindow,
    total,
    perSec: (inWindow / elapsed) * 1000,
    elapsedMs: elapsed,
    errors,
    unanswered: outstanding,
  };
}

/**
 * Open loop: `rate` requests per second in all, round-robin over the clients,
 * each sent on schedule whatever the replies do; latency from send to reply.
 */
async function openLoop(cmd: Command): Promise<object> {
  const event = cmd.event as string;
  const rate = cmd.rate as number;
  const durationMs = cmd.durationMs as number;
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const latencies = new Float64Array(total);
  let sent = 0;
  let received = 0;
  let errors = 0;
  const start = performance.now();
  const deadline = start + durationMs + 5000;
  for (let turn = 0; sent < total && turn < 50_000_000; turn++) {
    const now = performance.now();
    if (now > deadline) break;
    const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
    while (sent < due) {
      const client = clients[sent % clients.length]!;
      const t = performance.now();
      client.request(event, sent++, (ok) => {
        if (!ok) errors++;
        else latencies[received++] = performance.now() - t;
      });
    }
    await nextTurn();
  }
  const elapsed = performance.now() - start;
  await drain(() => sent - received - errors, 5000);
  const sorted = latencies.subarray(0, received).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  return {
    sent,
    received,
    errors,
    unanswered: sent - received - errors,
    achievedRate: (sent / elapsed) * 1000,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    p999: quantile(sorted, 0.999),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

/** The envelope clients of this process; throws when there is another kind. */
function envelopeClients(): EnvelopeClient[] {
  const out = clients.filter((c): c is EnvelopeClient => c instanceof EnvelopeClient);
  if (out.length !== clients.length) throw new Error('the storm needs envelope clients');
  return out;
}

let observer: PingObserver | undefined;

function closeAll(): void {
  for (const c of clients) {
    try {
      c.close();
    } catch {
      // closing anyway
    }
  }
  clients.length = 0;
  for (const r of slowClients) r.close();
  slowClients.length = 0;
}

serveCommands(
  {
    connect,
    expect,
    wait,
    closedLoop,
    openLoop,
    slowReport,
    /** Cuts every client's connection at once; each dials again and resubscribes (storm.ts). */
    storm: (cmd) =>
      storm(envelopeClients(), {
        events: cmd.events as string[],
        attemptMs: cmd.attemptMs as number,
        maxAttempts: cmd.maxAttempts as number,
        boundMs: cmd.boundMs as number,
      }),
    /** Starts timing `carom.ping` round trips on the first client, one every `everyMs`. */
    pingStart: (cmd) => {
      void observer?.stop(0);
      const first: Pinger | undefined = envelopeClients()[0];
      if (!first) throw new Error('pingStart without a client');
      observer = new PingObserver(first, cmd.everyMs as number, cmd.boundMs as number);
      return {};
    },
    pingStop: async (cmd) => {
      if (!observer) throw new Error('pingStop without pingStart');
      const report = await observer.stop(cmd.drainMs as number);
      observer = undefined;
      return report;
    },
    stats: () => ({ replyErrors, stray, clients: clients.length }),
    close: () => {
      closeAll();
      return {};
    },
  },
  async () => closeAll(),
);
process.send!({ type: 'ready' });
