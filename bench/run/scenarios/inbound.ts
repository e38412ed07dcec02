/**
 * The inbound scenario: K clients send requests with an id to a trivial
 * handler, without (`echo`) and with a DTO (`echo_dto`): throughput in a
 * closed loop with the server's CPU, then latency in an open loop.
 */
import { ECHO, ECHO_DTO, type ContenderName } from '../../common.js';
import { withProcesses } from '../processes.js';
import type { Metrics, RunContext, RunOutcome } from '../record.js';
import { connectParams, connectTimeout } from './connect.js';

/** The two request kinds, by the prefix of their metric keys (`plainPerSec`, `dtoP99Ms`). */
const VARIANTS: ReadonlyArray<readonly ['plain' | 'dto', string]> = [
  ['plain', ECHO],
  ['dto', ECHO_DTO],
];

/** Time a phase of `ms` may take before its command is given up. */
const phaseTimeout = (ms: number): number => ms + 15_000;

/** One inbound run with the settings' K clients; each request's text `bytes` long when given (`--sizes`). */
export function runInbound(
  ctx: RunContext,
  contender: ContenderName,
  bytes?: number,
): Promise<RunOutcome> {
  const s = ctx.settings.inbound;
  const sized = bytes === undefined ? '' : `-B${bytes}`;
  return withProcesses(
    ctx,
    contender,
    { label: `inbound-K${s.clients}${sized}` },
    async (server, load, ready) => {
      await load.call(
        'connect',
        { ...connectParams(ctx, contender, ready, s.clients, undefined), textBytes: bytes ?? 0 },
        connectTimeout(s.clients),
      );
      const metrics: Metrics = {};
      const detail: Record<string, unknown> = {
        clients: s.clients,
        textBytes: bytes,
        window: s.window,
        rate: s.rate,
      };
      let errors = 0;
      for (const [, event] of VARIANTS) {
        await load.call(
          'closedLoop',
          { event, window: s.window, durationMs: s.warmupMs },
          phaseTimeout(s.warmupMs),
        );
      }
      for (const [name, event] of VARIANTS) {
        await server.call('cpuStart', {}, 5000);
        const r = await load.call(
          'closedLoop',
          { event, window: s.window, durationMs: s.throughputMs },
          phaseTimeout(s.throughputMs),
        );
        const cpu = await server.call('cpuStop', {}, 5000);
        errors += (r.errors as number) + (r.unanswered as number);
        metrics[`${name}PerSec`] = r.perSec as number;
        metrics[`${name}CpuUsPerRequest`] =
          ((cpu.userUs as number) + (cpu.systemUs as number)) / Math.max(1, r.total as number);
        detail[`${name}Throughput`] = r;
      }
      for (const [name, event] of VARIANTS) {
        const r = await load.call(
          'openLoop',
          { event, rate: s.rate, durationMs: s.latencyMs },
          phaseTimeout(s.latencyMs),
        );
        errors += (r.errors as number) + (r.unanswered as number);
        metrics[`${name}P50Ms`] = r.p50 as number;
        metrics[`${name}P99Ms`] = r.p99 as number;
        metrics[`${name}P999Ms`] = r.p999 as number;
        detail[`${name}Latency`] = r;
      }
      const stats = await load.call('stats', {}, 5000);
      errors += stats.replyErrors as number;
      return { ok: errors === 0, violations: errors, metrics, detail };
    },
  );
}
