/**
 * The soak's report: memory figures with a linear growth fit, the verdict, and
 * the table printed at the end. The JSON written is {@link SoakReport}.
 */
import type { SoakSettings } from './options.js';
import type { ClientsResult, HostileResult, MemorySample } from './protocol.js';

/** Start, peak, final and growth of one memory figure, in bytes. */
export interface MemoryFigure {
  readonly start: number;
  readonly peak: number;
  readonly final: number;
  /** Slope of a least-squares line over the samples after the warm-up, per hour; null with < 3. */
  readonly growthPerHour: number | null;
}

/** The whole report, as written to JSON. */
export interface SoakReport {
  readonly kind: 'soak';
  readonly startedAt: string;
  readonly command: string;
  readonly settings: SoakSettings;
  readonly machine: Record<string, unknown>;
  readonly durationMs: number;
  /** From the start command to the last result. */
  readonly elapsedMs: number;
  readonly server: {
    readonly pid: number | undefined;
    /** False when the server process exited before the end of the run. */
    readonly up: boolean;
    readonly exit: { code: number | null; signal: string | null; afterMs: number } | null;
    /** The tail of its output when it died, for the cause. */
    readonly output: string | undefined;
    readonly logLines: number;
  };
  /** The ticks the server published: the rate asked for and the rate kept. */
  readonly ticks: { readonly rate: number; readonly published: number; readonly perSecond: number };
  /** The server's event-loop delay: the worst 99th percentile of a sample interval, and the maximum. */
  readonly loopDelay: { readonly p99Ms: number; readonly maxMs: number };
  readonly clients: Record<string, ClientsResult | { missing: string }>;
  readonly totals: {
    readonly owed: number;
    readonly received: number;
    readonly lost: number;
    readonly duplicated: number;
    readonly outOfOrder: number;
    readonly unexpected: number;
    readonly broken: number;
    readonly requests: { made: number; answered: number; failed: number };
  };
  readonly memory: {
    readonly rss: MemoryFigure;
    readonly heapUsed: MemoryFigure;
    readonly warmupMs: number;
    /** Samples the fit used. */
    readonly fitSamples: number;
    readonly collected: boolean;
    readonly samples: readonly MemorySample[];
  };
  readonly hostile: HostileResult | { missing: string } | null;
  readonly verdict: { readonly ok: boolean; readonly failures: readonly string[] };
}

/** Slope of the least-squares line through (x, y); NaN with fewer than 2 distinct x. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) * (x - mx);
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

/**
 * Start (the first sample, before any client), peak, final (the last, after the
 * clients left) and the growth per hour fitted over the samples taken between
 * `fitFrom` and `fitTo` (epoch ms): the loaded part of the run after the warm-up.
 */
export function memoryFigure(
  samples: readonly MemorySample[],
  pick: (s: MemorySample) => number,
  fitFrom: number,
  fitTo: number,
): MemoryFigure {
  const values = samples.map(pick);
  const fit = samples.filter((s) => s.at >= fitFrom && s.at <= fitTo);
  const perMs = fit.length >= 3 ? slope(fit.map((s) => [s.at, pick(s)] as const)) : NaN;
  return {
    start: values[0] ?? NaN,
    peak: values.length ? Math.max(...values) : NaN,
    final: values[values.length - 1] ?? NaN,
    growthPerHour: Number.isFinite(perMs) ? Math.round(perMs * 3_600_000) : null,
  };
}

/** The ticks published, and the rate kept between the first and the last sample. */
export function tickFigures(samples: readonly MemorySample[], rate: number): SoakReport['ticks'] {
  const first = samples[0];
  const last = samples[samples.length - 1];
  const seconds = first && last ? (last.at - first.at) / 1000 : 0;
  return {
    rate,
    published: last?.published ?? 0,
    perSecond:
      seconds > 0 ? Math.round(((last!.published - first!.published) / seconds) * 10) / 10 : NaN,
  };
}

/** The worst event-loop delays over the samples. */
export function loopDelayFigures(samples: readonly MemorySample[]): SoakReport['loopDelay'] {
  let p99Ms = 0;
  let maxMs = 0;
  for (const s of samples) {
    if (Number.isFinite(s.loopDelayP99Ms)) p99Ms = Math.max(p99Ms, s.loopDelayP99Ms);
    if (Number.isFinite(s.loopDelayMaxMs)) maxMs = Math.max(maxMs, s.loopDelayMaxMs);
  }
  return { p99Ms: Math.round(p99Ms * 10) / 10, maxMs: Math.round(maxMs * 10) / 10 };
}

