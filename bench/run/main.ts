/**
 * The bench's orchestration: for each repetition, scenario, case and contender
 * in turn, one run in fresh processes; then the tables, the targets and the
 * JSON. `main` resolves with the exit code.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { killChildrenOnExit, pinning } from '../child.js';
import { errorText } from '../common.js';
import { parseArgs, USAGE, UsageError, type Args } from './args.js';
import { machineOf, versionsOf } from './machine.js';
import { TITLES } from './metrics.js';
import { ROOT } from './processes.js';
import type { RunContext, RunRecord } from './record.js';
import { runLine, summaryOf, table, targetLines, writeResult } from './report.js';
import { SCENARIO_RUNS } from './scenarios/index.js';
import { casesOf, contendersOf, SCENARIOS, settingsFor, type Scenario } from './settings.js';
import { evaluateTargets } from './targets.js';

/** A bound on the whole bench, far above a full run. */
const DEADLINE_MS = 3 * 60 * 60 * 1000;

const log = (s: string): void => void process.stdout.write(`${s}\n`);

/** Runs the bench for the command line `argv` (the arguments after run.js). */
export async function main(argv: readonly string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    return 2;
  }
  killChildrenOnExit('bench');
  const settings = settingsFor(args.mode);
  if (args.reps) settings.reps = args.reps;
  if (args.sizes) settings.payloadBytes = args.sizes;
  const pin = pinning('load generator');
  const ctx: RunContext = {
    settings,
    pin: pin.server !== undefined,
    cpuProf: args.cpuProf,
    heapSnapshot: args.heapSnapshot,
  };
  if (args.cpuProf) mkdirSync(args.cpuProf, { recursive: true });
  if (args.heapSnapshot) mkdirSync(args.heapSnapshot, { recursive: true });
  const started = new Date();
  const machine = machineOf(pin.why);
  const versions = versionsOf(ROOT);
  log(
    `carom bench (${settings.mode}, ${settings.reps} repetition${settings.reps > 1 ? 's' : ''}) ` +
      `on ${machine.cpuCount}× ${machine.cpuModel}, node ${machine.node}; ${pin.why}`,
  );
  if (os.loadavg()[0]! > 0.5) {
    const load = os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    log(`note: load average ${load}: other processes are using the CPU`);
  }

  const runs: RunRecord[] = [];
  const t0 = Date.now();
  for (let rep = 1; rep <= settings.reps; rep++) {
    for (const scenario of args.scenarios) {
      for (const kase of casesOf(settings, scenario)) {
        // Contenders take turns; the starting one rotates with the repetition.
        const contenders = contendersOf(scenario, args.contenders);
        const order = contenders.map((_, i) => contenders[(i + rep - 1) % contenders.length]!);
        for (const contender of order) {
          if (Date.now() - t0 > DEADLINE_MS) throw new Error('the bench ran past its 3-hour bound');
          const base = { scenario, case: kase.label, contender, rep };
          let record: RunRecord;
          const runStart = Date.now();
          try {
            record = {
              ...base,
              ...(await SCENARIO_RUNS[scenario](ctx, contender, kase.n, kase.bytes)),
            };
          } catch (err) {
            record = {
              ...base,
              ok: false,
              violations: 0,
              metrics: {},
              detail: {},
              error: errorText(err),
            };
          }
          record.wallMs = Date.now() - runStart;
          runs.push(record);
          log(runLine(record, settings.reps));
        }
      }
    }
  }

  const cases = Object.fromEntries(
    SCENARIOS.map((s) => [
      s,
      args.scenarios.includes(s) ? casesOf(settings, s).map((c) => c.label) : [],
    ]),
  ) as Record<Scenario, string[]>;
  log('');
  for (const scenario of args.scenarios) {
    log(TITLES[scenario]);
    log(
      table(
        runs,
        scenario,
        cases[scenario],
        contendersOf(scenario, args.contenders),
        settings.reps,
      ),
    );
    log('');
  }
  // Every target compares carom with raw ws; a run without either checks none.
  const targets =
    args.contenders.includes('carom') && args.contenders.includes('raw-ws')
      ? evaluateTargets(runs, cases)
      : [];
  for (const line of targetLines(targets)) log(line);
  const failed = runs.filter((r) => !r.ok);
  const result = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    command: `node build/bench/run.js ${argv.join(' ')}`.trim(),
    machine: { ...machine, loadAverageAtEnd: os.loadavg() },
    versions,
    settings,
    scenarios: args.scenarios,
    contenders: args.contenders,
    summary: summaryOf(runs, args.scenarios, cases, args.contenders),
    targets,
    failures: failed.length,
    runs,
  };
  log(writeResult(result, args.out, ROOT, started));
  log(`time: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (failed.length > 0) {
    log(`${failed.length} run(s) failed or saw lost, duplicated or out-of-order messages`);
    return 1;
  }
  return 0;
}
