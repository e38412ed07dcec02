/**
 * The ticker example serves its own server's metrics: a client on the page's
 * WebSocket subscribes to `stats`, and the `/metrics` page linked from the
 * ticker's page shows the connection and the frames it was sent.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, it } from 'node:test';
import { start, METRICS_PATH } from '../../examples/ticker/server.js';
import type { RunningExample } from '../../examples/serve.js';
import { connect, terminateAll } from '../integration/helpers.js';

let running: RunningExample | undefined;

afterEach(async () => {
  terminateAll();
  await running?.close();
  running = undefined;
});

async function sample(base: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${base}${METRICS_PATH}`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ticker example: metrics', () => {
  it("links its metrics page from the page, and the page shows the server's figures", async () => {
    const page = await readFile(
      new URL('../../../examples/ticker/public/index.html', import.meta.url),
      'utf8',
    );
    assert.match(page, new RegExp(`href="${METRICS_PATH}"`));

    running = await start(0, '127.0.0.1');
    const base = `http://127.0.0.1:${running.port}`;
    assert.equal(await sample(base, 'carom_connections'), 0);
    const client = await connect(`ws://127.0.0.1:${running.port}/ws`);
    client.send({ event: 'subscribe', data: { events: ['stats'] }, id: 1 });
    await client.next((e) => e.event === 'stats');
    assert.equal(await sample(base, 'carom_connections'), 1);
    assert.equal(await sample(base, 'carom_envelopes_received_total{event="subscribe"}'), 1);
    // The frame the client got was counted as it was published.
    assert.ok((await sample(base, 'carom_frames_sent_total{event="stats"}'))! >= 1);
  });
});
