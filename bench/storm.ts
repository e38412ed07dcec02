/**
 * The load generator's side of the reconnect storm: every client of the
 * process has its connection cut at once, then dials again and resubscribes
 * as carom/client does after a network failure (its default backoff and
 * connect timeout), all within a quarter of a second; and the
 * observer, one more connection whose `carom.ping` round trips are timed
 * while that happens. Every loop is bounded in count and time.
 */
import { epochMs, latencyOf, sleep, within, type LatencySummary } from './common.js';

/** A client the storm can cut and dial again. */
export interface Redialable {
  /** Cuts the connection at once, as a network failure would. */
  drop(): void;
  /** Dials again; resolves once open. */
  reopen(): Promise<void>;
  /** Subscribes; resolves with the server's ack. */
  subscribe(events: string[]): Promise<void>;
}

/** How the clients of a storm reconnect. */
export interface StormOptions {
  /** The events each client subscribes to again. */
  events: string[];
  /** How long one attempt may take to open, and then to have its ack. */
  attemptMs: number;
  /** Attempts per client, the first included. */
  maxAttempts: number;
  /** The whole storm's bound. */
  boundMs: number;
}

/** What one process's storm did. */
export interface StormReport {
  clients: number;
  /** Clients whose subscribe ack came after the drop. */
  resubscribed: number;
  failed: number;
  /** When the first connection was cut (epoch ms). */
  dropAt: number;
  /** When the last client had its ack (epoch ms; 0 when none did). */
  lastAt: number;
  /** Attempts in all, and clients that needed more than one. */
  attempts: number;
  retried: number;
  /** Each client's time from the drop to its last attempt's open, then to its ack. */
  reopen: LatencySummary;
  resubscribe: LatencySummary;
  /** The first few reasons an attempt failed. */
  errors: string[];
}

/**
 * The wait before attempt `attempt` (1, 2...) after a drop: carom/client's
 * default policy, 250 ms doubling up to 10 s, less up to half at random.
 */
function backoffMs(attempt: number): number {
  return Math.min(10_000, 250 * 2 ** (attempt - 1)) * (1 - 0.5 * Math.random());
}

/**
 * Cuts every client's connection, then has every one dial again and
 * resubscribe as carom/client would: each attempt after a backoff (the first
 * within 250 ms, so all at once), given `attemptMs` to open and as long for
 * the ack, retried with a growing backoff when it fails.
 */
export async function storm(
  clients: readonly Redialable[],
  options: StormOptions,
): Promise<StormReport> {
  const { events, attemptMs, maxAttempts, boundMs } = options;
  const opens = new Float64Array(clients.length);
  const times = new Float64Array(clients.length);
  const report: StormReport = {
    clients: clients.length,
    resubscribed: 0,
    failed: 0,
    dropAt: epochMs(),
    lastAt: 0,
    attempts: 0,
    retried: 0,
    reopen: latencyOf(opens.subarray(0, 0)),
    resubscribe: latencyOf(times.subarray(0, 0)),
    errors: [],
  };
  for (const c of clients) c.drop();
  const deadline = performance.now() + boundMs;
  const left = (): number => Math.max(1, Math.min(attemptMs, deadline - performance.now()));

  const one = async (client: Redialable): Promise<void> => {
    for (let attempt = 1; attempt <= maxAttempts && performance.now() < deadline; attempt++) {
      await sleep(backoffMs(attempt));
      report.attempts++;
      try {
        await within(client.reopen(), 'no open', left());
        const openedAt = epochMs();
        await within(client.subscribe(events), 'no subscribe ack', left());
        report.lastAt = epochMs();
        opens[report.resubscribed] = openedAt - report.dropAt;
        times[report.resubscribed++] = report.lastAt - report.dropAt;
        return;
      } catch (err) {
        client.drop();
        if (attempt === 1) report.retried++;
        if (report.errors.length < 5) report.errors.push((err as Error).message);
      }
    }
    report.failed++;
  };
  await Promise.all(clients.map(one));
  report.reopen = latencyOf(opens.subarray(0, report.resubscribed));
  report.resubscribe = latencyOf(times.subarray(0, report.resubscribed));
  return report;
}

/** A connection that can send `carom.ping` and hear its ack. */
export interface Pinger {
  ping(onReply: (ok: boolean) => void): void;
}

/** What the observer saw: its round trips, and pings that failed or got no answer. */
export interface PingReport extends LatencySummary {
  sent: number;
  errors: number;
  unanswered: number;
}

/**
 * Sends a `carom.ping` every `everyMs` on schedule, whatever the answers do
 * (so a stalled server shows in every ping that waits on it), for at most
 * `boundMs`, and times each round trip.
 */
export class PingObserver {
  private readonly rtts: Float64Array;
  private sent = 0;
  private received = 0;
  private errors = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pinger: Pinger,
    everyMs: number,
    boundMs: number,
  ) {
    this.rtts = new Float64Array(Math.ceil(boundMs / everyMs) + 1);
    const start = performance.now();
    this.timer = setInterval(() => {
      if (this.sent >= this.rtts.length || performance.now() - start > boundMs) {
        clearInterval(this.timer);
        return;
      }
      this.sent++;
      const t = performance.now();
      this.pinger.ping((ok) => {
        if (!ok) this.errors++;
        else this.rtts[this.received++] = performance.now() - t;
      });
    }, everyMs);
  }

  /** Stops pinging, waits (at most `drainMs`) for the answers still due, and reports. */
  async stop(drainMs: number): Promise<PingReport> {
    clearInterval(this.timer);
    const deadline = performance.now() + drainMs;
    for (let i = 0; i < 10_000 && this.outstanding() > 0 && performance.now() < deadline; i++) {
      await sleep(5);
    }
    return {
      ...latencyOf(this.rtts.subarray(0, this.received)),
      sent: this.sent,
      errors: this.errors,
      unanswered: this.outstanding(),
    };
  }

  private outstanding(): number {
    return this.sent - this.received - this.errors;
  }
}
