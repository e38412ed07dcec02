/**
 * The bench's command line: `--quick|--smoke`, `--scenario`, `--contenders`,
 * `--reps`, `--sizes`, `--out`, `--cpu-prof`, `--heap-snapshot` (see bench/run.ts).
 */
import path from 'node:path';
import { eachFlag, UsageError } from '../argv.js';
import { CONTENDERS, DEFAULT_CONTENDERS, MAX_SIZE_BYTES, type ContenderName } from '../common.js';
import { SCENARIOS, type Mode, type Scenario } from './settings.js';

/** What the command line asks for; paths are absolute. */
export interface Args {
  mode: Mode;
  scenarios: Scenario[];
  contenders: ContenderName[];
  reps: number | undefined;
  /** `--sizes`: payload sizes in bytes for fan-out and inbound; undefined for the defaults. */
  sizes: number[] | undefined;
  out: string | undefined;
  cpuProf: string | undefined;
  heapSnapshot: string | undefined;
}

export { UsageError };

/** The usage line printed after a {@link UsageError}. */
export const USAGE =
  `usage: run.js [--quick|--smoke] [--scenario ${SCENARIOS.join('|')}]... ` +
  `[--contenders ${CONTENDERS.join(',')}] [--reps N] [--sizes BYTES,...] [--out FILE] [--cpu-prof DIR] [--heap-snapshot DIR]`;

/** Reads the arguments after `run.js`; throws a {@link UsageError} for a bad one. */
export function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    mode: 'full',
    scenarios: [],
    contenders: [...DEFAULT_CONTENDERS],
    reps: undefined,
    sizes: undefined,
    out: undefined,
    cpuProf: undefined,
    heapSnapshot: undefined,
  };
  eachFlag(argv, (a, value) => {
    if (a === '--quick') args.mode = 'quick';
    else if (a === '--smoke') args.mode = 'smoke';
    else if (a === '--scenario') {
      for (const s of value().split(',')) {
        if (!(SCENARIOS as readonly string[]).includes(s)) {
          throw new UsageError(`unknown scenario ${s}`);
        }
        args.scenarios.push(s as Scenario);
      }
    } else if (a === '--contenders') {
      const list = value().split(',');
      for (const c of list) {
        if (!(CONTENDERS as readonly string[]).includes(c)) {
          throw new UsageError(`unknown contender ${c}`);
        }
      }
      args.contenders = CONTENDERS.filter((c) => list.includes(c));
    } else if (a === '--reps') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError('--reps takes 1..100');
      args.reps = n;
    } else if (a === '--sizes') {
      args.sizes = value()
        .split(',')
        .map((s) => {
          const n = Number(s);
          if (!Number.isInteger(n) || n < 1 || n > MAX_SIZE_BYTES) {
            throw new UsageError(`--sizes takes byte counts 1..${MAX_SIZE_BYTES}, not ${s}`);
          }
          return n;
        });
    } else if (a === '--out') args.out = path.resolve(value());
    else if (a === '--cpu-prof') args.cpuProf = path.resolve(value());
    else if (a === '--heap-snapshot') args.heapSnapshot = path.resolve(value());
    else throw new UsageError(`unknown argument ${a}`);
  });
  if (args.scenarios.length === 0) args.scenarios = [...SCENARIOS];
  return args;
}
