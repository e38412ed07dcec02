import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../src/testing/index.js';
import {
  MAX_BURN_MS,
  ProcessProbe,
  TICK_MS,
  tickerOptions,
  type ProcessStats,
} from '../../examples/ticker/app.js';

const MiB = 1024 * 1024;

/** A probe whose figures the test sets. */
class FakeProbe extends ProcessProbe {
  time = 1000;
  cpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  memory = { rss: 80 * MiB, heapUsed: 12 * MiB, heapTotal: 20 * MiB };
  calls = 0;

  override now(): number {
    return this.time;
  }
  override cpuUsage(): NodeJS.CpuUsage {
    this.calls++;
    return { ...this.cpu };
  }
  override memoryUsage() {
    return { ...this.memory };
  }
}

function assertWellFormed(stats: ProcessStats): void {
  assert.deepEqual(Object.keys(stats).sort(), [
    'cpuPercent',
    'heapTotalMiB',
    'heapUsedMiB',
    'intervalMs',
    'rssMiB',
  ]);
  for (const [key, value] of Object.entries(stats)) {
    assert.equal(typeof value, 'number', key);
    assert.ok(Number.isFinite(value) && value >= 0, `${key} = ${value}`);
  }
  for (const key of ['cpuPercent', 'rssMiB', 'heapUsedMiB', 'heapTotalMiB'] as const) {
    assert.equal(Math.round(stats[key] * 10) / 10, stats[key], `${key} has one decimal at most`);
  }
  assert.ok(Number.isInteger(stats.intervalMs));
  assert.ok(stats.rssMiB > 0);
  assert.ok(stats.heapUsedMiB > 0);
  assert.ok(stats.heapUsedMiB <= stats.heapTotalMiB);
}

describe('ticker example', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('publishes well-formed figures of this process on two ticks', async () => {
    t = await createTestApp(tickerOptions());
    const page = await t.connect();
    const ack = await page.subscribe('stats');
    assert.deepEqual(ack.data, { events: ['stats'] });
    await t.clock.advance(TICK_MS);
    await t.clock.advance(TICK_MS);
    const samples = page.dataOf<ProcessStats>('stats');
    assert.equal(samples.length, 2);
    for (const s of samples) assertWellFormed(s);
  });

  it('publishes every 500 ms, to subscribers only', async () => {
    t = await createTestApp(tickerOptions(new FakeProbe()));
    const page = await t.connect();
    const other = await t.connect();
    await page.subscribe('stats');
    await t.clock.advance(TICK_MS - 1);
    assert.equal(page.dataOf('stats').length, 0);
    await t.clock.advance(1);
    assert.equal(page.dataOf('stats').length, 1);
    await t.clock.advance(TICK_MS * 3);
    assert.equal(page.dataOf('stats').length, 4);
    assert.deepEqual(other.received, []);
  });

  it('reports CPU as a percentage of one core over the interval, and memory in MiB', async () => {
    const probe = new FakeProbe();
    t = await createTestApp(tickerOptions(probe));
    const page = await t.connect();
    await page.subscribe('stats');

    // First tick: 200 ms user + 50 ms system over 500 ms is half a core.
    probe.time += 500;
    probe.cpu = { user: 200_000, system: 50_000 };
    await t.clock.advance(TICK_MS);
    // Second tick: 600 ms over 500 ms more (two busy threads), and memory grew.
    probe.time += 500;
    probe.cpu = { user: 700_000, system: 150_000 };
    probe.memory = { rss: 100.26 * MiB, heapUsed: 30.04 * MiB, heapTotal: 40 * MiB };
    await t.clock.advance(TICK_MS);

    assert.deepEqual(page.dataOf<ProcessStats>('stats'), [
      { cpuPercent: 50, rssMiB: 80, heapUsedMiB: 12, heapTotalMiB: 20, intervalMs: 500 },
      { cpuPercent: 120, rssMiB: 100.3, heapUsedMiB: 30, heapTotalMiB: 40, intervalMs: 500 },
    ]);
  });

  it('reads nothing while nobody subscribes, then averages over the quiet spell', async () => {
    const probe = new FakeProbe();
    t = await createTestApp(tickerOptions(probe));
    const page = await t.connect();
    const readsAtStart = probe.calls;
    probe.time += 2000;
    probe.cpu = { user: 100_000, system: 0 };
    await t.clock.advance(2000);
    assert.equal(probe.calls, readsAtStart, 'no tick read the CPU');

    await page.subscribe('stats');
    await t.clock.advance(TICK_MS);
    const [first] = page.dataOf<ProcessStats>('stats');
    assert.equal(first!.intervalMs, 2000);
    assert.equal(first!.cpuPercent, 5);
  });

  it('reports 0 % CPU when no time passed between samples', async () => {
    const probe = new FakeProbe();
    t = await createTestApp(tickerOptions(probe));
    const page = await t.connect();
    await page.subscribe('stats');
    probe.cpu = { user: 5_000, system: 0 };
    await t.clock.advance(TICK_MS);
    assert.deepEqual(page.dataOf<ProcessStats>('stats')[0], {
      cpuPercent: 0,
      rssMiB: 80,
      heapUsedMiB: 12,
      heapTotalMiB: 20,
      intervalMs: 0,
    });
  });

  it('burns CPU on request and refuses a bad duration', async () => {
    t = await createTestApp(tickerOptions());
    const page = await t.connect();
    const ok = await page.request('burn', { ms: 2 });
    assert.equal(ok.event, 'ack');
    assert.deepEqual(ok.data, { burnedMs: 2 });
    for (const ms of [0, -5, MAX_BURN_MS + 1, 1.5, '10', null]) {
      const reply = await page.request('burn', { ms });
      assert.equal(reply.event, 'error', JSON.stringify(ms));
      assert.equal(reply.data.code, 'VALIDATION_FAILED');
      assert.equal(reply.data.details[0].property, 'ms');
    }
  });
});
