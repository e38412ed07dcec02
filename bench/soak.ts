/**
 * The soak run: `npm run soak -- --duration 10m [options]` (see bench/README.md).
 *
 * One carom server process (bench/soak/server.ts, pinned to core 0), one
 * process of well-behaved clients per kind (bench/soak/clients.ts) and one of
 * misbehaving clients (bench/soak/hostile.ts), both on core 1, for a fixed
 * time on 127.0.0.1. The server reports its memory every few seconds; the
 * clients count the messages owed to them against those received. At the end
 * a table is printed and the JSON written under bench/results/. The exit code
 * is 1 when the server died, a message was lost, duplicated or out of order, or
 * a well-behaved request failed; 2 for a bad command line; 130 on SIGINT.
 * Every child is ended by its PID, whatever happens.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './common.js';
import { Child, killChildrenOnExit, pinning } from './child.js';
import { parseArgs, USAGE, UsageError, type SoakSettings } from './soak/options.js';
import type {
  ClientsResult,
  HostileResult,
  MemorySample,
  ServerReady,
  StartCommand,
} from './soak/protocol.js';
import {
  failures,
  formatReport,
  loopDelayFigures,
  memoryFigure,
  tickFigures,
  type SoakReport,
} from './soak/report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The package root: soak.js lives in build/bench/. */
const root = path.resolve(here, '..', '..');
const script = (name: string): string => path.join(here, 'soak', `${name}.js`);

/** Time a child has to start and say it is ready. */
const READY_MS = 20_000;
/** Time the load children have after the deadline to finish their sessions and report. */
const REPORT_GRACE_MS = 30_000;

const isType =
  <T>(type: string) =>
  (m: unknown): m is T =>
    typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;

