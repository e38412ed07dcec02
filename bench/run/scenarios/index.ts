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

/** Runs one case (`n` from settings.ts's `casesOf`) of a scenario for one contender. */
export type ScenarioRun = (
  ctx: RunContext,
  contender: ContenderName,
  n: number,
) => Promise<RunOutcome>;

/** The run of every scenario. */
export const SCENARIO_RUNS: Readonly<Record<Scenario, ScenarioRun>> = {
  fanout: (ctx, contender, n) => runFanout(ctx, contender, n, false),
  'fanout-timed': (ctx, contender, n) => runFanout(ctx, contender, n, true),
  inbound: (ctx, contender) => runInbound(ctx, contender),
  idle: runIdle,
  'cross-node': runCrossNode,
  scale: runScale,
  'slow-readers': runSlowReaders,
  crowd: runCrowd,
  storm: runStorm,
};
