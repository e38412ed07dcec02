/**
 * The bench orchestrator's pure parts: the command line, the cases of each
 * mode and the targets table checked against made-up runs. The smoke run
 * (smoke.test.ts) covers the processes; nothing here measures anything.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { ContenderName } from '../../bench/common.js';
import { parseArgs, UsageError } from '../../bench/run/args.js';
import type { RunRecord } from '../../bench/run/record.js';
import {
  casesOf,
  contendersOf,
  SCENARIOS,
  settingsFor,
  type Scenario,
} from '../../bench/run/settings.js';
import { evaluateTargets, TARGETS, type Target } from '../../bench/run/targets.js';

test('the command line defaults to every scenario and contender of the full run', () => {
  const args = parseArgs([]);
  assert.equal(args.mode, 'full');
  assert.deepEqual(args.scenarios, [...SCENARIOS]);
  assert.deepEqual(args.contenders, ['raw-ws', 'raw-ws-send', 'carom', 'socketio']);
  assert.equal(args.reps, undefined);
});

test('the command line reads every option, contenders in table order', () => {
  const args = parseArgs([
    '--quick',
    '--scenario',
    'inbound,idle',
    '--scenario',
    'fanout',
    '--contenders',
    'socketio,raw-ws-send,raw-ws',
    '--reps',
    '7',
    '--out',
    'x.json',
    '--cpu-prof',
    'prof',
    '--heap-snapshot',
    'heap',
  ]);
  assert.equal(args.mode, 'quick');
  assert.deepEqual(args.scenarios, ['inbound', 'idle', 'fanout']);
  assert.deepEqual(args.contenders, ['raw-ws', 'raw-ws-send', 'socketio']);
  assert.equal(args.reps, 7);
  assert.equal(args.out, path.resolve('x.json'));
  assert.equal(args.cpuProf, path.resolve('prof'));
  assert.equal(args.heapSnapshot, path.resolve('heap'));
  assert.equal(parseArgs(['--smoke']).mode, 'smoke');
});

test('a bad command line is a UsageError that names what is wrong', () => {
  const bad: Array<[string[], RegExp]> = [
    [['--scenario', 'nope'], /unknown scenario nope/],
    [['--contenders', 'carom,uws'], /unknown contender uws/],
    [['--reps', '0'], /--reps takes 1\.\.100/],
    [['--reps', '2.5'], /--reps takes 1\.\.100/],
    [['--out'], /--out needs a value/],
    [['--fast'], /unknown argument --fast/],
    [['--sizes', '100,0'], /--sizes takes byte counts 1\.\.262144, not 0/],
    [['--sizes', '1e3,abc'], /not abc/],
    [['--sizes', '262145'], /not 262145/],
    [['--sizes', '64,'], /not $/],
    [['--sizes'], /--sizes needs a value/],
  ];
  for (const [argv, message] of bad) {
    assert.throws(
      () => parseArgs(argv),
      (err: unknown) => {
        assert.ok(err instanceof UsageError, argv.join(' '));
        assert.match(err.message, message);
        return true;
      },
    );
  }
});

test('each mode has its cases: N subscribers or connections, K clients', () => {
  const full = settingsFor('full');
  assert.deepEqual(
    casesOf(full, 'fanout').map((c) => c.label),
    ['N=100', 'N=1000', 'N=5000'],
  );
  assert.deepEqual(casesOf(full, 'inbound'), [{ label: 'K=100', n: 100 }]);
  assert.deepEqual(
    casesOf(settingsFor('quick'), 'idle').map((c) => c.n),
    [1000],
  );
  assert.deepEqual(
    casesOf(full, 'cross-node').map((c) => c.label),
    ['N=1000', 'N=5000'],
  );
  assert.deepEqual(
    casesOf(full, 'scale').map((c) => c.label),
    ['N=60000'],
  );
  // One server process at the machine's 20,000 open files, less room for the rest.
  assert.deepEqual(
    casesOf(full, 'crowd').map((c) => c.label),
    ['N=19000'],
  );
  assert.deepEqual(
    casesOf(full, 'storm').map((c) => c.label),
    ['N=10000'],
  );
  const smoke = settingsFor('smoke');
  assert.equal(smoke.reps, 1);
  for (const scenario of SCENARIOS) assert.ok(casesOf(smoke, scenario).length > 0, scenario);
});

test('--sizes: fan-out and inbound run each case at each payload size, the rest as they are', () => {
  const args = parseArgs(['--quick', '--sizes', '64,4096']);
  assert.deepEqual(args.sizes, [64, 4096]);
  assert.equal(parseArgs([]).sizes, undefined);
  const settings = settingsFor('quick');
  assert.deepEqual(settings.payloadBytes, [], 'no sizes: the default payloads');
  settings.payloadBytes = [64, 4096];
  assert.deepEqual(casesOf(settings, 'fanout'), [
    { label: 'N=100 B=64', n: 100, bytes: 64 },
    { label: 'N=100 B=4096', n: 100, bytes: 4096 },
    { label: 'N=1000 B=64', n: 1000, bytes: 64 },
    { label: 'N=1000 B=4096', n: 1000, bytes: 4096 },
  ]);
  assert.deepEqual(
    casesOf(settings, 'fanout-timed').map((c) => c.label),
    ['N=1000 B=64', 'N=1000 B=4096'],
  );
  assert.deepEqual(casesOf(settings, 'inbound'), [
    { label: 'K=100 B=64', n: 100, bytes: 64 },
    { label: 'K=100 B=4096', n: 100, bytes: 4096 },
  ]);
  assert.deepEqual(casesOf(settings, 'idle'), [{ label: 'N=1000', n: 1000 }]);
});

test('cross-node and scale run carom alone: they measure carom against itself', () => {
  const all: ContenderName[] = ['raw-ws', 'carom', 'socketio'];
  assert.deepEqual(contendersOf('cross-node', all), ['carom']);
  assert.deepEqual(contendersOf('cross-node', ['raw-ws', 'socketio']), []);
  assert.deepEqual(contendersOf('scale', all), ['carom']);
  assert.deepEqual(contendersOf('fanout', all), all);
});

test('crowd and storm run the contenders that speak envelopes; storm leaves out raw-ws-send', () => {
  const all: ContenderName[] = ['raw-ws', 'raw-ws-send', 'carom', 'socketio', 'carom-metrics'];
  assert.deepEqual(contendersOf('crowd', all), ['raw-ws', 'raw-ws-send', 'carom', 'carom-metrics']);
  assert.deepEqual(contendersOf('storm', all), ['raw-ws', 'carom', 'carom-metrics']);
});

/** A successful run with one metric. */
function run(
  scenario: Scenario,
  kase: string,
  contender: ContenderName,
  metrics: RunRecord['metrics'],
): RunRecord {
  return { scenario, case: kase, contender, rep: 1, ok: true, violations: 0, metrics, detail: {} };
}

