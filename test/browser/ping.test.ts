/**
 * The ping example's page (a bare WebSocket, no carom client), driven in
 * headless Chromium: it subscribes, sends pings and logs every envelope.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { start } from '../../examples/ping/server.js';
import type { Envelope } from '../support/envelope.js';
import {
  assertVisibleRings,
  tabTo,
  overflowing,
  PHONE,
  poll,
  useExample,
  type OpenPage,
  type PageElement,
} from './browser.js';

/** bounce-ws's offset-less local form, which the ping app sends. */
const LOCAL_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?$/;

describe('ping example in a browser', () => {
  const example = useExample((port) => start(port, '127.0.0.1'));

  async function open(viewport?: { width: number; height: number }): Promise<OpenPage> {
    const p = await example.pages.open(example.url(), viewport);
    await poll(
      'the page to say open',
      () => p.page.textContent('#state'),
      (s) => s === 'open',
    );
    return p;
  }

  /** Every line of #log, parsed. */
  async function logged(page: Page): Promise<Envelope[]> {
    const text = (await page.textContent('#log')) ?? '';
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Envelope);
  }

  const waitForLog = (page: Page, what: string, ok: (lines: Envelope[]) => boolean) =>
    poll(what, () => logged(page), ok);

  const subscribed = (event: string) => example.running.app.subscribers(event).length;

  /** Waits until the server has `ping` and `ping_timed` subscribers as given. */
  const waitForSubscribers = (ping: number, timed: number) =>
    poll(
      `${ping} ping and ${timed} ping_timed subscribers on the server`,
      async () => [subscribed('ping'), subscribed('ping_timed')],
      ([a, b]) => a === ping && b === timed,
    );

  it('subscribes, logs the ping it asked for and the timed pings', async () => {
    const { page, errors } = await open();

    // Both boxes start ticked: the page subscribes to both and logs the acks.
    const acks = await waitForLog(
      page,
      'two subscribe acks',
      (lines) => lines.filter((l) => l.event === 'ack').length >= 2,
    );
    const last = acks.filter((l) => l.event === 'ack').at(-1)!;
    assert.deepEqual([...last.data.events].sort(), ['ping', 'ping_timed']);
    assert.equal(subscribed('ping'), 1);
    assert.equal(subscribed('ping_timed'), 1);

    await page.click('#send');
    const withPing = await waitForLog(page, 'a ping envelope', (lines) =>
      lines.some((l) => l.event === 'ping'),
    );
    const pings = withPing.filter((l) => l.event === 'ping');
    assert.equal(pings.length, 1);
    assert.deepEqual(pings[0]!.data, { ping: 'ping' });
    assert.match(pings[0]!.timestamp, LOCAL_TIMESTAMP);
    assert.equal(pings[0]!.id, undefined);

    const timed = (
      await waitForLog(
        page,
        'two ping_timed envelopes',
        (lines) => lines.filter((l) => l.event === 'ping_timed').length >= 2,
      )
    ).filter((l) => l.event === 'ping_timed');
    for (const line of timed) {
      assert.deepEqual(line.data, { ping: 'ping' });
      assert.match(line.timestamp, LOCAL_TIMESTAMP);
    }
    assert.equal((await logged(page)).filter((l) => l.event === 'error').length, 0);
    assert.deepEqual(errors, []);
  });

  it('unsubscribes when a box is unticked, and Clear empties the log', async () => {
    const { page, errors } = await open();
    await waitForSubscribers(1, 1);

    await page.uncheck('#sub-ping_timed');
    await waitForSubscribers(1, 0);
    await waitForLog(page, "the unsubscribe's ack", (lines) =>
      lines.some((l) => l.event === 'ack' && JSON.stringify(l.data.events) === '["ping"]'),
    );

    await page.click('#clear');
    assert.equal(await page.textContent('#log'), '');

    // Still subscribed to ping: a sent ping comes back; re-ticking subscribes again.
    await page.click('#send');
    await waitForLog(page, 'a ping envelope', (lines) => lines.some((l) => l.event === 'ping'));
    await page.check('#sub-ping_timed');
    await waitForSubscribers(1, 1);
    await waitForLog(page, 'a ping_timed envelope', (lines) =>
      lines.some((l) => l.event === 'ping_timed'),
    );
    assert.deepEqual(errors, []);
  });

  it('reconnects after a server restart and subscribes again, in the plain protocol', async () => {
    const p = await open(PHONE);
    const { page, errors } = p;
    // What the page asks of the network: no carom client, and a WebSocket without subprotocol.
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await waitForSubscribers(1, 1);

    await page.uncheck('#sub-ping');
    await waitForSubscribers(0, 1);

    await example.stop();
    await poll(
      'the page to see the drop',
      () => page.getAttribute('#state', 'data-state'),
      (s) => s === 'reconnecting',
    );
    await example.resume();
    await poll(
      'the page to say open again',
      () => page.getAttribute('#state', 'data-state'),
      (s) => s === 'open',
    );
    // Subscribed again to what is ticked, and only that.
    await waitForSubscribers(0, 1);
    await page.check('#sub-ping');
    await waitForSubscribers(1, 1);
    await page.click('#clear');
    await waitForLog(page, 'a ping_timed from the new server', (lines) =>
      lines.some((l) => l.event === 'ping_timed'),
    );
    assert.deepEqual(
      fetched.filter((path) => path.startsWith('/carom')),
      [],
      'the page loads no carom client',
    );
    // carom greets only clients that ask for its subprotocol: this one never does.
    await page.click('#send');
    await waitForLog(page, 'a ping', (lines) => lines.some((l) => l.event === 'ping'));
    assert.equal(
      (await logged(page)).filter((l) => l.event.startsWith('carom.')).length,
      0,
      'no carom extension reached the page',
    );
    assert.deepEqual(errors, []);
  });

  it('fits a phone, has an icon, and keeps its log quiet for screen readers', async () => {
    const { page, errors } = await open(PHONE);
    assert.equal(
      await page.getAttribute('meta[name="viewport"]', 'content'),
      'width=device-width, initial-scale=1',
    );
    const icon = await page.getAttribute('link[rel="icon"]', 'href');
    assert.ok(icon);
    const res = await fetch(example.url(icon));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml');
    assert.match(await res.text(), /^<svg /);

    // The log changes every second: it must not be a live region (nor inside one).
    await waitForLog(page, 'a ping_timed', (lines) => lines.some((l) => l.event === 'ping_timed'));
    const live = await page.locator('#log').evaluate((e) => {
      const found: string[] = [];
      for (let at: PageElement | null = e as unknown as PageElement; at; at = at.parentElement) {
        const value = at.getAttribute('aria-live');
        const role = at.getAttribute('role');
        if (
          (value !== null && value !== 'off') ||
          role === 'log' ||
          role === 'status' ||
          role === 'alert'
        ) {
          found.push(`${value ?? ''} ${role ?? ''}`);
        }
      }
      return found;
    });
    assert.deepEqual(live, []);
    // The connection state is the one that speaks, when it changes.
    assert.equal(await page.getAttribute('#state', 'role'), 'status');
    assert.deepEqual(await overflowing(page), []);
    // Every control, and the log (to scroll it), by keyboard, each with a visible ring.
    assertVisibleRings(await tabTo(page, '#log', { steps: 8 }));
    assert.deepEqual(errors, []);
  });
});
