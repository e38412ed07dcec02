/**
 * The channels example's page, driven in headless Chromium while the test
 * creates, feeds and deletes channels through the HTTP API from Node.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { start } from '../../examples/channels/server.js';
import {
  assertVisibleRings,
  overflowing,
  tabTo,
  PHONE,
  poll,
  texts,
  waitForAttribute,
  waitForCount,
  waitForOpen,
  waitForTexts,
  type OpenPage,
  useExample,
  waitForDataset,
  type PageElement,
} from './browser.js';

const TOKEN = 'browser-test-token';

describe('channels example in a browser', () => {
  const example = useExample((port) =>
    start(port, '127.0.0.1', { token: TOKEN, print: () => undefined }),
  );

  const base = () => example.url('');

  /** Calls the API from Node with the token; returns the status and the JSON body. */
  async function api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  async function create(name: string): Promise<void> {
    const res = await api('POST', '/api/channels', { name });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }

  async function push(name: string, data: unknown): Promise<number> {
    const res = await api('POST', `/api/channels/${encodeURIComponent(name)}/messages`, data);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.received as number;
  }

  async function open(viewport?: { width: number; height: number }): Promise<OpenPage> {
    const p = await example.pages.open(`${base()}/`, viewport);
    await waitForOpen(p.page);
    return p;
  }

  const row = (page: Page, name: string) => page.locator(`#channels > li[data-channel="${name}"]`);
  const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

  async function waitForChannels(page: Page, expected: string[]): Promise<void> {
    await waitForDataset(page.locator('#channels > li'), 'channel', expected);
    assert.equal(await page.textContent('#channel-count'), String(expected.length));
    assert.equal(await page.locator('#no-channels').isHidden(), expected.length > 0);
  }

  /** Ticks a channel's toggle and waits for the server's ack to show. */
  async function subscribe(page: Page, name: string): Promise<void> {
    await byTestId(page, `toggle-${name}`).check();
    await waitForAttribute(row(page, name), 'data-subscribed', 'true');
  }

  function assertNoPageErrors(...ps: OpenPage[]): void {
    for (const p of ps) {
      assert.deepEqual(p.errors, [], 'uncaught errors in the page');
    }
  }

  it('lists a channel created through the API on a page already open, and drops it when deleted', async () => {
    const p = await open();
    await waitForChannels(p.page, []);

    await create('news');
    await create('sport.results');
    await waitForChannels(p.page, ['news', 'sport.results']);
    const news = row(p.page, 'news');
    assert.equal(await news.getAttribute('data-testid'), 'channel-news');
    assert.equal(await news.getAttribute('data-subscribed'), 'false');
    assert.equal(await byTestId(p.page, 'toggle-sport.results').isChecked(), false);
    assert.equal(await byTestId(p.page, 'count-news').getAttribute('data-count'), '0');
    assert.deepEqual(await texts(p.page.locator('#push-channel option')), [
      'news',
      'sport.results',
    ]);

    const res = await api('DELETE', '/api/channels/news');
    assert.equal(res.status, 204);
    await waitForChannels(p.page, ['sport.results']);
    assert.deepEqual(await texts(p.page.locator('#push-channel option')), ['sport.results']);

    assert.equal((await api('DELETE', '/api/channels/sport.results')).status, 204);
    await waitForChannels(p.page, []);
    assert.equal(await p.page.locator('#error').isHidden(), true);
    assertNoPageErrors(p);
  });

  it('shows messages pushed to a channel the page subscribed to with its toggle', async () => {
    await create('news');
    await create('weather');
    const p = await open();
    await waitForChannels(p.page, ['news', 'weather']);

    await subscribe(p.page, 'news');
    assert.equal(
      example.running.app.subscribers('news').length,
      1,
      'the server has the subscription once the page shows it',
    );

    // Not subscribed to weather: nobody receives it.
    assert.equal(await push('weather', { sky: 'grey' }), 0);
    assert.equal(await push('news', { headline: 'carom ships' }), 1);
    assert.equal(await push('news', [1, 'two', null]), 1);

    const lines = p.page.locator('#messages > li');
    await waitForCount(lines, 2);
    assert.deepEqual(
      await lines.evaluateAll((els) => els.map((e) => (e as PageElement).dataset.channel)),
      ['news', 'news'],
    );
    assert.deepEqual(await texts(lines.locator('.channel')), ['news', 'news']);
    const data = (await texts(lines.locator('.data'))).map((s) => JSON.parse(s) as unknown);
    assert.deepEqual(data, [{ headline: 'carom ships' }, [1, 'two', null]]);
    await waitForAttribute(byTestId(p.page, 'count-news'), 'data-count', '2');
    assert.equal(await byTestId(p.page, 'count-news').textContent(), '2');
    assert.equal(await byTestId(p.page, 'count-weather').getAttribute('data-count'), '0');

    // Unticking unsubscribes: the server stops sending.
    await byTestId(p.page, 'toggle-news').uncheck();
    await waitForAttribute(row(p.page, 'news'), 'data-subscribed', 'false');
    assert.equal(await push('news', { headline: 'unheard' }), 0);

    // Deleting a subscribed channel removes it from the page.
    await subscribe(p.page, 'weather');
    assert.equal((await api('DELETE', '/api/channels/weather')).status, 204);
    await waitForChannels(p.page, ['news']);
    assert.equal(example.running.app.subscribers('weather').length, 0);
    assert.equal(await p.page.locator('#error').isHidden(), true);
    assertNoPageErrors(p);
  });

  it('lists the channels that exist when a page opens, in order of creation', async () => {
    await create('zeta');
    await create('alpha');
    await create('mid.dle');
    assert.equal((await api('DELETE', '/api/channels/alpha')).status, 204);

    const p = await open();
    await waitForChannels(p.page, ['zeta', 'mid.dle']);

    // It can subscribe to one and receive, like a page that saw the channel appear.
    await subscribe(p.page, 'mid.dle');
    assert.equal(await push('mid.dle', { n: 1 }), 1);
    await waitForTexts(p.page.locator('#messages > li[data-channel="mid.dle"] .data'), ['{"n":1}']);

    // A second page sees the same list and a later channel, like the first.
    const q = await open();
    await waitForChannels(q.page, ['zeta', 'mid.dle']);
    await create('late');
    await waitForChannels(p.page, ['zeta', 'mid.dle', 'late']);
    await waitForChannels(q.page, ['zeta', 'mid.dle', 'late']);
    assertNoPageErrors(p, q);
  });

  it("drives the API from the page's own panel with the token", async () => {
    const p = await open();
    const other = await open();
    const result = p.page.locator('#api-result');

    // Without the token the API refuses, and the page says the token is missing.
    await p.page.fill('#create-input', 'notes');
    await p.page.click('#create-button');
    await waitForAttribute(result, 'data-status', '401');
    assert.equal(await result.getAttribute('data-ok'), 'false');
    assert.equal(await result.getAttribute('data-code'), 'unauthorized');
    assert.match((await result.textContent()) ?? '', /→ 401 No token was sent: paste/);
    assert.equal(example.running.app.channels.has('notes'), false);

    // A wrong token is told apart: another message, another fix.
    await p.page.fill('#token-input', `${TOKEN}-not`);
    await p.page.click('#create-button');
    await waitForAttribute(result, 'data-code', 'invalid_token');
    assert.match((await result.textContent()) ?? '', /→ 401 The token is wrong/);
    assert.equal(await p.page.getAttribute('#token-input', 'aria-invalid'), 'true');
    assert.equal(example.running.app.channels.has('notes'), false);

    await p.page.fill('#token-input', TOKEN);
    await p.page.click('#create-button');
    await waitForAttribute(result, 'data-status', '201');
    assert.equal(await p.page.getAttribute('#token-input', 'aria-invalid'), 'false');
    assert.equal(await result.getAttribute('data-ok'), 'true');
    assert.equal(await p.page.inputValue('#create-input'), '');
    await waitForChannels(p.page, ['notes']);
    await waitForChannels(other.page, ['notes']);

    // The other page subscribes; this one pushes what is typed.
    await subscribe(other.page, 'notes');
    await p.page.selectOption('#push-channel', 'notes');
    await p.page.fill('#push-data', '{"text": "from the panel"}');
    await p.page.click('#push-button');
    await waitForAttribute(result, 'data-status', '202');
    assert.match((await result.textContent()) ?? '', /"received":1/);
    await waitForTexts(other.page.locator('#messages > li[data-channel="notes"] .data'), [
      '{"text":"from the panel"}',
    ]);
    assert.equal(await p.page.locator('#messages > li').count(), 0);

    // Bad JSON is the server's 400.
    await p.page.fill('#push-data', '{oops');
    await p.page.click('#push-button');
    await waitForAttribute(result, 'data-status', '400');

    // The row's delete button deletes it for everyone.
    await byTestId(p.page, 'delete-notes').click();
    await waitForAttribute(result, 'data-status', '204');
    await waitForChannels(p.page, []);
    await waitForChannels(other.page, []);
    assert.equal(await other.page.locator('#error').isHidden(), true);
    assertNoPageErrors(p, other);
  });

  /** Whether the single element of `locator` is wholly inside the window (not scrolled away). */
  const inView = (locator: ReturnType<Page['locator']>) =>
    locator.evaluate((e) => {
      const box = (
        e as unknown as { getBoundingClientRect(): { top: number; bottom: number } }
      ).getBoundingClientRect();
      const height = (globalThis as unknown as { innerHeight: number }).innerHeight;
      return box.bottom > box.top && box.top >= 0 && box.bottom <= height;
    });

  /** Waits for the API answer `status`, shown right after `anchor` and in view. */
  async function answeredUnder(page: Page, anchor: string, status: string): Promise<void> {
    const result = page.locator('#api-result');
    await waitForAttribute(result, 'data-status', status);
    assert.equal(await page.locator(`${anchor} + #api-result`).count(), 1, `after ${anchor}`);
    await poll(
      'the answer in view',
      () => inView(result),
      (v) => v,
    );
  }

  it('shows each answer next to what was used, in view, on a phone', async () => {
    for (const name of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8']) await create(name);
    const p = await open(PHONE);
    await waitForChannels(p.page, ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8']);
    assert.deepEqual(await overflowing(p.page), []);
    assert.equal(await p.page.getAttribute('#state', 'role'), 'status');
    assertVisibleRings(await tabTo(p.page, '#push-button', { steps: 40 }));
    await p.page.fill('#token-input', TOKEN);

    // A row's Delete, up in the list: the answer shows under the list, where the user looks.
    await byTestId(p.page, 'delete-a2').click();
    await answeredUnder(p.page, '#channels', '204');

    // The create form, further down: the answer follows it there.
    await p.page.fill('#create-input', 'a2');
    await p.page.click('#create-button');
    await answeredUnder(p.page, '#create-form', '201');

    // Back up to delete again: the answer comes back up too.
    await byTestId(p.page, 'delete-a8').scrollIntoViewIfNeeded();
    await byTestId(p.page, 'delete-a8').click();
    await answeredUnder(p.page, '#channels', '204');

    await p.page.selectOption('#push-channel', 'a1');
    await p.page.click('#push-button');
    await answeredUnder(p.page, '#push-form', '202');
    assert.deepEqual(await overflowing(p.page), []);
    assertNoPageErrors(p);
  });

  it('says after a restart that channels live in memory, and which are gone', async () => {
    await create('news');
    await create('sport');
    const p = await open();
    await waitForChannels(p.page, ['news', 'sport']);
    await subscribe(p.page, 'news');
    const note = p.page.locator('#restart-note');
    assert.equal(await note.isHidden(), true);

    await example.stop();
    await waitForAttribute(p.page.locator('#state'), 'data-state', 'reconnecting');
    await example.resume();
    await waitForOpen(p.page);
    await note.waitFor({ state: 'visible' });
    assert.equal(await note.getAttribute('data-lost'), '["news","sport"]');
    assert.match(
      (await p.page.textContent('#restart-text')) ?? '',
      /^The server restarted \(at .*\)\. Channels live in the server's memory only, so a restart forgets them\. Channels news, sport are gone: create them again/,
    );
    await waitForChannels(p.page, []);
    // The refused resubscription to `news` is not an error to show: the note says it all.
    assert.equal(await p.page.locator('#error').isHidden(), true);

    // A channel made on the new server works as usual; the note can be dismissed.
    await create('news');
    await waitForChannels(p.page, ['news']);
    await subscribe(p.page, 'news');
    assert.equal(await push('news', { again: true }), 1);
    await p.page.click('#restart-dismiss');
    await note.waitFor({ state: 'hidden' });

    // A dropped connection to the same server (no restart) says nothing: news is still there.
    const [connection] = example.running.app.subscribers('news');
    connection!.close(4000, 'dropped by the test');
    await waitForAttribute(p.page.locator('#state'), 'data-state', 'reconnecting');
    await waitForOpen(p.page);
    await waitForAttribute(row(p.page, 'news'), 'data-subscribed', 'true');
    await poll(
      'the page to subscribe again',
      async () => example.running.app.subscribers('news').length,
      (n) => n === 1,
    );
    assert.equal(await note.isHidden(), true);
    assertNoPageErrors(p);
  });
});
