/**
 * The benchmark: `npm run bench [-- options]`; the code is in bench/run/.
 *
 * For each repetition, each scenario and size, each contender in turn: a fresh
 * server process (pinned to core 0) and a fresh load process (pinned to core 1)
 * are started, driven over IPC, and ended by their PIDs. The figures are
 * printed as one table per scenario (median [min–max] over repetitions, and
 * each contender's ratio to raw ws) and written, with every repetition, the
 * machine and the versions, as JSON under bench/results/.
 *
 *   --quick            smaller sizes, 3 repetitions (about two minutes)
 *   --smoke            tiny sizes, 1 repetition (CI: it must work, not be fast)
 *   --scenario NAME    fanout, fanout-timed, inbound, idle, cross-node, scale, slow-readers,
 *                      crowd, storm (repeatable or comma-separated)
 *   --contenders LIST  raw-ws,raw-ws-send,carom,socketio (default), carom-metrics, carom-observed,
 *                      carom-history
 *   --reps N           repetitions
 *   --out FILE         write the JSON there instead of bench/results/
 *   --cpu-prof DIR     run each server with --cpu-prof: DIR/<contender>-<scenario>-<size>-<run>.cpuprofile
 *   --heap-snapshot DIR  idle and crowd scenarios: heap snapshots of each server before and after connecting
 *
 * Summarize those with build/bench/profile-summary.js and build/bench/heap-diff.js.
 */
import { killAll } from './child.js';
import { errorText } from './common.js';
import { main } from './run/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${errorText(err)}\n`);
    killAll();
    process.exitCode = 1;
  },
);