function write(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function soak(settings: SoakSettings): Promise<SoakReport> {
  const pin = settings.pin ? pinning('clients') : { why: 'pinning turned off (--no-pin)' };
  const startedAt = new Date();

  const server = new Child(
    'server',
    script('server'),
    [
      JSON.stringify({
        rate: settings.rate,
        sampleMs: settings.sampleMs,
        logLevel: settings.serverLogLevel,
      }),
    ],
    { core: 'server' in pin ? pin.server : undefined, nodeArgs: ['--expose-gc'] },
  );
  const samples: MemorySample[] = [];
  const sampled = isType<MemorySample>('sample');
  server.onMessage((m) => {
    if (sampled(m)) samples.push(m);
  });
  const ready = await server.next(isType<ServerReady>('ready'), READY_MS, 'ready');

  const loadCore = 'load' in pin ? pin.load : undefined;
  const clients = settings.kinds.map(
    (kind) =>
      new Child(
        `${kind} clients`,
        script('clients'),
        [
          JSON.stringify({
            kind,
            clients: settings.clients,
            requestRate: settings.requestRate,
            sessionMinMs: settings.sessionMinMs,
            sessionMaxMs: settings.sessionMaxMs,
          }),
        ],
        { core: loadCore },
      ),
  );
  const hostile =
    settings.hostile.length > 0
      ? new Child(
          'hostile clients',
          script('hostile'),
          [JSON.stringify({ kinds: settings.hostile, holdMs: settings.holdMs })],
          { core: loadCore },
        )
      : undefined;
  const load = hostile ? [...clients, hostile] : clients;
  try {
    await Promise.all(load.map((c) => c.next(isType('ready'), READY_MS, 'ready')));

    const t0 = Date.now();
    const deadline = t0 + settings.durationMs;
    const start: StartCommand = {
      type: 'start',
      port: ready.port,
      path: ready.path,
      deadline,
      maxPayload: ready.maxPayload,
      maxEventLength: ready.maxEventLength,
    };
    const resultOf = <T>(c: Child): Promise<T | { missing: string }> =>
      c
        .next(isType<T>('result'), settings.durationMs + REPORT_GRACE_MS, 'its result')
        .catch((err: unknown) => ({ missing: (err as Error).message.split('\n')[0]! }));
    const results = load.map((c) => resultOf<ClientsResult | HostileResult>(c));
    for (const c of load) c.send(start);
    write(
      `soak: ${(settings.durationMs / 1000).toFixed(0)} s against ws://127.0.0.1:${ready.port}` +
        `${ready.path}; ${settings.kinds.length} × ${settings.clients} well-behaved clients; ` +
        `hostile: ${settings.hostile.join(', ') || 'none'}; ${pin.why}`,
    );

    // The server dying ends the run at once: the load is told to stop and report.
    let serverDied = false;
    let ended = false;
    void server.exited.then(() => {
      if (ended) return;
      serverDied = true;
      write(`!!! the server process exited ${((Date.now() - t0) / 1000).toFixed(1)} s in`);
      for (const c of load) c.send({ type: 'stop' });
    });
    const progress = setInterval(() => {
      const last = samples[samples.length - 1];
      if (!last || serverDied) return;
      write(
        `  ${((Date.now() - t0) / 1000).toFixed(0)} s: rss ${(last.rss / 1048576).toFixed(1)} MB, ` +
          `heap ${(last.heapUsed / 1048576).toFixed(1)} MB, ${last.connections} connections, ` +
          `${last.published} published`,
      );
    }, 30_000);
    const settled = await Promise.all(results);
    clearInterval(progress);
    const elapsedMs = Date.now() - t0;

    // The final sample, once every client has left.
    if (!server.exit) {
      await sleep(Math.min(1000, settings.sampleMs));
      server.send({ type: 'sample' });
      await server.next(sampled, 10_000, 'the final sample').catch(() => undefined);
    }
    // Dying after the deadline, while the clients leave, is dying too.
    const exit = server.exit;
    const up = exit === undefined;
    ended = true;

    const clientResults: SoakReport['clients'] = {};
    settings.kinds.forEach((kind, i) => {
      clientResults[kind] = settled[i] as ClientsResult | { missing: string };
    });
    const byKind = Object.values(clientResults).filter(
      (r): r is ClientsResult => !('missing' in r),
    );
    const sum = (f: (r: ClientsResult) => number): number => byKind.reduce((a, r) => a + f(r), 0);
    const fitFrom = t0 + settings.warmupMs;
    const fit = samples.filter((s) => s.at >= fitFrom && s.at <= deadline);
    const partial: Omit<SoakReport, 'verdict'> = {
      kind: 'soak',
      startedAt: startedAt.toISOString(),
      command: process.argv.slice(2).join(' '),
      settings,
      machine: {
        cpuModel: os.cpus()[0]?.model,
        cpus: os.cpus().length,
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        loadavg: os.loadavg(),
        pinning: pin.why,
      },
      durationMs: settings.durationMs,
      elapsedMs,
      server: {
        pid: server.pid,
        up,
        exit: !exit ? null : { code: exit.code, signal: exit.signal, afterMs: exit.at - t0 },
        output: up ? undefined : server.output,
        logLines: server.outputLines,
      },
      ticks: tickFigures(samples, settings.rate),
      loopDelay: loopDelayFigures(samples),
      clients: clientResults,
      totals: {
        owed: sum((r) => r.owed),
        received: sum((r) => r.received),
        lost: sum((r) => r.lost),
        duplicated: sum((r) => r.duplicated),
        outOfOrder: sum((r) => r.outOfOrder),
        unexpected: sum((r) => r.unexpected),
        broken: sum((r) => r.broken),
        requests: {
          made: sum((r) => r.requests.made),
          answered: sum((r) => r.requests.answered),
          failed: sum((r) => r.requests.failed),
        },
      },
      memory: {
        rss: memoryFigure(samples, (s) => s.rss, fitFrom, deadline),
        heapUsed: memoryFigure(samples, (s) => s.heapUsed, fitFrom, deadline),
        warmupMs: settings.warmupMs,
        fitSamples: fit.length,
        collected: samples.every((s) => s.collected),
        samples,
      },
      hostile: hostile
        ? (settled[settled.length - 1] as HostileResult | { missing: string })
        : null,
    };
    const why = failures(partial);
    return { ...partial, verdict: { ok: why.length === 0, failures: why } };
  } finally {
    // The server first, so the closing handshakes leave TIME_WAIT on its side.
    await server.end();
    await Promise.all(load.map((c) => c.end()));
  }
}

killChildrenOnExit('soak');

let settings: SoakSettings;
try {
  settings = parseArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`${err.message}\n${USAGE}\n`);
  process.exit(2);
}

const report = await soak(settings);
const out =
  settings.out ??
  path.join(root, 'bench', 'results', `soak-${report.startedAt.replace(/[:.]/g, '-')}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
write('');
write(formatReport(report));
write(`\nJSON: ${path.relative(process.cwd(), out) || out}`);
process.exitCode = report.verdict.ok ? 0 : 1;
