/**
 * The chat page and its rooms' history, in headless Chromium: a page that
 * joins a room shows its last events; a page whose network drops, or whose
 * server restarts, gets what it missed in order and once, says so when it
 * cannot, and loses nothing typed while away. The pages under test reach the
 * server through a proxy the test controls (test/browser/proxy.ts); the
 * restart is of a real server process, killed with SIGKILL by its PID and
 * started again on the same port.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { connect, type CaromClient } from '../../src/client/index.js';
import { ROOM_HISTORY } from '../../examples/chat/app.js';
import { start } from '../../examples/chat/server.js';
import {
  closeBrowser,
  launchBrowser,
  Pages,
  poll,
  TIMEOUT,
  waitForCount,
  waitForDataset,
  waitForOpen,
  useExample,
  type OpenPage,
  type PageElement,
} from './browser.js';
import {
  assertNoPageErrors,
  join,
  messageLines,
  say,
  waitForMembers,
  waitForMessages,
} from './chat-page.js';
import { FlakyProxy } from './proxy.js';

/** The room's last events a page shows on joining (RECENT in the page). */
const RECENT = 50;

/** A chat user driven from Node with the carom client, to say many things fast. */
async function nodeUser(port: number, name: string, room = 'lobby'): Promise<CaromClient> {
  const client = connect(`ws://127.0.0.1:${port}/ws`);
  await client.request('join', { name, room });
  return client;
}

/** The history offsets of the page's messages, in the order shown. */
const offsets = (page: Page): Promise<number[]> =>
  page
    .locator('#messages li[data-type="message"]')
    .evaluateAll((els) => els.map((e) => Number((e as PageElement).dataset.offset)));

/**
 * Fails unless the offsets grow (in order, none twice). Presence notices take
 * offsets too, so messages need not be consecutive; the exact list of messages
 * says none is missing.
 */
function assertIncreasing(got: number[]): void {
  assert.ok(got.length > 0 && got.every(Number.isSafeInteger), `offsets: ${got}`);
  for (let i = 1; i < got.length; i++) {
    assert.ok(got[i]! > got[i - 1]!, `offsets in order, none twice: ${got}`);
  }
}

/** The reasons of the page's "messages may be missing" lines, in the room shown. */
const gapReasons = (page: Page) =>
  page
    .locator('#messages li[data-type="gap"]')
    .evaluateAll((els) => els.map((e) => (e as PageElement).dataset.reason));