const NO_CASES: Record<Scenario, string[]> = {
  fanout: [],
  'fanout-timed': [],
  inbound: [],
  idle: [],
  'cross-node': [],
  scale: [],
  'slow-readers': [],
  crowd: [],
  storm: [],
};

test('a target divides the medians and checks the bound both ways', () => {
  const rows: Target[] = [
    {
      scenario: 'fanout',
      size: 'every',
      metric: 'rate',
      contender: 'carom',
      comparison: 'raw-ws',
      op: '>=',
      limit: 0.9,
      name: 'rate {case}',
    },
    {
      scenario: 'fanout',
      size: 'every',
      metric: 'cost',
      contender: 'carom',
      comparison: 'raw-ws',
      op: '<=',
      limit: 1.1,
      name: 'cost {case}',
    },
  ];
  const runs = [
    run('fanout', 'N=10', 'raw-ws', { rate: 100, cost: 10 }),
    run('fanout', 'N=10', 'carom', { rate: 95, cost: 12 }),
    run('fanout', 'N=10', 'carom', { rate: 85, cost: 10 }),
    run('fanout', 'N=10', 'carom', { rate: 91, cost: 11 }),
  ];
  const results = evaluateTargets(runs, { ...NO_CASES, fanout: ['N=10'] }, rows);
  assert.deepEqual(results, [
    { target: 'rate N=10', ratio: 0.91, limit: '>= 0.9', met: true },
    { target: 'cost N=10', ratio: 1.1, limit: '<= 1.1', met: true },
  ]);
  const worse = [...runs, run('fanout', 'N=10', 'carom', { rate: 10, cost: 50 })];
  // Medians of four: rate (85 + 91) / 2 = 88, cost (11 + 12) / 2 = 11.5.
  assert.deepEqual(
    evaluateTargets(worse, { ...NO_CASES, fanout: ['N=10'] }, rows).map((r) => r.met),
    [false, false],
  );
});

test('a target with a failed or missing contender has no ratio and no verdict', () => {
  const rows = TARGETS.filter((t) => t.scenario === 'idle');
  const failed = { ...run('idle', 'N=20', 'raw-ws', { heapPerConn: 100 }), ok: false };
  const [result] = evaluateTargets(
    [failed, run('idle', 'N=20', 'carom', { heapPerConn: 120 })],
    { ...NO_CASES, idle: ['N=20'] },
    rows,
  );
  assert.equal(result?.target, 'idle N=20 heap/connection vs raw ws');
  assert.ok(Number.isNaN(result.ratio));
  assert.equal(result.met, null);
});

test('the targets apply to every case, the first only, or one case by its label', () => {
  const cases: Record<Scenario, string[]> = {
    fanout: ['N=100', 'N=1000'],
    'fanout-timed': ['N=1000'],
    inbound: ['K=100'],
    idle: ['N=1000', 'N=5000'],
    'cross-node': ['N=1000'],
    scale: ['N=8000'],
    'slow-readers': [],
    crowd: ['N=19000'],
    storm: ['N=10000'],
  };
  const names = evaluateTargets([], cases).map((r) => r.target);
  assert.deepEqual(names, [
    'fanout N=100 deliveries/s vs raw ws',
    'fanout N=100 CPU/delivery vs raw ws',
    'fanout N=1000 deliveries/s vs raw ws',
    'fanout N=1000 CPU/delivery vs raw ws',
    'fanout N=1000 deliveries/s vs Socket.IO',
    'fanout-timed N=1000 deliveries/s vs raw ws',
    'fanout-timed N=1000 CPU/delivery vs raw ws',
    'inbound handled/s vs raw ws (no DTO)',
    'inbound handled/s vs raw ws (DTO)',
    'inbound p99 vs raw ws (no DTO)',
    'inbound p99 vs raw ws (DTO)',
    'idle N=1000 heap/connection vs raw ws',
    'idle N=1000 RSS/connection vs raw ws',
    'idle N=5000 heap/connection vs raw ws',
    'idle N=5000 RSS/connection vs raw ws',
    'crowd N=19000 heap/connection vs raw ws',
    'crowd N=19000 RSS/connection vs raw ws',
  ]);
  // Without N=1000 there is no Socket.IO target; a scenario not run has none.
  const small = evaluateTargets([], { ...NO_CASES, fanout: ['N=10'] }).map((r) => r.target);
  assert.deepEqual(small, [
    'fanout N=10 deliveries/s vs raw ws',
    'fanout N=10 CPU/delivery vs raw ws',
  ]);
});
