/**
 * What a run prints and writes: a line per repetition, a table per scenario
 * (median [min–max] and each contender's ratio to raw ws), the targets, and
 * the JSON with every run under bench/results/ (or `--out`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ContenderName } from '../common.js';
import { METRICS } from './metrics.js';
import type { Metrics, RunRecord } from './record.js';
import { contendersOf, type Scenario } from './settings.js';
import { summarize, type Summary } from './summary.js';
import type { TargetResult } from './targets.js';

/** The first three figures of a run, for its progress line. */
export function oneLine(scenario: Scenario, m: Metrics): string {
  return METRICS[scenario]
    .slice(0, 3)
    .filter((s) => m[s.key] !== undefined)
    .map((s) => `${s.label} ${s.format(m[s.key]!)}`)
    .join(', ');
}

/** The progress line of one finished run. */
export function runLine(record: RunRecord, reps: number): string {
  const where = `[${record.rep}/${reps}] ${record.scenario} ${record.case} ${record.contender}: `;
  if (record.ok) return where + oneLine(record.scenario, record.metrics);
  const violations = record.violations ? ` (${record.violations} violations)` : '';
  const why = record.error ?? JSON.stringify(record.detail.violationDetails ?? '');
  return `${where}FAILED${violations} ${why}`;
}

/** A scenario's table: a row per case and metric, a column per contender (and its ×raw). */
export function table(
  runs: readonly RunRecord[],
  scenario: Scenario,
  cases: readonly string[],
  contenders: readonly ContenderName[],
  reps: number,
): string {
  // Ratios to raw ws only where raw ws ran (cross-node's ratios are rows of their own).
  const ratios = contenders.includes('raw-ws');
  const header = ['case', 'metric'];
  for (const c of contenders) {
    header.push(c);
    if (c !== 'raw-ws' && ratios) header.push('×raw');
  }
  const rows: string[][] = [header];
  for (const kase of cases) {
    for (const m of METRICS[scenario]) {
      const row = [kase, m.label];
      const base = summarize(runs, scenario, kase, 'raw-ws', m.key);
      for (const c of contenders) {
        const s = summarize(runs, scenario, kase, c, m.key);
        row.push(
          !s
            ? 'failed'
            : reps > 1
              ? `${m.format(s.median)} [${m.format(s.min)}–${m.format(s.max)}]`
              : m.format(s.median),
        );
        if (c !== 'raw-ws' && ratios) {
          row.push(s && base ? (s.median / base.median).toFixed(2) : 'n/a');
        }
      }
      rows.push(row);
    }
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [
    line(rows[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

/** The targets' lines, under their heading; none when no target was checked. */
export function targetLines(results: readonly TargetResult[]): string[] {
  if (results.length === 0) return [];
  return [
    'targets (carom, medians of this run)',
    ...results.map((t) => {
      const verdict = t.met === null ? 'n/a ' : t.met ? 'met ' : 'MISS';
      const ratio = Number.isFinite(t.ratio) ? t.ratio.toFixed(2) : 'n/a';
      return `  ${verdict} ${t.target}: ${ratio} (${t.limit})`;
    }),
  ];
}

/** The JSON's `summary`: scenario -> case -> metric -> contender -> its summary (null: none). */
export function summaryOf(
  runs: readonly RunRecord[],
  scenarios: readonly Scenario[],
  cases: Readonly<Record<Scenario, readonly string[]>>,
  contenders: readonly ContenderName[],
): Record<string, Record<string, Record<string, Record<string, Summary | null>>>> {
  return Object.fromEntries(
    scenarios.map((s) => [
      s,
      Object.fromEntries(
        cases[s].map((kase) => [
          kase,
          Object.fromEntries(
            METRICS[s].map((m) => [
              m.key,
              Object.fromEntries(
                contendersOf(s, contenders).map((c) => [
                  c,
                  summarize(runs, s, kase, c, m.key) ?? null,
                ]),
              ),
            ]),
          ),
        ]),
      ),
    ]),
  );
}

/**
 * Writes the result's JSON to `out`, or to bench/results/<start time>.json and
 * bench/results/latest.json under `root`; returns the line that says where.
 */
export function writeResult(
  result: object,
  out: string | undefined,
  root: string,
  started: Date,
): string {
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (out) {
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, json);
    return `results: ${out}`;
  }
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, json);
  writeFileSync(path.join(dir, 'latest.json'), json);
  return `results: ${path.relative(process.cwd(), file)} (and bench/results/latest.json)`;
}