/** What makes the run fail, in words; empty when it passed. */
export function failures(report: Omit<SoakReport, 'verdict'>): string[] {
  const out: string[] = [];
  const s = report.server;
  if (!s.up) {
    const how = s.exit ? `code ${s.exit.code}, signal ${s.exit.signal}` : 'unknown';
    const at = s.exit ? ` ${(s.exit.afterMs / 1000).toFixed(1)} s into the run` : '';
    out.push(`THE SERVER PROCESS EXITED${at} (${how})`);
  }
  for (const [kind, r] of Object.entries(report.clients)) {
    if ('missing' in r) {
      out.push(`${kind} clients reported nothing: ${r.missing}`);
      continue;
    }
    if (r.lost !== 0) out.push(`${kind} clients lost ${r.lost} of ${r.owed} messages owed`);
    if (r.duplicated) out.push(`${kind} clients got ${r.duplicated} duplicates`);
    if (r.outOfOrder) out.push(`${kind} clients got ${r.outOfOrder} messages out of order`);
    if (r.unexpected) out.push(`${kind} clients got ${r.unexpected} messages never owed`);
    if (r.broken) out.push(`${kind} clients had ${r.broken} sessions broken`);
    if (r.requests.failed) out.push(`${kind} clients had ${r.requests.failed} requests fail`);
    if (r.sessions === 0 || r.owed === 0) out.push(`${kind} clients completed no session`);
  }
  if (report.hostile && 'missing' in report.hostile) {
    out.push(`the hostile clients reported nothing: ${report.hostile.missing}`);
  }
  return out;
}

const MB = 1024 * 1024;

function mb(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '-';
  return `${(bytes / MB).toFixed(1)} MB`;
}

function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells
    .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!)))
    .join('  ')
    .trimEnd();
}

/** Runs of one repeated line (a stack overflow's frames) written once, with the count. */
function collapse(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length;) {
    let j = i + 1;
    while (j < lines.length && lines[j] === lines[i]) j++;
    out.push(j - i > 1 ? `${lines[i]!}  [× ${j - i}]` : lines[i]!);
    i = j;
  }
  return out;
}

/** The table printed at the end of a run. */
export function formatReport(report: SoakReport): string {
  const lines: string[] = [];
  const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  lines.push(
    `soak: ${sec(report.durationMs)} planned, ${sec(report.elapsedMs)} run, server pid ` +
      `${report.server.pid ?? '?'}, ${String(report.machine.pinning)}`,
  );
  lines.push('');
  const cw = [14, 8, 9, 7, 9, 9, 5, 5, 6, 6, 9, 9, 7];
  lines.push(
    row(
      [
        'clients',
        'clients',
        'sessions',
        'broken',
        'owed',
        'received',
        'lost',
        'dup',
        'order',
        'never',
        'requests',
        'answered',
        'failed',
      ],
      cw,
    ),
  );
  for (const [kind, r] of Object.entries(report.clients)) {
    if ('missing' in r) {
      lines.push(row([kind, `reported nothing: ${r.missing}`], [14, 1]));
      continue;
    }
    lines.push(
      row(
        [
          kind,
          r.clients,
          r.sessions,
          r.broken,
          r.owed,
          r.received,
          r.lost,
          r.duplicated,
          r.outOfOrder,
          r.unexpected,
          r.requests.made,
          r.requests.answered,
          r.requests.failed,
        ],
        cw,
      ),
    );
  }
  lines.push('');
  const m = report.memory;
  const mw = [14, 10, 10, 10, 12];
  lines.push(row(['server memory', 'start', 'peak', 'final', 'growth/h'], mw));
  for (const [name, f] of [
    ['RSS', m.rss],
    ['heap used', m.heapUsed],
  ] as const) {
    lines.push(row([name, mb(f.start), mb(f.peak), mb(f.final), mb(f.growthPerHour)], mw));
  }
  lines.push(
    `growth: least-squares line over ${m.fitSamples} samples after a ${sec(m.warmupMs)} warm-up` +
      (m.collected ? ', each after a forced GC' : ', without forced GC'),
  );
  lines.push(
    `server: ${report.ticks.published} ticks published, ${report.ticks.perSecond}/s ` +
      `(asked ${report.ticks.rate}/s); event-loop delay: worst p99 ${report.loopDelay.p99Ms} ms, ` +
      `max ${report.loopDelay.maxMs} ms`,
  );
  lines.push('');
  const h = report.hostile;
  if (h === null) lines.push('misbehaviour: none asked for');
  else if ('missing' in h) lines.push(`misbehaviour: reported nothing (${h.missing})`);
  else {
    lines.push(row(['misbehaviour', 'performed', 'what came of it'], [14, 10, 1]));
    for (const [kind, c] of Object.entries(h.kinds)) {
      const rest = Object.entries(c)
        .filter(([k]) => k !== 'performed')
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      lines.push(row([kind, c.performed ?? 0, ` ${rest}`], [14, 10, 1]));
    }
    for (const p of h.problems.slice(0, 5)) lines.push(`  ${p}`);
  }
  lines.push('');
  const s = report.server;
  if (s.up) {
    lines.push(
      `server: up the whole run; ${s.logLines} lines of output ` +
        `(log level ${report.settings.serverLogLevel})`,
    );
  } else {
    lines.push('!'.repeat(72));
    lines.push(`!!! THE SERVER DIED: ${report.verdict.failures[0] ?? ''}`);
    lines.push('!'.repeat(72));
    if (s.output) lines.push(...collapse(s.output.trimEnd().split('\n')).slice(-30));
  }
  for (const [kind, r] of Object.entries(report.clients)) {
    if ('problems' in r) for (const p of r.problems.slice(0, 5)) lines.push(`  ${kind}: ${p}`);
  }
  lines.push(
    report.verdict.ok
      ? 'verdict: OK: no message lost, duplicated or out of order; the server stayed up'
      : `verdict: FAILED\n${report.verdict.failures.map((f) => `  - ${f}`).join('\n')}`,
  );
  return lines.join('\n');
}
