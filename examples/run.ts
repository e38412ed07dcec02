/**
 * Runs an example by its folder name: `npm run example -- ping`.
 * PORT sets the port (default 8080), HOST the interface (default 127.0.0.1: this
 * machine only; HOST=0.0.0.0 opens it to the network). REDIS_URL makes the ping
 * and chat examples one application with every other process given the same
 * URL (see broker.ts). SIGTERM drains for five seconds (clients are told to
 * reconnect, spread over the period); Ctrl+C stops at once.
 */
import { readdir } from 'node:fs/promises';
import { exampleBroker } from './broker.js';
import type { ExampleOptions, RunningExample } from './serve.js';

/** The examples written to run as several nodes; the others would not share what they keep. */
const SCALES = new Set(['ping', 'chat']);

const name = process.argv[2] ?? 'chat';
const here = new URL('./', import.meta.url);
const available = (await readdir(here, { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
if (!available.includes(name)) {
  process.stderr.write(`no example '${name}'; try one of: ${available.join(', ')}\n`);
  process.exit(2);
}
if (process.env.REDIS_URL && !SCALES.has(name)) {
  process.stderr.write(
    `the ${name} example runs on one node; REDIS_URL is for ${[...SCALES].join(' and ')}\n`,
  );
  process.exit(2);
}
const port = Number(process.env.PORT ?? 8080);
const example = (await import(`./${name}/server.js`)) as {
  start(port: number, host?: string, options?: ExampleOptions): Promise<RunningExample>;
};
const host = process.env.HOST ?? '127.0.0.1';
const broker = await exampleBroker();
const running = await example.start(port, host, { broker });
const shown =
  host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
process.stdout.write(
  `${name} example: open http://${shown}:${running.port}/ (WebSocket at ws://${shown}:${running.port}/ws)` +
    `${broker ? `, node ${broker.nodeId} sharing through Redis` : ''}; Ctrl+C stops\n`,
);
const stop = (graceMs: number) => (): void => {
  void running.close(graceMs).then(() => process.exit(0));
};
process.once('SIGINT', stop(0));
process.once('SIGTERM', stop(5000));
