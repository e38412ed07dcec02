/**
 * The misbehaving clients of the soak: `node build/bench/soak/hostile.js <json settings>`.
 *
 * Each kind asked for runs in its own loop until the deadline, one act at a
 * time (a few at once for the slow ones), and counts what it did and what the
 * server answered: error codes, close codes, HTTP statuses. Every wait is
 * bounded; every socket is ended by the act that opened it.
 */
import net from 'node:net';
import WebSocket from 'ws';
import { sleep } from '../common.js';
import {
  deepFrame,
  garbageFrames,
  INVALID_UTF8,
  oversizeFrame,
  partialUpgrade,
  subscribeFrame,
} from './frames.js';
import { ECHO, JOIN, type HostileKind, type HostileResult, type StartCommand } from './protocol.js';
import { answerParent } from './load-child.js';

interface HostileSettings {
  readonly kinds: readonly HostileKind[];
  /** How long a slowloris or paused socket is held, at most. */
  readonly holdMs: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as HostileSettings;
if (!process.send) {
  process.stderr.write('soak/hostile.js runs as a child of soak.js (it needs an IPC channel)\n');
  process.exit(2);
}

/** Bound on one wait for an answer or a close. */
const WAIT_MS = 5000;
/** Envelopes in one flood burst. */
const FLOOD_BURST = 2000;
/** Subscribe frames per spamming connection, and names per frame. */
const SPAM_FRAMES = 20;
const SPAM_NAMES = 100;
/** Sockets held at once by the slow kinds. */
const SLOWLORIS_SOCKETS = 10;
const PAUSED_SOCKETS = 5;
/** Requests a paused client sends before it stops reading, and their size. */
const PAUSED_REQUESTS = 200;
const PAUSED_REQUEST_BYTES = 4096;

const counts: Record<string, Record<string, number>> = {};
const problems: string[] = [];
/** Set by a `stop` command (the server died): every loop ends as at the deadline. */
let stopped = false;

function count(kind: HostileKind, what: string, n = 1): void {
  const c = (counts[kind] ??= {});
  c[what] = (c[what] ?? 0) + n;
}

function problem(kind: HostileKind, err: unknown): void {
  count(kind, 'errors');
  if (problems.length < 20) problems.push(`${kind}: ${(err as Error).message ?? String(err)}`);
}

/** A `ws` socket with what the server said: replies by event and code, the close code. */
class Probe {
  readonly ws: WebSocket;
  readonly replies: string[] = [];
  closeCode: number | undefined;
  private readonly closed: Promise<number>;
  private readonly waiters = new Set<() => void>();

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: WAIT_MS,
      ...options,
    });
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data, isBinary) => {
      this.replies.push(isBinary ? 'binary' : replyKind((data as Buffer).toString()));
      for (const w of [...this.waiters]) w();
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code) => {
        this.closeCode = code;
        for (const w of [...this.waiters]) w();
        resolve(code);
      });
    });
  }

  /** Resolves once open; rejects when it closes first or after the bound. */
  open(): Promise<void> {
    return bounded(
      new Promise<void>((resolve, reject) => {
        this.ws.once('open', () => resolve());
        void this.closed.then(() => reject(new Error('closed before open')));
      }),
      'open',
    );
  }

  /** Resolves once `n` replies arrived, the socket closed, or the bound passed. */
  async awaitReplies(n: number, ms = WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.replies.length < n && this.closeCode === undefined && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, deadline - Date.now());
        this.waiters.add(done);
      });
    }
  }

  /** Resolves with the close code once closed, or undefined after the bound. */
  async closedWithin(ms = WAIT_MS): Promise<number | undefined> {
    return Promise.race([this.closed, sleep(ms).then(() => undefined)]);
  }

  /** Closes and waits for it, bounded; terminates a socket that does not close. */
  async end(): Promise<void> {
    if (this.closeCode !== undefined) return;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else this.ws.terminate();
    if ((await this.closedWithin(2000)) === undefined) this.ws.terminate();
  }
}

