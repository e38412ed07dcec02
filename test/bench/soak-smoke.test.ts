/**
 * The soak works: a 5-second run with few clients exits 0, its JSON has the
 * report's shape, the well-behaved clients lost, duplicated and misordered
 * nothing, the server stayed up, and every misbehaviour asked for was done.
 * The tick check it relies on is tested on its own first. Nothing here asserts
 * on speed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDuration } from '../../bench/soak/options.js';
import { slope } from '../../bench/soak/report.js';
import { TickWindow } from '../../bench/soak/ticks.js';

const SOAK_JS = fileURLToPath(new URL('../../bench/soak.js', import.meta.url));
/**
 * Every misbehaviour but `deep`: the frame nested 12,000 deep still kills the
 * server on this branch's base. Add it once the decoder fix is merged.
 */
const HOSTILE = ['deep', 'garbage', 'oversize', 'flood', 'subscribe-spam', 'slowloris', 'paused'];
/** A bound on the whole run, far above what it needs; the child is killed past it. */
const BOUND_MS = 80_000;

test('the tick check counts what was owed, lost, duplicated and out of order', () => {
  const clean = new TickWindow();
  clean.tick(11); // before the join's ack is seen: kept until it is
  clean.joined(10);
  for (const seq of [12, 13, 14]) clean.tick(seq);
  assert.deepEqual(clean.left(14), {
    owed: 4,
    received: 4,
    duplicated: 0,
    outOfOrder: 0,
    unexpected: 0,
  });

  const bad = new TickWindow();
  bad.joined(0);
  for (const seq of [1, 3, 2, 3, 0, 6]) bad.tick(seq);
  // 0 was before the join, 6 after the leave; 2 after 3; 3 twice; 4 and 5 never came.
  assert.deepEqual(bad.left(5), {
    owed: 5,
    received: 3,
    duplicated: 1,
    outOfOrder: 1,
    unexpected: 2,
  });
});

test('durations and the growth fit', () => {
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1500ms'), 1500);
  assert.throws(() => parseDuration('ten minutes'), /not a duration/);
  assert.equal(
    slope([
      [0, 1],
      [1, 3],
      [2, 5],
    ]),
    2,
  );
  assert.ok(Number.isNaN(slope([[1, 1]])));
});

interface ClientsFigures {
  clients: number;
  sessions: number;
  broken: number;
  owed: number;
  received: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  unexpected: number;
  requests: { made: number; answered: number; failed: number };
}

interface Figure {
  start: number;
  peak: number;
  final: number;
  growthPerHour: number | null;
}

test('a 5-second soak loses no message and keeps the server up', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'carom-soak-'));
  const out = path.join(dir, 'soak.json');
  const child = spawn(
    process.execPath,
    [
      SOAK_JS,
      ...['--duration', '5s', '--clients', '2', '--session', '1s-2s', '--hold', '2s'],
      ...['--sample', '500ms', '--warmup', '1s', '--hostile', HOSTILE.join(','), '--out', out],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
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
    assert.equal(exit, 0, `soak.js did not exit 0:\n${output}`);
    assert.match(output, /verdict: OK/);

    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      kind: string;
      durationMs: number;
      server: { up: boolean; exit: unknown };
      clients: Record<string, ClientsFigures>;
      totals: { owed: number; received: number; lost: number };
      memory: { rss: Figure; heapUsed: Figure; samples: Array<{ rss: number }> };
      hostile: { kinds: Record<string, Record<string, number>> };
      verdict: { ok: boolean; failures: string[] };
    };
    assert.equal(report.kind, 'soak');
    assert.equal(report.durationMs, 5000);
    assert.equal(report.server.up, true);
    assert.equal(report.server.exit, null);
    assert.deepEqual(report.verdict, { ok: true, failures: [] });

    assert.deepEqual(Object.keys(report.clients).sort(), ['carom', 'ws']);
    for (const [kind, r] of Object.entries(report.clients)) {
      assert.equal(r.clients, 2, kind);
      assert.ok(r.sessions >= 2, `${kind}: ${r.sessions} sessions`);
      assert.ok(r.owed > 0, `${kind}: nothing owed`);
      assert.equal(r.received, r.owed, `${kind}: received`);
      assert.equal(r.lost, 0, `${kind}: lost`);
      assert.equal(r.duplicated, 0, `${kind}: duplicated`);
      assert.equal(r.outOfOrder, 0, `${kind}: out of order`);
      assert.equal(r.unexpected, 0, `${kind}: never owed`);
      assert.equal(r.broken, 0, `${kind}: broken sessions`);
      assert.ok(r.requests.made > 0, `${kind}: no request made`);
      assert.equal(r.requests.answered, r.requests.made, `${kind}: answered`);
      assert.equal(r.requests.failed, 0, `${kind}: failed`);
    }
    assert.equal(report.totals.lost, 0);
    assert.equal(report.totals.received, report.totals.owed);

    assert.ok(report.memory.samples.length >= 3, 'memory samples');
    for (const figure of [report.memory.rss, report.memory.heapUsed]) {
      for (const v of [figure.start, figure.peak, figure.final]) assert.ok(v > 0);
      assert.ok(figure.peak >= figure.start && figure.peak >= figure.final);
      assert.equal(typeof figure.growthPerHour, 'number');
    }

    assert.deepEqual(Object.keys(report.hostile.kinds).sort(), [...HOSTILE].sort());
    for (const [kind, c] of Object.entries(report.hostile.kinds)) {
      assert.ok((c.performed ?? 0) > 0, `${kind} never performed`);
    }
    // Each refusal as the protocol says: a reply to garbage, 1009 for an oversize frame.
    assert.ok((report.hostile.kinds.garbage!['reply error:BAD_JSON'] ?? 0) > 0);
    assert.ok((report.hostile.kinds.oversize!['close 1009'] ?? 0) > 0);
  } finally {
    clearTimeout(bound);
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
