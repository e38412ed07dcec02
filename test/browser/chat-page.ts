/**
 * What the chat page's tests do with a page: sign in, say something, and read
 * the room's messages and members (see the ids in examples/chat/public/index.html).
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { poll, waitForDataset, type OpenPage, type PageElement } from './browser.js';

/** Fills the sign-in form and waits for the chat to show. */
export async function join(p: OpenPage, name: string, room = 'lobby'): Promise<void> {
  await p.page.fill('#name-input', name);
  await p.page.fill('#room-input', room);
  await p.page.click('#join-button');
  await p.page.locator('#chat').waitFor({ state: 'visible' });
  await p.page.locator('#login').waitFor({ state: 'hidden' });
}

/** Types into the message box and presses Enter. */
export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#message-input', text);
  await page.press('#message-input', 'Enter');
}

/** Waits for the member list of the room shown to be `expected`, in order. */
export async function waitForMembers(page: Page, expected: string[]): Promise<void> {
  await waitForDataset(page.locator('#members li'), 'name', expected);
  assert.equal(await page.textContent('#member-count'), String(expected.length));
}

/** The room's messages as `from: text`, in the order shown. */
export const messageLines = (page: Page): Promise<string[]> =>
  page
    .locator('#messages li[data-type="message"]')
    .evaluateAll((els) =>
      els.map(
        (e) => `${(e as PageElement).dataset.from}: ${e.querySelector('.text')?.textContent ?? ''}`,
      ),
    );

/** Waits until the room's messages are exactly `expected`, in order. */
export async function waitForMessages(page: Page, expected: string[]): Promise<void> {
  await poll(
    `messages ${JSON.stringify(expected)}`,
    () => messageLines(page),
    (got) => JSON.stringify(got) === JSON.stringify(expected),
  );
}

/** Fails with the uncaught errors of the pages, if any page raised one. */
export function assertNoPageErrors(...ps: OpenPage[]): void {
  for (const p of ps) assert.deepEqual(p.errors, [], 'uncaught errors in the page');
}
