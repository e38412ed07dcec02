/**
 * The targets of issue 12 (ratios against raw ws framing each publish once), as data: each row names
 * a metric of a scenario, the two contenders whose medians it divides and the
 * bound the ratio must keep. `evaluateTargets` checks every row against a run.
 */
import type { ContenderName } from '../common.js';
import type { RunRecord } from './record.js';
import { SCENARIOS, type Scenario } from './settings.js';
import { summarize } from './summary.js';

/** One target: `contender`'s median of `metric` over `comparison`'s must be `op limit`. */
export interface Target {
  scenario: Scenario;
  /** The cases it applies to: every one, the first only, or the one with this label. */
  size: 'every' | 'first' | `N=${number}`;
  /** A key of metrics.ts's `METRICS`. */
  metric: string;
  contender: ContenderName;
  comparison: ContenderName;
  op: '>=' | '<=';
  limit: number;
  /** The target's name in the output and the JSON; `{case}` stands for the case's label. */
  name: string;
}

/** The targets, grouped by scenario; within a case they are checked in this order. */
// prettier-ignore
export const TARGETS: readonly Target[] = [
  { scenario: 'fanout',       size: 'every',  metric: 'deliveriesPerSec', contender: 'carom', comparison: 'raw-ws',   op: '>=', limit: 0.95, name: 'fanout {case} deliveries/s vs raw ws' },
  { scenario: 'fanout',       size: 'every',  metric: 'cpuUsPerDelivery', contender: 'carom', comparison: 'raw-ws',   op: '<=', limit: 1.1,  name: 'fanout {case} CPU/delivery vs raw ws' },
  { scenario: 'fanout',       size: 'N=1000', metric: 'deliveriesPerSec', contender: 'carom', comparison: 'socketio', op: '>=', limit: 3,    name: 'fanout {case} deliveries/s vs Socket.IO' },
  { scenario: 'fanout-timed', size: 'every',  metric: 'deliveriesPerSec', contender: 'carom', comparison: 'raw-ws',   op: '>=', limit: 0.95, name: 'fanout-timed {case} deliveries/s vs raw ws' },
  { scenario: 'fanout-timed', size: 'every',  metric: 'cpuUsPerDelivery', contender: 'carom', comparison: 'raw-ws',   op: '<=', limit: 1.1,  name: 'fanout-timed {case} CPU/delivery vs raw ws' },
  { scenario: 'inbound',      size: 'first',  metric: 'plainPerSec',      contender: 'carom', comparison: 'raw-ws',   op: '>=', limit: 0.95, name: 'inbound handled/s vs raw ws (no DTO)' },
  { scenario: 'inbound',      size: 'first',  metric: 'dtoPerSec',        contender: 'carom', comparison: 'raw-ws',   op: '>=', limit: 0.8,  name: 'inbound handled/s vs raw ws (DTO)' },
  { scenario: 'inbound',      size: 'first',  metric: 'plainP99Ms',       contender: 'carom', comparison: 'raw-ws',   op: '<=', limit: 1.2,  name: 'inbound p99 vs raw ws (no DTO)' },
  { scenario: 'inbound',      size: 'first',  metric: 'dtoP99Ms',         contender: 'carom', comparison: 'raw-ws',   op: '<=', limit: 1.2,  name: 'inbound p99 vs raw ws (DTO)' },
  { scenario: 'idle',         size: 'every',  metric: 'heapPerConn',      contender: 'carom', comparison: 'raw-ws',   op: '<=', limit: 1.3,  name: 'idle {case} heap/connection vs raw ws' },
  { scenario: 'idle',         size: 'every',  metric: 'rssPerConn',       contender: 'carom', comparison: 'raw-ws',   op: '<=', limit: 1.1,  name: 'idle {case} RSS/connection vs raw ws' },
  { scenario: 'crowd',        size: 'every',  metric: 'heapPerConn',      contender: 'carom', comparison: 'raw-ws',   op: '<=', limit: 1.3,  name: 'crowd {case} heap/connection vs raw ws' },
  { scenario: 'crowd',        size: 'every',  metric: 'rssPerConn',       contender: 'carom', comparison: 'raw-ws',   op: '<=', limit: 1.1,  name: 'crowd {case} RSS/connection vs raw ws' },
];

/** One target checked against a run, as the JSON's `targets` keeps it. */
export interface TargetResult {
  target: string;
  /** NaN (null in the JSON) when either contender has no successful run of the case. */
  ratio: number;
  /** `>= 0.9`. */
  limit: string;
  /** null when there is no ratio. */
  met: boolean | null;
}

function applies(size: Target['size'], label: string, index: number): boolean {
  return size === 'every' || (size === 'first' ? index === 0 : size === label);
}

/**
 * Every target that applies to the cases run (`cases`: each scenario's case
 * labels, in run order; empty for a scenario not run), by scenario, then case,
 * then the order of `targets`.
 */
export function evaluateTargets(
  runs: readonly RunRecord[],
  cases: Readonly<Record<Scenario, readonly string[]>>,
  targets: readonly Target[] = TARGETS,
): TargetResult[] {
  const out: TargetResult[] = [];
  for (const scenario of SCENARIOS) {
    cases[scenario].forEach((kase, index) => {
      for (const t of targets) {
        if (t.scenario !== scenario || !applies(t.size, kase, index)) continue;
        const a = summarize(runs, scenario, kase, t.contender, t.metric);
        const b = summarize(runs, scenario, kase, t.comparison, t.metric);
        const ratio = a && b ? a.median / b.median : NaN;
        out.push({
          target: t.name.replace('{case}', kase),
          ratio,
          limit: `${t.op} ${t.limit}`,
          met: Number.isFinite(ratio)
            ? t.op === '>='
              ? ratio >= t.limit
              : ratio <= t.limit
            : null,
        });
      }
    });
  }
  return out;
}
