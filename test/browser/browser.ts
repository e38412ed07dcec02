/**
 * Shared helpers for the browser tests: one headless Chromium per test file
 * (Debian's, at /usr/bin/chromium), a fresh context per page, and bounded
 * polling for what a page shows.
 */
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import { after, afterEach, before, beforeEach } from 'node:test';
import type { RunningExample } from '../../examples/serve.js';

/**
 * What the tests read of an element in a page function. Those functions run in
 * Chromium, but this side of the test is Node, compiled without DOM types
 * (only the client's own check, tsconfig.client.json, has them).
 */
export interface PageElement {
  readonly dataset: Readonly<Record<string, string | undefined>>;
  readonly textContent: string | null;
  querySelector(selector: string): PageElement | null;
}

/** Debian's chromium; `npm test`'s pretest installs it when missing. */
export const CHROMIUM = '/usr/bin/chromium';

export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/**
 * How long any one wait may take. Generous: the suite runs two files at once on
 * small machines. A passing test never waits this long.
 */
export const TIMEOUT = 15_000;

/** Launches the browser of a test file. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: LAUNCH_ARGS,
    timeout: 30_000,
  });
}

/** Closes the browser (and ends its process); safe to call with undefined. */
export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  if (browser === undefined) return;
  await browser.close();
}

/** A page in its own context, with the uncaught errors it raised. */
export interface OpenPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught exceptions and unhandled rejections in the page. */
  readonly errors: string[];
  close(): Promise<void>;
}

/** Tracks the contexts a test opened, so an after hook can close whatever is left. */
export class Pages {
  private readonly contexts = new Set<BrowserContext>();

  constructor(private readonly browser: () => Browser) {}

  /** Opens `url` in a new context (its own storage, its own WebSocket). */
  async open(
    url: string,
    viewport: { width: number; height: number } = { width: 1100, height: 720 },
  ): Promise<OpenPage> {
    const context = await this.browser().newContext({ viewport });
    this.contexts.add(context);
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(url, { waitUntil: 'load' });
    return {
      context,
      page,
      errors,
      close: async () => {
        this.contexts.delete(context);
        await context.close();
      },
    };
  }

  /** Closes every context still open. */
  async closeAll(): Promise<void> {
    const contexts = [...this.contexts];
    this.contexts.clear();
    await Promise.allSettled(contexts.map((c) => c.close()));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads `read()` until `ok` holds for what it returns, and returns that value;
 * throws, naming `what` and the last value read, when it still does not hold
 * after `timeout` ms.
 */
export async function poll<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeout = TIMEOUT,
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  let failure: unknown;
  for (let attempt = 0; ; attempt++) {
    try {
      last = await read();
      failure = undefined;
      if (ok(last)) return last;
    } catch (err) {
      failure = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(25 * (attempt + 1), 200));
  }
  const seen = failure === undefined ? JSON.stringify(last) : String(failure);
  throw new Error(`timed out waiting for ${what}; last seen: ${seen}`);
}

/** The text of every element `locator` matches, trimmed. */
export async function texts(locator: Locator): Promise<string[]> {
  return (await locator.allTextContents()).map((s) => s.trim());
}

/** Waits until `locator` matches exactly `count` elements. */
export function waitForCount(locator: Locator, count: number, what = `${count} of ${locator}`) {
  return poll(
    what,
    () => locator.count(),
    (n) => n === count,
  );
}

/** Waits until the single element of `locator` has `name` = `value` (null: attribute absent). */
export function waitForAttribute(
  locator: Locator,
  name: string,
  value: string | null,
): Promise<string | null> {
  return poll(
    `${locator} [${name}] to be ${JSON.stringify(value)}`,
    () => locator.getAttribute(name, { timeout: TIMEOUT }),
    (v) => v === value,
  );
}

/** Waits until the texts of `locator`'s elements are exactly `expected`, in order. */
export function waitForTexts(locator: Locator, expected: string[]): Promise<string[]> {
  const want = JSON.stringify(expected);
  return poll(
    `${locator} to read ${want}`,
    () => texts(locator),
    (got) => JSON.stringify(got) === want,
  );
}

/** Waits for a page's connection indicator (`#state[data-state]`) to say `open`. */
export function waitForOpen(page: Page): Promise<string | null> {
  return waitForAttribute(page.locator('#state'), 'data-state', 'open');
}

/** One test file's browser and the example server of the test running now. */
export interface ExampleFixture<R extends RunningExample> {
  /** The server of the current test. */
  readonly running: R;
  /** The current test's pages, closed after it. */
  readonly pages: Pages;
  /** `http://127.0.0.1:PORT` of the current server, plus `path`. */
  url(path?: string): string;
}

/**
 * Registers, in the calling `describe`, the hooks every browser test file
 * needs: one Chromium for the file, a fresh example server and page set per
 * test, everything closed afterwards whatever happened.
 */
export function useExample<R extends RunningExample>(start: () => Promise<R>): ExampleFixture<R> {
  let browser: Browser | undefined;
  let running: R | undefined;
  let pages: Pages | undefined;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await closeBrowser(browser);
  });
  beforeEach(async () => {
    pages = new Pages(() => browser!);
    running = await start();
  });
  afterEach(async () => {
    try {
      await pages?.closeAll();
    } finally {
      await running?.close();
      running = undefined;
    }
  });
  return {
    get running() {
      if (!running) throw new Error('no example server: use the fixture inside a test');
      return running;
    },
    get pages() {
      if (!pages) throw new Error('no pages: use the fixture inside a test');
      return pages;
    },
    url: (path = '/') => `http://127.0.0.1:${running!.port}${path}`,
  };
}

/**
 * Waits until the elements of `locator` carry exactly `expected` in their
 * `data-KEY` attribute, in order; returns them.
 */
export function waitForDataset(
  locator: Locator,
  key: string,
  expected: string[],
): Promise<Array<string | undefined>> {
  const want = JSON.stringify(expected);
  return poll(
    `${locator} data-${key} to read ${want}`,
    () => locator.evaluateAll((els, k) => els.map((e) => (e as PageElement).dataset[k]), key),
    (got) => JSON.stringify(got) === want,
  );
}
