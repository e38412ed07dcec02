/**
 * Runs an example by its folder name: `npm run example -- ping`.
 * PORT sets the port (default 8080), HOST the interface (default: all).
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
const running = await example.start(port, process.env.HOST);
process.stdout.write(
  `${name} example: open http://localhost:${running.port}/ (WebSocket at ws://localhost:${running.port}/ws); Ctrl+C stops\n`,
);
const stop = (): void => {
  void running.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