describe('chat rooms keep their history, in a browser', () => {
  const example = useExample((port) => start(port, '127.0.0.1'));
  let proxy: FlakyProxy | undefined;
  const clients: CaromClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await proxy?.close();
    proxy = undefined;
  });

  /** Opens the page at `url` and joins `room` as `name`. */
  async function user(name: string, url = example.url(), room = 'lobby'): Promise<OpenPage> {
    const p = await example.pages.open(url);
    await waitForOpen(p.page);
    await join(p, name, room);
    return p;
  }

  it("shows a joiner the room's last events, oldest first, then what is said live", async () => {
    const bob = await user('bob');
    await say(bob.page, 'one');
    await waitForMessages(bob.page, ['bob: one']);
    await say(bob.page, 'two');
    await waitForMessages(bob.page, ['bob: one', 'bob: two']);

    const ada = await user('ada');
    await waitForMessages(ada.page, ['bob: one', 'bob: two']);
    // The history came before the join's own line; comings and goings before it are not news.
    const types = await ada.page
      .locator('#messages li')
      .evaluateAll((els) => els.map((e) => (e as PageElement).dataset.type));
    assert.deepEqual(types, ['message', 'message', 'system']);
    await waitForMembers(ada.page, ['ada', 'bob']);
    await say(bob.page, 'three');
    await waitForMessages(ada.page, ['bob: one', 'bob: two', 'bob: three']);
    assertIncreasing(await offsets(ada.page));
    assert.deepEqual(await gapReasons(ada.page), []);
    assertNoPageErrors(ada, bob);
  });

  it(`shows at most the room's last ${RECENT} events`, async () => {
    assert.ok(RECENT < ROOM_HISTORY.size, 'the page asks for fewer than the room keeps');
    // cy's join is the room's first event, then 60 messages: the last 50 are m11..m60 (ada's
    // own join comes after what she is shown).
    const cy = await nodeUser(example.running.port, 'cy');
    clients.push(cy);
    for (let i = 1; i <= 60; i++) await cy.request('message', { room: 'lobby', text: `m${i}` });
    const ada = await user('ada');
    const expected = Array.from({ length: RECENT }, (_, i) => `cy: m${i + 11}`);
    await waitForMessages(ada.page, expected);
    assertIncreasing(await offsets(ada.page));
    assertNoPageErrors(ada);
  });

  it('recovers everything missed while its network was down, in order, once', async () => {
    proxy = await FlakyProxy.start(example.running.port);
    const ada = await user('ada', `http://127.0.0.1:${proxy.port}/`);
    const bob = await user('bob');
    await waitForMembers(ada.page, ['ada', 'bob']);
    await say(bob.page, 'before');
    await waitForMessages(ada.page, ['bob: before']);

    // ada's network goes: the server sees her leave; bob goes on talking.
    proxy.down();
    const banner = ada.page.locator('#connection-banner');
    await banner.waitFor({ state: 'visible' });
    await waitForMembers(bob.page, ['bob']);
    const missed = Array.from({ length: 20 }, (_, i) => `missed ${i + 1}`);
    const cy = await nodeUser(example.running.port, 'cy');
    clients.push(cy);
    for (const text of missed) await cy.request('message', { room: 'lobby', text });
    // What ada types meanwhile waits, shown as such, and the box is free for more.
    await say(ada.page, 'typed while away');
    await waitForCount(ada.page.locator('#messages li[data-type="pending"]'), 1);
    assert.equal(await ada.page.inputValue('#message-input'), '');

    proxy.up();
    await banner.waitFor({ state: 'hidden' });
    const all = ['bob: before', ...missed.map((t) => `cy: ${t}`), 'ada: typed while away'];
    await waitForMessages(ada.page, all);
    await waitForMessages(bob.page, all);
    await waitForCount(ada.page.locator('#messages li[data-type="pending"]'), 0);
    assertIncreasing(await offsets(ada.page));
    // Everything was recovered: no line says otherwise.
    assert.deepEqual(await gapReasons(ada.page), []);
    await waitForMembers(ada.page, ['ada', 'bob', 'cy']);
    assertNoPageErrors(ada, bob);
  });

  it('says so when more was said while it was away than the room keeps, and reloads', async () => {
    proxy = await FlakyProxy.start(example.running.port);
    const ada = await user('ada', `http://127.0.0.1:${proxy.port}/`);
    const bob = await user('bob');
    await say(bob.page, 'before');
    await waitForMessages(ada.page, ['bob: before']);

    proxy.down();
    await ada.page.locator('#connection-banner').waitFor({ state: 'visible' });
    const cy = await nodeUser(example.running.port, 'cy');
    clients.push(cy);
    const said = ROOM_HISTORY.size + 5;
    for (let i = 1; i <= said; i++) await cy.request('message', { room: 'lobby', text: `m${i}` });
    proxy.up();

    // The room's last 50 events: cy's last 50 messages.
    const reloaded = Array.from({ length: RECENT }, (_, i) => `cy: m${said - RECENT + 1 + i}`);
    await waitForMessages(ada.page, ['bob: before', ...reloaded]);
    await waitForDataset(ada.page.locator('#messages li[data-type="gap"]'), 'reason', ['GAP']);
    assert.match(
      (await ada.page.textContent('#messages li[data-type="gap"] .text')) ?? '',
      /^Some messages may be missing: more was said than the room keeps\. Reloaded the room's last 50 events\.$/,
    );
    // The line stands where the gap is: after what ada saw, before what was reloaded.
    const order = await ada.page
      .locator('#messages li')
      .evaluateAll((els) =>
        els.map(
          (e) =>
            (e as PageElement).dataset.type + ':' + (e.querySelector('.text')?.textContent ?? ''),
        ),
      );
    const at = (line: string) => order.indexOf(line);
    assert.ok(at('message:before') < at(order.find((l) => l.startsWith('gap:'))!));
    assert.ok(at(order.find((l) => l.startsWith('gap:'))!) < at(`message:m${said - RECENT + 1}`));
    assertIncreasing(await offsets(ada.page));
    assertNoPageErrors(ada, bob);
  });

  it('says a message once when its answer was lost and it was sent again', async () => {
    proxy = await FlakyProxy.start(example.running.port);
    const ada = await user('ada', `http://127.0.0.1:${proxy.port}/`);
    const bob = await user('bob');
    await waitForMembers(ada.page, ['ada', 'bob']);

    // The server gets ada's message and says it in the room; its answer never reaches her.
    proxy.deaf();
    await say(ada.page, 'said once');
    await waitForMessages(bob.page, ['ada: said once']);
    assert.deepEqual(await messageLines(ada.page), []);
    // Her connection then drops: the client sends the message again, with the same key.
    proxy.down();
    await ada.page.locator('#connection-banner').waitFor({ state: 'visible' });
    proxy.up();
    await waitForOpen(ada.page);
    await say(bob.page, 'after');
    await waitForMessages(ada.page, ['ada: said once', 'bob: after']);
    await waitForMessages(bob.page, ['ada: said once', 'bob: after']);
    assert.equal(await ada.page.inputValue('#message-input'), '', 'answered: the box is empty');
    assertNoPageErrors(ada, bob);
  });
});

