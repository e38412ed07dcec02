/**
 * The benchmark harness works: a smoke run (tiny sizes, one repetition) of
 * every scenario and contender exits 0, and its JSON holds numeric results and
 * no lost, duplicated or out-of-order message. Nothing here asserts on speed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUN_JS = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
const SCENARIOS = [
  'fanout',
  'fanout-timed',
  'inbound',
  'idle',
  'cross-node',
  'scale',
  'slow-readers',
  'crowd',
  'storm',
];
/** Scenarios that measure carom against itself. */
const CAROM_ONLY = new Set(['cross-node', 'scale', 'slow-readers']);
const CONTENDERS = ['raw-ws', 'raw-ws-send', 'carom', 'socketio'];
/** The contenders of the scenarios whose clients speak carom's envelopes (no Socket.IO). */
const ENVELOPE_ONLY: Record<string, string[]> = {
  crowd: ['raw-ws', 'raw-ws-send', 'carom'],
  storm: ['raw-ws', 'carom'],
};
/** Scenarios whose runs check that every connection got each publish exactly once. */
const CHECKED = new Set([...CAROM_ONLY, 'crowd', 'storm']);
/**
 * A bound on the whole run, far above what it needs (about 2 min on a machine
 * other work keeps busy); the child is killed past it.
 */
const BOUND_MS = 230_000;

interface RunRecord {
  scenario: string;
  case: string;
  contender: string;
  ok: boolean;
  violations: number;
  metrics: Record<string, unknown>;
  detail: Record<string, unknown>;
  error?: string;
}

test(
  'a smoke run of the bench covers every scenario and contender',
  { timeout: 240_000 },
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'carom-bench-'));
    const out = path.join(dir, 'smoke.json');
    const child = spawn(process.execPath, [RUN_JS, '--smoke', '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let bound: NodeJS.Timeout | undefined;
    try {
      const exit = await new Promise<string | number | null>((resolve) => {
        bound = setTimeout(() => {
          if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        }, BOUND_MS);
        child.once('exit', (code, signal) => resolve(code ?? signal));
      });
      assert.equal(exit, 0, `run.js --smoke did not exit 0:\n${output}`);

      const result = JSON.parse(readFileSync(out, 'utf8')) as {
        scenarios: string[];
        contenders: string[];
        runs: RunRecord[];
        machine: Record<string, unknown>;
        versions: Record<string, unknown>;
      };
      assert.deepEqual([...result.scenarios].sort(), [...SCENARIOS].sort());
      assert.deepEqual([...result.contenders].sort(), [...CONTENDERS].sort());
      assert.equal(typeof result.machine.cpuModel, 'string');
      assert.equal(typeof result.versions.ws, 'string');
      assert.equal(typeof result.versions['socket.io'], 'string');

      for (const scenario of SCENARIOS) {
        // Cross-node compares carom on one node with carom on two, scale carom's own scale-out,
        // slow-readers carom's delivery policies: carom runs them alone.
        const contenders = CAROM_ONLY.has(scenario)
          ? ['carom']
          : (ENVELOPE_ONLY[scenario] ?? CONTENDERS);
        for (const contender of contenders) {
          const runs = result.runs.filter(
            (r) => r.scenario === scenario && r.contender === contender,
          );
          assert.ok(runs.length > 0, `no run of ${scenario} for ${contender}`);
          for (const run of runs) {
            const where = `${scenario} ${run.case} ${contender}`;
            assert.equal(
              run.ok,
              true,
              `${where} failed: ${run.error ?? JSON.stringify(run.detail)}`,
            );
            assert.equal(run.violations, 0, `${where} saw lost or misordered messages`);
            const metrics = Object.entries(run.metrics);
            assert.ok(metrics.length > 0, `${where} has no metrics`);
            for (const [name, value] of metrics) {
              assert.equal(typeof value, 'number', `${where} ${name}`);
              assert.ok(Number.isFinite(value), `${where} ${name} is ${String(value)}`);
            }
          }
        }
      }
      const fanouts = result.runs.filter(
        (r) => r.scenario.startsWith('fanout') || CHECKED.has(r.scenario),
      );
      for (const scenario of CAROM_ONLY) {
        assert.ok(result.runs.some((r) => r.scenario === scenario && r.contender === 'carom'));
        assert.ok(!result.runs.some((r) => r.scenario === scenario && r.contender !== 'carom'));
      }
      for (const [scenario, contenders] of Object.entries(ENVELOPE_ONLY)) {
        const ran = new Set(
          result.runs.filter((r) => r.scenario === scenario).map((r) => r.contender),
        );
        assert.deepEqual([...ran].sort(), [...contenders].sort(), scenario);
      }
      // The storm: every connection resubscribed, the server kept them all and nothing else.
      for (const run of result.runs.filter((r) => r.scenario === 'storm')) {
        assert.equal(run.detail.resubscribed, run.detail.connections, `storm ${run.contender}`);
        assert.equal(run.detail.failed, 0);
        assert.equal(run.detail.connectionsAfter, (run.detail.connections as number) + 1);
      }
      for (const run of fanouts) {
        assert.equal(run.detail.lost, 0, `${run.scenario} ${run.contender} lost messages`);
        assert.equal(run.detail.outOfOrderOrDuplicate, 0);
        assert.equal(run.detail.deliveries, run.detail.expected);
      }
    } finally {
      clearTimeout(bound);
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(child.pid, 'SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
