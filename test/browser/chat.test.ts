/**
 * The chat example's page, driven in headless Chromium: joining, messages,
 * whispers, errors and presence, each user in its own browser context.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { start } from '../../examples/chat/server.js';
import {
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

describe('chat example in a browser', () => {
  const example = useExample((port) => start(port, '127.0.0.1'));

  const url = () => example.url();

  /** Opens the page and waits for its WebSocket. */
  async function open(): Promise<OpenPage> {
    const p = await example.pages.open(url());
    await waitForOpen(p.page);
    return p;
  }

  /** Fills the sign-in form and waits for the chat to show. */
  async function join(p: OpenPage, name: string, room = 'lobby'): Promise<void> {
    await p.page.fill('#name-input', name);
    await p.page.fill('#room-input', room);
    await p.page.click('#join-button');
    await p.page.locator('#chat').waitFor({ state: 'visible' });
    await p.page.locator('#login').waitFor({ state: 'hidden' });
  }

  /** Opens a page and joins `room` as `name`. */
  async function user(name: string, room = 'lobby'): Promise<OpenPage> {
    const p = await open();
    await join(p, name, room);
    return p;
  }

  /** Types into the message box and presses Enter. */
  async function say(page: Page, text: string): Promise<void> {
    await page.fill('#message-input', text);
    await page.press('#message-input', 'Enter');
  }

  async function waitForMembers(page: Page, expected: string[]): Promise<void> {
    await waitForDataset(page.locator('#members li'), 'name', expected);
    assert.equal(await page.textContent('#member-count'), String(expected.length));
  }

  /** The room's messages as `from: text`, in the order shown. */
  const messageLines = (page: Page) =>
    page
      .locator('#messages li[data-type="message"]')
      .evaluateAll((els) =>
        els.map(
          (e) =>
            `${(e as PageElement).dataset.from}: ${e.querySelector('.text')?.textContent ?? ''}`,
        ),
      );

  async function waitForMessages(page: Page, expected: string[]): Promise<void> {
    await poll(
      `messages ${JSON.stringify(expected)}`,
      () => messageLines(page),
      (got) => JSON.stringify(got) === JSON.stringify(expected),
    );
  }

  /** Waits for #error to show `code` (and `reason` when given; absent otherwise). */
  async function waitForError(
    page: Page,
    code: string,
    reason: string | null = null,
  ): Promise<string> {
    const box = page.locator('#error');
    await box.waitFor({ state: 'visible' });
    await waitForAttribute(box, 'data-code', code);
    await waitForAttribute(box, 'data-reason', reason);
    return (await page.textContent('#error-text')) ?? '';
  }

  function assertNoPageErrors(...ps: OpenPage[]): void {
    for (const p of ps) assert.deepEqual(p.errors, [], 'uncaught errors in the page');
  }

  it('shows a joiner the members and tells the others', async () => {
    const ada = await user('ada');
    assert.equal(await ada.page.textContent('#me'), 'ada');
    assert.equal(await ada.page.textContent('#room-title'), 'lobby');
    await waitForMembers(ada.page, ['ada']);
    await waitForTexts(ada.page.locator('#messages li[data-type="system"] .text'), [
      'You joined #lobby.',
    ]);
    await waitForAttribute(ada.page.locator('#rooms li[data-room="lobby"]'), 'data-active', 'true');

    const bob = await user('bob', 'Lobby');
    await waitForMembers(bob.page, ['ada', 'bob']);
    assert.equal(await bob.page.textContent('#members li[data-name="bob"]'), 'bob (you)');

    await waitForTexts(
      ada.page.locator('#messages li[data-type="joined"][data-from="bob"] .text'),
      ['bob joined'],
    );
    await waitForMembers(ada.page, ['ada', 'bob']);
    // bob's join ack came after any notice about himself could have: there is none.
    assert.equal(await bob.page.locator('#messages li[data-type="joined"]').count(), 0);

    // A visitor who has not joined sees the room in the lobby list.
    const visitor = await open();
    const lobby = visitor.page.locator('#lobby-rooms li[data-room="lobby"]');
    await waitForAttribute(lobby, 'data-members', '2');
    await lobby.locator('button').click();
    assert.equal(await visitor.page.inputValue('#room-input'), 'lobby');
    assertNoPageErrors(ada, bob, visitor);
  });

  it('shows a message on every page in the room, in the same order', async () => {
    const ada = await user('ada');
    const bob = await user('bob');
    await waitForMembers(ada.page, ['ada', 'bob']);

    await say(ada.page, 'hello bob');
    await waitForMessages(bob.page, ['ada: hello bob']);
    await say(bob.page, '  hi ada  ');
    await waitForMessages(ada.page, ['ada: hello bob', 'bob: hi ada']);
    await say(ada.page, 'how are you?');

    const expected = ['ada: hello bob', 'bob: hi ada', 'ada: how are you?'];
    await waitForMessages(ada.page, expected);
    await waitForMessages(bob.page, expected);

    // Own messages are marked as such on each page, and the box is emptied after sending.
    assert.deepEqual(
      await texts(ada.page.locator('#messages li[data-type="message"][data-mine="true"] .text')),
      ['hello bob', 'how are you?'],
    );
    assert.deepEqual(
      await texts(bob.page.locator('#messages li[data-type="message"][data-mine="true"] .text')),
      ['hi ada'],
    );
    assert.equal(await ada.page.inputValue('#message-input'), '');
    assert.equal(await ada.page.textContent('#char-count'), '0 / 500');
    assert.equal(await ada.page.locator('#error').isHidden(), true);
    assertNoPageErrors(ada, bob);
  });

  it('delivers a whisper to its target only', async () => {
    const ada = await user('ada');
    const bob = await user('bob');
    const cy = await user('cy');
    const dan = await user('dan', 'attic'); // in no room with ada
    await waitForMembers(ada.page, ['ada', 'bob', 'cy']);

    // Clicking a member starts a whisper to them.
    await ada.page.click('#members li[data-name="bob"]');
    assert.equal(await ada.page.inputValue('#message-input'), '/w bob ');
    await ada.page.locator('#message-input').press('End');
    await ada.page.locator('#message-input').pressSequentially('psst, only you');
    await ada.page.press('#message-input', 'Enter');

    const incoming = bob.page.locator('#messages li[data-type="whisper"]');
    await waitForCount(incoming, 1);
    assert.equal(await incoming.getAttribute('data-direction'), 'in');
    assert.equal(await incoming.getAttribute('data-from'), 'ada');
    assert.equal(await incoming.locator('.from').textContent(), 'ada whispers:');
    assert.equal(await incoming.locator('.text').textContent(), 'psst, only you');

    const outgoing = ada.page.locator('#messages li[data-type="whisper"]');
    await waitForCount(outgoing, 1);
    assert.equal(await outgoing.getAttribute('data-direction'), 'out');
    assert.equal(await outgoing.getAttribute('data-mine'), 'true');
    assert.equal(await outgoing.locator('.from').textContent(), 'you whisper to bob:');
    assert.equal(await outgoing.locator('.text').textContent(), 'psst, only you');
    assert.equal(await ada.page.inputValue('#message-input'), '');

    // A user in another room can be whispered to by name (any case).
    await say(ada.page, '/w DAN up in the attic?');
    const toDan = dan.page.locator('#messages li[data-type="whisper"]');
    await waitForCount(toDan, 1);
    assert.equal(await toDan.getAttribute('data-from'), 'ada');
    assert.equal(await toDan.locator('.text').textContent(), 'up in the attic?');
    await waitForTexts(ada.page.locator('#messages li[data-type="whisper"] .from'), [
      'you whisper to bob:',
      'you whisper to dan:',
    ]);

    // Anything ada says after the whispers reaches cy after them: once cy has it,
    // a whisper that leaked would be on cy's page already.
    await say(ada.page, 'back to the room');
    await waitForMessages(cy.page, ['ada: back to the room']);
    await waitForMessages(bob.page, ['ada: back to the room']);
    assert.equal(await cy.page.locator('#messages li[data-type="whisper"]').count(), 0);
    assert.equal(await bob.page.locator('#messages li[data-type="whisper"]').count(), 1);
    assert.equal(
      await ada.page.locator('#messages li[data-type="whisper"][data-direction="in"]').count(),
      0,
    );
    assert.doesNotMatch((await cy.page.textContent('#messages')) ?? '', /psst|attic/);
    assertNoPageErrors(ada, bob, cy, dan);
  });

  it('shows refusals in the page with their codes', async () => {
    const ada = await user('ada');
    const error = ada.page.locator('#error');
    assert.equal(await error.isHidden(), true);

    // An empty message (blanks only) is refused by the server's validation.
    await say(ada.page, '   ');
    assert.match(await waitForError(ada.page, 'VALIDATION_FAILED'), /cannot be empty/);
    assert.equal(await ada.page.inputValue('#message-input'), '   ', 'the text stays to fix');

    // A request that succeeds hides the error.
    await say(ada.page, 'fixed');
    await waitForMessages(ada.page, ['ada: fixed']);
    await error.waitFor({ state: 'hidden' });

    // Too long: the counter warns, the server refuses, nothing is said.
    await ada.page.fill('#message-input', 'x'.repeat(501));
    await waitForAttribute(ada.page.locator('#char-count'), 'class', 'over');
    assert.equal(await ada.page.textContent('#char-count'), '501 / 500');
    await ada.page.press('#message-input', 'Enter');
    assert.match(await waitForError(ada.page, 'VALIDATION_FAILED'), /at most 500/);

    // The dismiss button hides it.
    await ada.page.click('#error-dismiss');
    await error.waitFor({ state: 'hidden' });

    // A whisper to nobody, and one to yourself.
    await say(ada.page, '/w nobody hello?');
    assert.match(await waitForError(ada.page, 'HANDLER_ERROR', 'UNKNOWN_USER'), /nobody/);
    await say(ada.page, '/w Ada hello me');
    await waitForError(ada.page, 'HANDLER_ERROR', 'SELF_WHISPER');

    // A command the page does not know is caught in the page.
    await say(ada.page, '/shout hello');
    assert.match(await waitForError(ada.page, 'LOCAL'), /unknown command/);

    // Nothing refused was said.
    await say(ada.page, 'still here');
    await waitForMessages(ada.page, ['ada: fixed', 'ada: still here']);
    await error.waitFor({ state: 'hidden' });
    assert.equal(await ada.page.locator('#messages li[data-type="whisper"]').count(), 0);

    // A name in use (compared without case) is refused at sign-in; another one works.
    const bob = await open();
    await bob.page.fill('#name-input', 'ADA');
    await bob.page.click('#join-button');
    assert.match(await waitForError(bob.page, 'HANDLER_ERROR', 'NAME_TAKEN'), /taken/);
    assert.equal(await bob.page.locator('#login').isVisible(), true);
    assert.equal(await bob.page.locator('#chat').isHidden(), true);
    await join(bob, 'bob');
    await bob.page.locator('#error').waitFor({ state: 'hidden' });
    await waitForMembers(bob.page, ['ada', 'bob']);
    assertNoPageErrors(ada, bob);
  });

  it('tells the room when someone leaves or closes the page', async () => {
    const ada = await user('ada');
    const bob = await user('bob');
    const cy = await user('cy');
    await waitForMembers(ada.page, ['ada', 'bob', 'cy']);

    // bob leaves with the button.
    await bob.page.click('#leave-button');
    for (const p of [ada, cy]) {
      await waitForTexts(p.page.locator('#messages li[data-type="left"][data-from="bob"] .text'), [
        'bob left',
      ]);
      await waitForMembers(p.page, ['ada', 'cy']);
    }
    await waitForCount(bob.page.locator('#rooms li'), 0);

    // cy closes the page.
    await cy.page.close();
    await waitForTexts(ada.page.locator('#messages li[data-type="left"][data-from="cy"] .text'), [
      'cy disconnected',
    ]);
    await waitForMembers(ada.page, ['ada']);

    // The name is free again once its connection is gone.
    const again = await user('cy');
    await waitForMembers(again.page, ['ada', 'cy']);
    assertNoPageErrors(ada, bob, again);
  });
});
