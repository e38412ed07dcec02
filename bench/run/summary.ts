/** One figure over the repetitions: the median, the range and the values of the runs that succeeded. */
import { median, type ContenderName } from '../common.js';
import type { RunRecord } from './record.js';
import type { Scenario } from './settings.js';

/** A metric of one scenario, case and contender over its successful repetitions. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  values: number[];
}

/** The summary of `key`, or undefined when no repetition succeeded with a finite value. */
export function summarize(
  runs: readonly RunRecord[],
  scenario: Scenario,
  kase: string,
  contender: ContenderName,
  key: string,
): Summary | undefined {
  const values = runs
    .filter((r) => r.scenario === scenario && r.case === kase && r.contender === contender && r.ok)
    .map((r) => r.metrics[key]!)
    .filter((v) => Number.isFinite(v));
  if (values.length === 0) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), values };
}