/** A free TCP port on 127.0.0.1, for a server that must come back on the same one. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The chat example in its own process (`npm run example -- chat`), on `port`. */
class ChatProcess {
  private constructor(private readonly child: ChildProcess) {}

  /** Starts it and waits until it says it listens (bounded by TIMEOUT). */
  static async start(port: number): Promise<ChatProcess> {
    const run = new URL('../../examples/run.js', import.meta.url);
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1' };
    delete env.REDIS_URL;
    delete env.ALLOWED_ORIGINS;
    const child = spawn(process.execPath, [run.pathname, 'chat'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const running = new ChatProcess(child);
    let output = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not up in time: ${output}`)), TIMEOUT);
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('chat example: open')) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout!.on('data', read);
        child.stderr!.on('data', read);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`the chat process exited (${code}): ${output}`));
        });
      });
    } catch (err) {
      await running.kill();
      throw err;
    }
    return running;
  }

  /** Ends it with SIGKILL, by its PID (nothing is drained: a crash), and waits for it to exit. */
  async kill(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
  }
}

describe('the chat page across a server restart, in a browser', () => {
  let browser: Browser | undefined;
  let pages: Pages | undefined;
  let server: ChatProcess | undefined;
  let proxy: FlakyProxy | undefined;

  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await closeBrowser(browser);
  });
  beforeEach(() => {
    pages = new Pages(() => browser!);
  });
  afterEach(async () => {
    try {
      await pages?.closeAll();
      await proxy?.close();
    } finally {
      await server?.kill();
      server = undefined;
      proxy = undefined;
    }
  });

  async function user(name: string, url: string): Promise<OpenPage> {
    const p = await pages!.open(url);
    await waitForOpen(p.page);
    await join(p, name);
    return p;
  }

  it('keeps everything: says what the restart lost, and sends what was typed meanwhile once', async () => {
    const port = await freePort();
    server = await ChatProcess.start(port);
    proxy = await FlakyProxy.start(port);
    // ada comes through the proxy, so the test says when she gets back; bob comes straight.
    const ada = await user('ada', `http://127.0.0.1:${proxy.port}/`);
    const bob = await user('bob', `http://127.0.0.1:${port}/`);
    await waitForMembers(ada.page, ['ada', 'bob']);
    await say(bob.page, 'before the restart');
    await waitForMessages(ada.page, ['bob: before the restart']);

    proxy.down();
    await server.kill();
    await ada.page.locator('#connection-banner').waitFor({ state: 'visible' });
    await bob.page.locator('#connection-banner').waitFor({ state: 'visible' });
    // Typed while the server is down: shown as waiting.
    await say(ada.page, 'typed while down 1');
    await say(ada.page, 'typed while down 2');
    await waitForCount(ada.page.locator('#messages li[data-type="pending"]'), 2);

    server = await ChatProcess.start(port);
    // bob is back first, and talks before ada is.
    await waitForOpen(bob.page);
    await bob.page.locator('#connection-banner').waitFor({ state: 'hidden' });
    await say(bob.page, 'after the restart');
    await waitForMessages(bob.page, ['bob: before the restart', 'bob: after the restart']);

    proxy.up();
    await waitForOpen(ada.page);
    const all = [
      'bob: before the restart',
      'bob: after the restart',
      'ada: typed while down 1',
      'ada: typed while down 2',
    ];
    await waitForMessages(ada.page, all);
    await waitForMessages(bob.page, all);
    await waitForCount(ada.page.locator('#messages li[data-type="pending"]'), 0);
    // The restart lost the room's history: each page says messages may be missing, before
    // what was reloaded (bob's message said after the restart, on ada's page).
    for (const p of [ada, bob]) {
      await waitForDataset(p.page.locator('#messages li[data-type="gap"]'), 'reason', ['EPOCH']);
    }
    const adaTypes = await ada.page
      .locator('#messages li')
      .evaluateAll((els) => els.map((e) => (e as PageElement).dataset.type));
    // bob's return is news to ada: it happened after the restart, while she was away.
    assert.deepEqual(adaTypes.slice(-6), [
      'system',
      'gap',
      'joined',
      'message',
      'message',
      'message',
    ]);
    assert.match(
      (await ada.page.textContent('#messages li[data-type="gap"] .text')) ?? '',
      /^Some messages may be missing: the server lost what it kept of the room \(it restarted\)\. Reloaded/,
    );
    // Nothing said twice, however long the pages wait.
    await say(bob.page, 'last');
    await waitForMessages(ada.page, [...all, 'bob: last']);
    assert.equal((await messageLines(bob.page)).filter((l) => l.startsWith('ada:')).length, 2);
    await poll(
      'both pages connected',
      async () => [
        await ada.page.getAttribute('#state', 'data-state'),
        await bob.page.getAttribute('#state', 'data-state'),
      ],
      (s) => s.every((v) => v === 'open'),
    );
    assertNoPageErrors(ada, bob);
  });
});
