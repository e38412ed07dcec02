/**
 * The ticker example's page, driven in headless Chromium: live samples, the
 * charts, pausing and the burn button.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { start } from '../../examples/ticker/server.js';
import {
  poll,
  waitForAttribute,
  waitForOpen,
  type OpenPage,
  type PageElement,
  useExample,
} from './browser.js';

/** The number fields the page shows, with the digits it shows them with. */
const VALUES = [
  ['cpu-value', 1],
  ['rss-value', 1],
  ['heap-value', 1],
  ['heap-total-value', 1],
  ['interval-value', 0],
] as const;

describe('ticker example in a browser', () => {
  const example = useExample((port) => start(port, '127.0.0.1'));

  async function open(): Promise<OpenPage> {
    const p = await example.pages.open(example.url());
    await waitForOpen(p.page);
    return p;
  }

  const attrNumber = async (page: Page, selector: string, name: string): Promise<number> =>
    Number(await page.getAttribute(selector, name));

  /** Waits until `#samples[data-count]` is at least `n`; returns it. */
  const samplesAtLeast = (page: Page, n: number) =>
    poll(
      `at least ${n} samples`,
      () => attrNumber(page, '#samples', 'data-count'),
      (c) => c >= n,
    );

  /** Waits until both charts have drawn at least `n` points; returns the CPU chart's. */
  const pointsAtLeast = (page: Page, n: number) =>
    poll(
      `charts with at least ${n} points`,
      async () => [
        await attrNumber(page, '#cpu-chart', 'data-points'),
        await attrNumber(page, '#mem-chart', 'data-points'),
      ],
      ([cpu, mem]) => cpu! >= n && mem! >= n,
    ).then(([cpu]) => cpu!);

  async function assertNumbersShown(page: Page): Promise<void> {
    for (const [id, digits] of VALUES) {
      // One read of both, in one turn of the page: a tick between two reads would change one.
      const [raw, text] = await page
        .locator(`#${id}`)
        .evaluate((e) => [e.getAttribute('data-value'), e.textContent]);
      const value = Number(raw);
      assert.ok(raw !== null && raw !== '' && Number.isFinite(value), `#${id} data-value ${raw}`);
      assert.ok(value >= 0, `#${id} = ${value}`);
      assert.equal((text ?? '').trim(), value.toFixed(digits), `#${id} shows its value`);
    }
    assert.ok(Number(await page.getAttribute('#rss-value', 'data-value')) > 0);
    assert.ok(Number(await page.getAttribute('#heap-value', 'data-value')) > 0);
  }

  it('counts samples and draws more points with every tick', async () => {
    const { page, errors } = await open();
    const first = await samplesAtLeast(page, 1);
    const firstPoints = await pointsAtLeast(page, 1);
    await assertNumbersShown(page);

    const later = await samplesAtLeast(page, Math.max(3, first + 2));
    assert.ok(later > first);
    const samples = await page
      .locator('#samples')
      .evaluate((e) => [e.textContent, (e as PageElement).dataset.count]);
    assert.equal(samples[0], samples[1], 'the count shown is the count held');
    const laterPoints = await pointsAtLeast(page, 3);
    assert.ok(laterPoints > firstPoints, `points ${firstPoints} then ${laterPoints}`);
    await assertNumbersShown(page);
    assert.equal(example.running.app.subscribers('stats').length, 1);
    assert.deepEqual(errors, []);
  });

  it('pauses and resumes its subscription, and burns CPU on request', async () => {
    const { page, errors } = await open();
    await samplesAtLeast(page, 1);

    await page.click('#pause');
    await waitForAttribute(page.locator('#pause'), 'data-paused', 'true');
    assert.equal(await page.textContent('#pause'), 'Resume');
    assert.equal(example.running.app.subscribers('stats').length, 0, 'unsubscribed on the server');

    const before = await attrNumber(page, '#samples', 'data-count');
    await page.click('#pause');
    await waitForAttribute(page.locator('#pause'), 'data-paused', 'false');
    assert.equal(example.running.app.subscribers('stats').length, 1);
    await samplesAtLeast(page, before + 1);

    await page.click('#burn');
    await waitForAttribute(page.locator('#burn-result'), 'data-status', 'ok');
    assert.match((await page.textContent('#burn-result')) ?? '', /burned 300 ms/);
    assert.deepEqual(errors, []);
  });
});
