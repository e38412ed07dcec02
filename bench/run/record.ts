/**
 * The shapes one run of one scenario shares with the rest of the orchestrator:
 * what it is given (`RunContext`) and what it records (`RunRecord`, one per
 * repetition, scenario, case and contender, kept as is in the JSON's `runs`).
 */
import type { ContenderName } from '../common.js';
import type { Scenario, Settings } from './settings.js';

/** What every run is given. */
export interface RunContext {
  settings: Settings;
  /** Pin the server to core 0 and the load to core 1. */
  pin: boolean;
  /** Where `--cpu-prof` puts the servers' profiles. */
  cpuProf: string | undefined;
  /** Where `--heap-snapshot` puts the idle and crowd servers' snapshots. */
  heapSnapshot: string | undefined;
}

/** A run's figures by key (`deliveriesPerSec`, `plainP99Ms`...; see metrics.ts). */
export type Metrics = Record<string, number>;

/** One run, as the JSON keeps it. */
export interface RunRecord {
  scenario: Scenario;
  case: string;
  contender: ContenderName;
  rep: number;
  ok: boolean;
  /** Messages lost, duplicated, out of order or unexpected; any is a failure. */
  violations: number;
  metrics: Metrics;
  detail: Record<string, unknown>;
  error?: string;
  /** How long the run took, processes included. */
  wallMs?: number;
}

/** What a scenario returns; the orchestrator adds where and when it ran. */
export type RunOutcome = Omit<RunRecord, 'scenario' | 'case' | 'contender' | 'rep'>;
