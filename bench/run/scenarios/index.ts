/** Each scenario's run, by name: what the orchestrator calls for one case and contender. */
import type { ContenderName } from '../../common.js';
import type { RunContext, RunOutcome } from '../record.js';
import type { Scenario } from '../settings.js';
import { runCrossNode } from './cross-node.js';
import { runCrowd } from './crowd.js';
import { runFanout } from './fanout.js';
import { runIdle } from './idle.js';
import { runInbound } from './inbound.js';
import { runScale } from './scale.js';
import { runSlowReaders } from './slow-readers.js';
import { runStorm } from './storm.js';

/**
 * Runs one case (`n` and, with `--sizes`, the payload's `bytes`, from
 * settings.ts's `casesOf`) of a scenario for one contender.
 */
export type ScenarioRun = (
  ctx: RunContext,
  contender: ContenderName,
  n: number,
  bytes: number | undefined,
) => Promise<RunOutcome>;

/** The run of every scenario. */
export const SCENARIO_RUNS: Readonly<Record<Scenario, ScenarioRun>> = {
  fanout: (ctx, contender, n, bytes) => runFanout(ctx, contender, n, false, bytes),
  'fanout-timed': (ctx, contender, n, bytes) => runFanout(ctx, contender, n, true, bytes),
  inbound: (ctx, contender, _n, bytes) => runInbound(ctx, contender, bytes),
  idle: runIdle,
  'cross-node': runCrossNode,
  scale: runScale,
  'slow-readers': runSlowReaders,
  crowd: runCrowd,
  storm: runStorm,
};
