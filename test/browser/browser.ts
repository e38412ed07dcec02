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
  readonly parentElement: PageElement | null;
  querySelector(selector: string): PageElement | null;
  getAttribute(name: string): string | null;
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
  /** Stops the current server (its pages see the connection drop); `resume` starts it again. */
  stop(): Promise<void>;
  /** Starts a fresh server on the port the stopped one had (a restart: nothing it kept survives). */
  resume(): Promise<R>;
}

/**
 * Registers, in the calling `describe`, the hooks every browser test file
 * needs: one Chromium for the file, a fresh example server and page set per
 * test, everything closed afterwards whatever happened. `start(port)` starts
 * the example on `port` (0 at first; the same port again on `resume`).
 */
export function useExample<R extends RunningExample>(
  start: (port: number) => Promise<R>,
): ExampleFixture<R> {
  let browser: Browser | undefined;
  let running: R | undefined;
  let pages: Pages | undefined;
  let port = 0;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await closeBrowser(browser);
  });
  beforeEach(async () => {
    pages = new Pages(() => browser!);
    running = await start(0);
    port = running.port;
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
    url: (path = '/') => `http://127.0.0.1:${port}${path}`,
    async stop() {
      const stopping = running;
      running = undefined;
      await stopping?.close();
    },
    async resume() {
      if (running) throw new Error('resume() needs stop() first');
      running = await start(port);
      return running;
    },
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

/** A phone-sized window (an iPhone 12 to 15's CSS pixels). */
export const PHONE = { width: 390, height: 844 } as const;

/**
 * What sticks out sideways in the page: the document's scroll width over the
 * window's, and every visible element whose box passes the window's edges,
 * as `tag#id.class left..right` (empty when nothing overflows). Page code is
 * a string: this side is compiled without DOM types.
 */
const OVERFLOWING = `(() => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const out = [];
  if (doc.scrollWidth > width) out.push('document ' + doc.scrollWidth + ' > ' + width);
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      const cls = typeof el.className === 'string' && el.className ? '.' + el.className : '';
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls + ' ' + box.left + '..' + box.right);
    }
  }
  return out;
})()`;

/** The elements of `page` that stick out sideways (see OVERFLOWING); empty when none does. */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(OVERFLOWING) as Promise<string[]>;
}

/** What `focusRing` measures of the focused element. */
export interface FocusRing {
  /** `tag#id` of the focused element. */
  readonly element: string;
  /** Its outline's width in CSS px (0 when it has none). */
  readonly width: number;
  /** WCAG contrast of the outline's colour against the background behind the element. */
  readonly contrast: number;
}

const FOCUS_RING = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { element: 'none', width: 0, contrast: 1 };
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = (c) => {
    const f = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  let bg = [255, 255, 255];
  for (let at = el.parentElement; at; at = at.parentElement) {
    const c = rgb(getComputedStyle(at).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c.slice(0, 3); break; }
  }
  const style = getComputedStyle(el);
  const width = style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth);
  const a = lum(rgb(style.outlineColor));
  const b = lum(bg);
  return {
    element: el.tagName.toLowerCase() + '#' + el.id,
    width,
    contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
  };
})()`;

/** The focus ring of the focused element: its width and its contrast against what is behind it. */
export function focusRing(page: Page): Promise<FocusRing> {
  return page.evaluate(FOCUS_RING) as Promise<FocusRing>;
}

/**
 * Presses Tab (Shift+Tab when `backwards`) until the focused element matches
 * `selector` (itself or an ancestor), at most `steps` times; returns the focus
 * ring of every element the focus passed, the last being the target's. Throws
 * when the target was not reached: it cannot be reached by keyboard.
 */
export async function tabTo(
  page: Page,
  selector: string,
  { steps = 20, backwards = false } = {},
): Promise<FocusRing[]> {
  const rings: FocusRing[] = [];
  const reached = `document.activeElement?.closest(${JSON.stringify(selector)}) != null`;
  for (let step = 0; step < steps; step++) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    rings.push(await focusRing(page));
    if (await page.evaluate(reached)) return rings;
  }
  throw new Error(
    `Tab did not reach ${selector}; it went ${rings.map((r) => r.element).join(' ')}`,
  );
}

/** Asserts that every ring is at least 2 px wide and stands out 3:1 from what is behind it. */
export function assertVisibleRings(rings: readonly FocusRing[]): void {
  for (const ring of rings) {
    if (!(ring.width >= 2)) throw new Error(`${ring.element}: a ${ring.width} px focus ring`);
    if (!(ring.contrast >= 3)) {
      throw new Error(`${ring.element}: focus ring contrast ${ring.contrast.toFixed(2)} (< 3)`);
    }
  }
}
