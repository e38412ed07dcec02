/**
 * Runs an example by its folder name: `npm run example -- ping`.
 * PORT sets the port (default 8080), HOST the interface (default 127.0.0.1: this
 * machine only; HOST=0.0.0.0 opens it to the network). SIGTERM drains for five
 * seconds (clients are told to reconnect, spread over the period); Ctrl+C stops at once.
 */
import { readdir } from 'node:fs/promises';
import type { RunningExample } from './serve.js';

const name = process.argv[2] ?? 'chat';
const here = new URL('./', import.meta.url);
const available = (await readdir(here, { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
if (!available.includes(name)) {
  process.stderr.write(`no example '${name}'; try one of: ${available.join(', ')}\n`);
  process.exit(2);
}
const port = Number(process.env.PORT ?? 8080);
const example = (await import(`./${name}/server.js`)) as {
  start(port: number, host?: string): Promise<RunningExample>;
};
const host = process.env.HOST ?? '127.0.0.1';
const running = await example.start(port, host);
const shown =
  host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
process.stdout.write(
  `${name} example: open http://${shown}:${running.port}/ (WebSocket at ws://${shown}:${running.port}/ws); Ctrl+C stops\n`,
);
const stop = (graceMs: number) => (): void => {
  void running.close(graceMs).then(() => process.exit(0));
};
process.once('SIGINT', stop(0));
process.once('SIGTERM', stop(5000));