/** `ack`, `error:<code>`, or the event name of a frame from the server. */
function replyKind(text: string): string {
  try {
    const msg = JSON.parse(text) as { event?: unknown; data?: { code?: unknown } };
    if (msg.event === 'error') return `error:${String(msg.data?.code)}`;
    return String(msg.event);
  } catch {
    return 'not-json';
  }
}

function bounded<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

function tally(kind: HostileKind, probe: Probe): void {
  for (const r of probe.replies) count(kind, `reply ${r}`);
  if (probe.closeCode !== undefined) count(kind, `close ${probe.closeCode}`);
}

interface Target {
  readonly url: string;
  readonly port: number;
  readonly deadline: number;
  readonly maxPayload: number;
  readonly maxEventLength: number;
}

/** One act of each kind; returns the pause before the next. */
const acts: Record<HostileKind, (t: Target) => Promise<number>> = {
  async deep(t) {
    const probe = new Probe(t.url);
    try {
      await probe.open();
      probe.ws.send(deepFrame());
      count('deep', 'performed');
      await probe.awaitReplies(1);
    } finally {
      await probe.end();
      tally('deep', probe);
    }
    return 100;
  },

  async garbage(t) {
    const probe = new Probe(t.url);
    try {
      await probe.open();
      const frames = garbageFrames(t.maxEventLength);
      for (const f of frames) probe.ws.send(f, { binary: typeof f !== 'string' });
      count('garbage', 'performed', frames.length);
      await probe.awaitReplies(frames.length);
      // Last, as it ends the connection: text that is not UTF-8.
      probe.ws.send(INVALID_UTF8, { binary: false });
      count('garbage', 'performed');
      await probe.closedWithin();
    } finally {
      await probe.end();
      tally('garbage', probe);
    }
    return 50;
  },

  async oversize(t) {
    const probe = new Probe(t.url);
    try {
      await probe.open();
      probe.ws.send(oversizeFrame(t.maxPayload));
      count('oversize', 'performed');
      await probe.closedWithin();
    } finally {
      await probe.end();
      tally('oversize', probe);
    }
    return 200;
  },

  async flood(t) {
    const probe = new Probe(t.url);
    try {
      await probe.open();
      for (let i = 0; i < FLOOD_BURST; i++) {
        probe.ws.send(`{"event":"${ECHO}","data":{"n":${i}},"id":${i}}`);
      }
      count('flood', 'performed', FLOOD_BURST);
      await probe.awaitReplies(FLOOD_BURST, 2 * WAIT_MS);
    } finally {
      await probe.end();
      tally('flood', probe);
    }
    return 200;
  },

  async 'subscribe-spam'(t) {
    const probe = new Probe(t.url);
    const tag = Math.random().toString(36).slice(2, 8);
    try {
      await probe.open();
      let frames = 0;
      for (let f = 0; f < SPAM_FRAMES; f++) {
        const names: string[] = [];
        for (let i = 0; i < SPAM_NAMES; i++) {
          // Prefix patterns are accepted whether declared or not: they pile up.
          names.push(i % 2 ? `spam.${tag}.${f}.${i}.*` : `nope.${tag}.${f}.${i}`);
        }
        probe.ws.send(subscribeFrame(f, names));
        frames++;
      }
      probe.ws.send(subscribeFrame(SPAM_FRAMES, ['z'.repeat(t.maxEventLength + 1)]));
      probe.ws.send(subscribeFrame(SPAM_FRAMES + 1, [`${'a.'.repeat(t.maxEventLength)}*`]));
      frames += 2;
      count('subscribe-spam', 'performed', frames);
      count('subscribe-spam', 'names', SPAM_FRAMES * SPAM_NAMES + 2);
      await probe.awaitReplies(frames);
    } finally {
      await probe.end();
      tally('subscribe-spam', probe);
    }
    return 100;
  },

  async slowloris(t) {
    await Promise.all(
      Array.from({ length: SLOWLORIS_SOCKETS }, (_, i) => slowSocket(t, i % 2 === 0)),
    );
    return 100;
  },

  async paused(t) {
    await Promise.all(Array.from({ length: PAUSED_SOCKETS }, () => pausedClient(t)));
    return 100;
  },
};

