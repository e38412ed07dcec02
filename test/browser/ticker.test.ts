/**
 * The ticker example's page, driven in headless Chromium: live samples, the
 * charts, pausing and the burn button.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { start } from '../../examples/ticker/server.js';
import {
  assertVisibleRings,
  overflowing,
  tabTo,
  PHONE,
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

  async function open(viewport?: { width: number; height: number }): Promise<OpenPage> {
    const p = await example.pages.open(example.url(), viewport);
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
    // Waited for, not read twice: firstPoints may already have been 3 on a slow machine.
    await pointsAtLeast(page, Math.max(3, firstPoints + 1));
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

  /** The charts' breaks in the line, as [from, to] epoch ms (the same on both charts). */
  const gaps = async (page: Page): Promise<Array<[number, number]>> => {
    const [cpu, mem] = await Promise.all([
      page.getAttribute('#cpu-chart', 'data-gaps'),
      page.getAttribute('#mem-chart', 'data-gaps'),
    ]);
    assert.equal(cpu, mem, 'both charts break at the same samples');
    return JSON.parse(cpu ?? '[]') as Array<[number, number]>;
  };

  it('dims its values, disables its buttons and leaves a gap in time while disconnected', async () => {
    const { page, errors } = await open(PHONE);
    await samplesAtLeast(page, 2);
    const cards = page.locator('.cards');
    await waitForAttribute(cards, 'data-stale', 'false');
    const opacity = () =>
      page.evaluate(
        "Number(getComputedStyle(document.querySelector('.cards .card')).opacity)",
      ) as Promise<number>;
    assert.equal(await opacity(), 1);
    assert.equal(await page.isDisabled('#pause'), false);
    assert.equal(await page.isDisabled('#burn'), false);
    assert.equal(await page.textContent('#stale-note'), '');

    await example.stop();
    const stoppedAt = Date.now();
    await waitForAttribute(cards, 'data-stale', 'true');
    await poll('the values to dim', opacity, (o) => o < 0.6);
    assert.equal(await page.isDisabled('#pause'), true);
    assert.equal(await page.isDisabled('#burn'), true);
    assert.match(
      (await page.textContent('#stale-note')) ?? '',
      /^Not connected: the values are from /,
    );
    const held = await attrNumber(page, '#samples', 'data-count');

    // Down long enough for a break in the line: until the page's newest sample is 2.5 s old.
    const lastAt = await page.evaluate(() => Date.now());
    await poll(
      'the outage to outlast the gap threshold',
      () => page.evaluate(() => Date.now()),
      (now) => now - lastAt > 2500,
    );
    assert.equal(await attrNumber(page, '#samples', 'data-count'), held, 'nothing came meanwhile');
    const resumedAt = Date.now();
    await example.resume();
    await waitForAttribute(cards, 'data-stale', 'false');
    await samplesAtLeast(page, held + 2);
    await pointsAtLeast(page, 2);
    const found = await poll(
      'a gap spanning the outage on both charts',
      () => gaps(page),
      (list) => list.some(([from, to]) => from <= stoppedAt && to >= resumedAt),
    );
    assert.ok(found.length >= 1);
    await poll('the values to brighten', opacity, (o) => o === 1);
    assert.equal(await page.isDisabled('#pause'), false);
    assert.equal(await page.isDisabled('#burn'), false);
    assert.equal(await page.textContent('#stale-note'), '');
    assert.deepEqual(await overflowing(page), []);
    assertVisibleRings(await tabTo(page, '#burn', { steps: 6 }));
    assert.equal(await page.getAttribute('#state', 'role'), 'status');
    assert.deepEqual(errors, []);
  });
});
