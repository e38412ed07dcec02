/**
 * The well-behaved clients of the soak, one process per kind:
 * `node build/bench/soak/clients.js <json settings>`.
 *
 * Each client, until the deadline: connects, joins (the ticks after the seq
 * `join` answers are owed to it), makes requests at a steady pace and checks
 * every answer, leaves (every tick up to the seq `leave` answers has then
 * arrived), closes, and starts again. Every wait is bounded.
 */
import { sleep } from '../common.js';
import { LinkError, openLink, type Link } from './links.js';
import {
  ECHO,
  ECHO_DTO,
  JOIN,
  LEAVE,
  type ClientKind,
  type ClientsResult,
  type StartCommand,
} from './protocol.js';
import { TickWindow } from './ticks.js';
import { answerParent } from './load-child.js';

interface ClientSettings {
  readonly kind: ClientKind;
  readonly clients: number;
  /** Requests per second per client. */
  readonly requestRate: number;
  readonly sessionMinMs: number;
  readonly sessionMaxMs: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as ClientSettings;
if (!process.send) {
  process.stderr.write('soak/clients.js runs as a child of soak.js (it needs an IPC channel)\n');
  process.exit(2);
}

/** Bound on any one wait: an open, a request, a close. */
const WAIT_MS = 10_000;
/** Problems kept for the report. */
const MAX_PROBLEMS = 20;

const totals = {
  sessions: 0,
  broken: 0,
  owed: 0,
  received: 0,
  duplicated: 0,
  outOfOrder: 0,
  unexpected: 0,
  made: 0,
  answered: 0,
  failed: 0,
};
const problems: string[] = [];
/** Set by a `stop` command (the server died): every loop ends as at the deadline. */
let stopped = false;

function problem(text: string): void {
  if (problems.length < MAX_PROBLEMS) problems.push(`${new Date().toISOString()} ${text}`);
}

/** Three requests in turn: an echo, a valid DTO request, an invalid one (refused as it must be). */
async function oneRequest(link: Link, n: number, client: number): Promise<void> {
  totals.made++;
  const text = `client ${client} request ${n}`;
  try {
    switch (n % 3) {
      case 0: {
        const data = { n, text, nested: { list: [n, 'x', null, true] } };
        const ack = await link.request(ECHO, data, WAIT_MS);
        if (JSON.stringify(ack) !== JSON.stringify(data)) {
          throw new LinkError('WRONG', `echo answered ${JSON.stringify(ack)}`);
        }
        break;
      }
      case 1: {
        const ack = (await link.request(ECHO_DTO, { n, text }, WAIT_MS)) as { n?: unknown };
        if (ack?.n !== n) throw new LinkError('WRONG', `echo_dto answered ${JSON.stringify(ack)}`);
        break;
      }
      default: {
        try {
          await link.request(ECHO_DTO, { n: -1, text: '' }, WAIT_MS);
        } catch (err) {
          if ((err as LinkError).code === 'VALIDATION_FAILED') break;
          throw err;
        }
        throw new LinkError('WRONG', 'an invalid echo_dto payload was acked');
      }
    }
    totals.answered++;
  } catch (err) {
    totals.failed++;
    const e = err as LinkError;
    problem(`client ${client}: request ${n} failed: ${e.code} ${e.message}`);
  }
}

/** One connection from join to leave; broken when the server closed it or a wait timed out. */
async function session(url: string, client: number, until: number, base: number): Promise<void> {
  totals.sessions++;
  const window = new TickWindow();
  let lost: string | undefined;
  const link = openLink(settings.kind, url, {
    tick: (seq) => window.tick(seq),
    lost: (code, reason) => (lost ??= `closed by the server (${code} ${reason})`),
  });
  try {
    await link.open(WAIT_MS);
    const joined = (await link.request(JOIN, {}, WAIT_MS)) as { seq?: unknown };
    if (typeof joined?.seq !== 'number') throw new Error(`join answered ${JSON.stringify(joined)}`);
    window.joined(joined.seq);
    const gap = 1000 / settings.requestRate;
    let n = base;
    let next = Date.now();
    while (Date.now() < until && lost === undefined && !stopped) {
      await oneRequest(link, n++, client);
      next += gap;
      const wait = Math.min(next, until) - Date.now();
      if (wait > 0) await sleep(wait);
      else next = Date.now();
    }
    if (lost !== undefined) throw new Error(lost);
    const left = (await link.request(LEAVE, {}, WAIT_MS)) as { seq?: unknown };
    if (typeof left?.seq !== 'number') throw new Error(`leave answered ${JSON.stringify(left)}`);
    const tally = window.left(left.seq);
    totals.owed += tally.owed;
    totals.received += tally.received;
    totals.duplicated += tally.duplicated;
    totals.outOfOrder += tally.outOfOrder;
    totals.unexpected += tally.unexpected;
    if (tally.received !== tally.owed || tally.duplicated + tally.outOfOrder + tally.unexpected) {
      problem(`client ${client}: session ${JSON.stringify(tally)}`);
    }
  } catch (err) {
    // What was owed is unknown without an answered leave: the session counts as broken.
    totals.broken++;
    problem(`client ${client}: session broken: ${lost ?? (err as Error).message}`);
  } finally {
    await link.close();
  }
}

async function clientLoop(url: string, client: number, deadline: number): Promise<void> {
  // Staggered starts, so that sessions do not all reconnect in step.
  await sleep(Math.random() * Math.min(500, settings.sessionMinMs));
  let base = 0;
  while (Date.now() < deadline && !stopped) {
    const length =
      settings.sessionMinMs + Math.random() * (settings.sessionMaxMs - settings.sessionMinMs);
    await session(url, client, Math.min(deadline, Date.now() + length), base);
    base += 1_000_000;
  }
}

async function run(start: StartCommand): Promise<void> {
  const url = `ws://127.0.0.1:${start.port}${start.path}`;
  await Promise.all(
    Array.from({ length: settings.clients }, (_, i) => clientLoop(url, i, start.deadline)),
  );
  const result: ClientsResult = {
    type: 'result',
    kind: settings.kind,
    clients: settings.clients,
    sessions: totals.sessions,
    broken: totals.broken,
    owed: totals.owed,
    received: totals.received,
    lost: totals.owed - totals.received,
    duplicated: totals.duplicated,
    outOfOrder: totals.outOfOrder,
    unexpected: totals.unexpected,
    requests: { made: totals.made, answered: totals.answered, failed: totals.failed },
    problems,
  };
  if (process.connected) process.send!(result);
}

answerParent('clients', run, () => {
  stopped = true;
});
