/**
 * The server process of one run: `node build/bench/server.js <contender> [--timed]`.
 * It starts the contender's server on 127.0.0.1, announces its port over IPC,
 * then does what the orchestrator asks: publish the fan-out bursts, start the
 * timed publisher, measure its own CPU time around a window, report its memory
 * after forced GC (run it with --expose-gc), exit.
 */
import { writeHeapSnapshot } from 'node:v8';
import {
  CONTENDERS,
  epochMs,
  nextTurn,
  serveCommands,
  sleep,
  type ContenderName,
  type ReadyMessage,
} from './common.js';
import type { BenchServer, CreateServer } from './contenders/types.js';

const contender = process.argv[2] as ContenderName;
const timed = process.argv[3] === '--timed';
if (!CONTENDERS.includes(contender)) {
  process.stderr.write(`usage: server.js <${CONTENDERS.join('|')}> [--timed]\n`);
  process.exit(2);
}
if (!process.send) {
  process.stderr.write('server.js runs as a child of run.js (it needs an IPC channel)\n');
  process.exit(2);
}

const { createServer } = (await import(`./contenders/${contender}.js`)) as {
  createServer: CreateServer;
};
const server: BenchServer = await createServer({ timed });

let cpu0 = process.cpuUsage();
let wall0 = epochMs();

function startWindow(): number {
  wall0 = epochMs();
  cpu0 = process.cpuUsage();
  return wall0;
}

/** Runs `gc()` a few times, letting finalizers and weak callbacks run in between. */
async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('server.js needs --expose-gc for memory figures');
  for (let i = 0; i < 4; i++) {
    gc();
    await nextTurn();
  }
}

serveCommands(
  {
    cpuStart: () => ({ t0: startWindow() }),
    cpuStop: () => {
      const cpu = process.cpuUsage(cpu0);
      return { userUs: cpu.user, systemUs: cpu.system, wallMs: epochMs() - wall0 };
    },
    /**
     * Publishes `messages` ticks in bursts of `burst`, yielding to I/O between
     * bursts, or waiting `gapMs` when given (a paced round); `stamp` puts the
     * publish time in each message's data.
     */
    fanout: async (cmd) => {
      const messages = cmd.messages as number;
      const burst = cmd.burst as number;
      const gapMs = (cmd.gapMs as number | undefined) ?? 0;
      const stamp = cmd.stamp === true;
      const t0 = startWindow();
      let recipients = 0;
      let seq = 0;
      for (let b = 0; b < Math.ceil(messages / burst) && seq < messages; b++) {
        const end = Math.min(messages, seq + burst);
        while (seq < end) {
          const sent = stamp ? server.publish(seq++, epochMs()) : server.publish(seq++);
          recipients += typeof sent === 'number' ? sent : await sent;
        }
        if (gapMs > 0) await sleep(gapMs);
        else await nextTurn();
      }
      return { t0, publishMs: epochMs() - t0, recipients };
    },
    /** Starts the timer publisher for `messages` ticks; answers after the last. */
    timed: async (cmd) => {
      const t0 = startWindow();
      await server.startTimed(cmd.messages as number);
      return { t0, publishMs: epochMs() - t0 };
    },
    heapSnapshot: async (cmd) => {
      await collect();
      return { file: writeHeapSnapshot(cmd.file as string) };
    },
    connections: () => ({ connections: server.connections() }),
    deliveryStats: () => ({ stats: server.deliveryStats?.() ?? null }),
    mem: async () => {
      await collect();
      const m = process.memoryUsage();
      return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, heapTotal: m.heapTotal };
    },
  },
  () => server.close(),
);

const ready: ReadyMessage = {
  type: 'ready',
  port: server.port,
  path: server.path,
  unixPath: server.unixPath,
};
process.send(ready);