/**
 * A raw TCP socket that sends the start of an upgrade request and never ends
 * it: trickling one more header a second (`trickle`), or silent. Held until
 * the server drops it, the hold time or the deadline.
 */
async function slowSocket(t: Target, trickle: boolean): Promise<void> {
  const kind = 'slowloris';
  const socket = net.connect(t.port, '127.0.0.1');
  let answer = '';
  let isClosed = false;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    if (answer.length < 200) answer += chunk.toString('latin1');
  });
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  const connected = await Promise.race([
    new Promise<boolean>((resolve) => socket.once('connect', () => resolve(true))),
    closed.then(() => false),
    sleep(WAIT_MS).then(() => false),
  ]);
  if (!connected) {
    socket.destroy();
    count(kind, 'connect failed');
    return;
  }
  socket.write(partialUpgrade(t.port));
  count(kind, 'performed');
  count(kind, trickle ? 'trickling' : 'silent');
  const until = Math.min(t.deadline, Date.now() + settings.holdMs);
  let headers = 0;
  while (!isClosed && !stopped && Date.now() < until) {
    await Promise.race([sleep(Math.min(1000, until - Date.now())), closed]);
    if (trickle && !isClosed) socket.write(`X-Slow-${headers++}: 1\r\n`);
  }
  if (isClosed) {
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
    count(kind, status ? `dropped by the server with ${status}` : 'dropped by the server');
  } else {
    count(kind, 'held to the end');
  }
  socket.destroy();
  await Promise.race([closed, sleep(1000)]);
}

/**
 * A client that joins, sends requests whose answers it never reads, and stops
 * reading: the server's writes to it pile up. Held until the hold time or the
 * deadline, then dropped.
 */
async function pausedClient(t: Target): Promise<void> {
  const kind = 'paused';
  const probe = new Probe(t.url);
  try {
    await probe.open();
    probe.ws.send(`{"event":"${JOIN}","id":0}`);
    const text = 'p'.repeat(PAUSED_REQUEST_BYTES);
    for (let i = 1; i <= PAUSED_REQUESTS; i++) {
      probe.ws.send(`{"event":"${ECHO}","id":${i},"data":"${text}"}`);
    }
    probe.ws.pause();
    count(kind, 'performed');
    const until = Math.min(t.deadline, Date.now() + settings.holdMs);
    while (!stopped && Date.now() < until) await sleep(Math.min(500, until - Date.now()));
    count(kind, 'held to the end');
  } finally {
    probe.ws.terminate();
    await probe.closedWithin(1000);
  }
}

async function loop(kind: HostileKind, target: Target): Promise<void> {
  while (Date.now() < target.deadline && !stopped) {
    let pause = 200;
    try {
      pause = await acts[kind](target);
    } catch (err) {
      problem(kind, err);
    }
    await sleep(Math.min(pause, Math.max(0, target.deadline - Date.now())));
  }
}

async function run(start: StartCommand): Promise<void> {
  const target: Target = {
    url: `ws://127.0.0.1:${start.port}${start.path}`,
    port: start.port,
    deadline: start.deadline,
    maxPayload: start.maxPayload,
    maxEventLength: start.maxEventLength,
  };
  for (const kind of settings.kinds) counts[kind] = { performed: 0 };
  await Promise.all(settings.kinds.map((kind) => loop(kind, target)));
  const result: HostileResult = { type: 'result', kinds: counts, problems };
  if (process.connected) process.send!(result);
}

answerParent('hostile', run, () => {
  stopped = true;
});
