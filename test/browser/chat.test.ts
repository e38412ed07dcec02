/**
 * The chat example's page, driven in headless Chromium: joining, messages,
 * whispers, errors and presence, each user in its own browser context.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { MAX_FRAME_BYTES } from '../../examples/chat/app.js';
import { start } from '../../examples/chat/server.js';
import {
  assertVisibleRings,
  focusRing,
  tabTo,
  overflowing,
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
import { assertNoPageErrors, join, say, waitForMembers, waitForMessages } from './chat-page.js';

describe('chat example in a browser', () => {
  const example = useExample((port) => start(port, '127.0.0.1'));

  const url = () => example.url();

  type Viewport = { width: number; height: number };

  /** Opens the page and waits for its WebSocket. */
  async function open(viewport?: Viewport): Promise<OpenPage> {
    const p = await example.pages.open(url(), viewport);
    await waitForOpen(p.page);
    return p;
  }

  /** Opens a page and joins `room` as `name`. */
  async function user(name: string, room = 'lobby', viewport?: Viewport): Promise<OpenPage> {
    const p = await open(viewport);
    await join(p, name, room);
    return p;
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

  /** The texts of the room's system notes (`You joined`, `Reconnected.`), in order. */
  const systemNotes = (page: Page) => texts(page.locator('#messages li[data-type="system"] .text'));

  it('shows one banner while reconnecting, then one line, and rejoins', async () => {
    const ada = await user('ada');
    await ada.page.fill('#join-input', 'attic');
    await ada.page.press('#join-input', 'Enter');
    await waitForAttribute(ada.page.locator('#rooms li[data-room="attic"]'), 'data-active', 'true');
    const banner = ada.page.locator('#connection-banner');
    assert.equal(await banner.isHidden(), true);

    await example.stop();
    // Several attempts, each a `reconnecting` from the client: still one banner, no lines.
    await poll(
      'three reconnect attempts on the banner',
      async () => Number(await banner.getAttribute('data-attempts', { timeout: 1000 })),
      (n) => n >= 3,
    );
    assert.equal(await banner.isVisible(), true);
    assert.match((await banner.textContent()) ?? '', /^Connection lost at .*; reconnecting/);
    assert.equal(await ada.page.locator('#connection-banner').count(), 1);
    assert.deepEqual(await systemNotes(ada.page), ['You joined #attic.']);
    await ada.page.click('#room-tab-lobby');
    assert.deepEqual(await systemNotes(ada.page), ['You joined #lobby.']);

    await example.resume();
    await waitForOpen(ada.page);
    await banner.waitFor({ state: 'hidden' });
    // One line for the whole outage, in every room; the rooms are joined again.
    await waitForTexts(ada.page.locator('#messages li[data-type="system"] .text'), [
      'You joined #lobby.',
      'Reconnected.',
    ]);
    await waitForMembers(ada.page, ['ada']);
    // A restart lost what the server kept of the rooms: the page says so, in each room.
    await waitForDataset(ada.page.locator('#messages li[data-type="gap"]'), 'reason', ['EPOCH']);
    const bob = await user('bob', 'attic');
    await waitForMembers(bob.page, ['ada', 'bob']);
    await ada.page.click('#room-tab-attic');
    assert.deepEqual(await systemNotes(ada.page), ['You joined #attic.', 'Reconnected.']);
    await waitForDataset(ada.page.locator('#messages li[data-type="gap"]'), 'reason', ['EPOCH']);
    await say(bob.page, 'welcome back');
    await waitForMessages(ada.page, ['bob: welcome back']);
    assertNoPageErrors(ada, bob);
  });

  it('keeps on every line the time it happened', async () => {
    const bob = await user('bob');
    const ada = await open();
    // The page's clock stands still at t0 while ada joins two rooms and whispers.
    const t0 = Date.now();
    await ada.page.clock.setFixedTime(t0);
    await join(ada, 'ada');
    await ada.page.fill('#join-input', 'attic');
    await ada.page.press('#join-input', 'Enter');
    await waitForAttribute(ada.page.locator('#rooms li[data-room="attic"]'), 'data-active', 'true');
    await say(ada.page, '/w bob psst');
    await waitForCount(ada.page.locator('#messages li[data-type="whisper"]'), 1);

    // Two hours later by the page's clock, a redraw (switching rooms) keeps every time.
    await ada.page.clock.setFixedTime(t0 + 2 * 3600_000);
    await ada.page.click('#room-tab-lobby');
    await waitForAttribute(ada.page.locator('#rooms li[data-room="lobby"]'), 'data-active', 'true');
    const lines = await ada.page
      .locator('#messages li')
      .evaluateAll((els) =>
        els.map((e) => [
          (e as PageElement).dataset.type,
          (e as PageElement).dataset.at,
          e.querySelector('.time')?.textContent ?? '',
        ]),
      );
    assert.deepEqual(
      lines.map(([type]) => type),
      ['system', 'whisper'],
    );
    const shown = (at: number) =>
      ada.page.evaluate(
        `new Date(${at}).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })`,
      ) as Promise<string>;
    const then = await shown(t0);
    assert.notEqual(then, await shown(t0 + 2 * 3600_000));
    for (const [type, at, time] of lines) {
      assert.equal(time, then, `${type} shows when it happened`);
      assert.equal(Date.parse(at!), t0, `${type} keeps when it happened`);
    }
    // What came from the server keeps the server's time.
    const incoming = bob.page.locator('#messages li[data-type="whisper"]');
    await waitForCount(incoming, 1);
    const at = Date.parse((await incoming.getAttribute('data-at')) ?? '');
    assert.ok(Math.abs(at - Date.now()) < 60_000, 'the server stamped it now');
    assertNoPageErrors(ada, bob);
  });

  it("refuses in the page what is over the server's frame limit, and stays connected", async () => {
    const ada = await user('ada');
    const bob = await user('bob');
    // Twice the limit in ASCII, then in two-byte characters half as many: bytes count, not characters.
    for (const text of [
      'x'.repeat(2 * MAX_FRAME_BYTES),
      'é'.repeat(MAX_FRAME_BYTES / 2),
      `/w bob ${'y'.repeat(MAX_FRAME_BYTES)}`,
    ]) {
      await ada.page.fill('#message-input', text);
      await ada.page.press('#message-input', 'Enter');
      const message = await waitForError(ada.page, 'LOCAL', 'TOO_LARGE');
      assert.match(message, /^That is too long to send: \d+ KiB, .* at most 16 KiB at once/);
      assert.equal(await ada.page.inputValue('#message-input'), text, 'the text stays to fix');
      assert.equal(await ada.page.getAttribute('#state', 'data-state'), 'open');
      await ada.page.click('#error-dismiss');
    }
    // Just inside the page's estimate the server gets the frame and refuses the text itself:
    // its own validation, not a closed connection.
    const room = JSON.stringify({ event: 'message', data: { room: 'lobby', text: '' } }).length;
    await ada.page.fill('#message-input', 'z'.repeat(MAX_FRAME_BYTES - 128 - room));
    await ada.page.press('#message-input', 'Enter');
    assert.match(await waitForError(ada.page, 'VALIDATION_FAILED'), /at most 500/);

    await say(ada.page, 'still connected');
    await waitForMessages(bob.page, ['ada: still connected']);
    assert.equal(await ada.page.getAttribute('#state', 'data-state'), 'open');
    assert.equal(await ada.page.locator('#connection-banner').isHidden(), true);
    assertNoPageErrors(ada, bob);
  });

  it('fits a 390 px phone, signed in or not, with long names and words', async () => {
    const visitor = await open(PHONE);
    assert.deepEqual(await overflowing(visitor.page), [], 'the sign-in page');
    const long = 'Abcdefghijklmnopqrstuvwx'; // 24 characters, the longest name
    const room = 'a-room-with-the-longest-name-32c';
    const ada = await user(long, room, PHONE);
    const bob = await user('Zyxwvutsrqponmlkjihgfedc', room, PHONE);
    await waitForMembers(ada.page, [long, 'Zyxwvutsrqponmlkjihgfedc']);
    await say(bob.page, `a${'-very-long-word'.repeat(30)}`);
    await say(ada.page, `/w Zyxwvutsrqponmlkjihgfedc ${'w'.repeat(400)}`);
    await waitForCount(bob.page.locator('#messages li[data-type="whisper"]'), 1);
    await waitForCount(ada.page.locator('#messages li[data-type="message"]'), 1);
    await say(ada.page, '/nope'); // the error box too
    await waitForError(ada.page, 'LOCAL');
    for (const p of [ada, bob]) assert.deepEqual(await overflowing(p.page), []);
    // Nothing else hides the message box or the member list off to the side.
    for (const id of ['#message-input', '#send-button', '#members']) {
      await ada.page.locator(id).scrollIntoViewIfNeeded();
      assert.equal(await ada.page.locator(id).isVisible(), true, id);
    }
    assertNoPageErrors(visitor, ada, bob);
  });

  it('reaches the member list by keyboard, with visible focus rings and a live badge', async () => {
    const ada = await user('ada');
    await user('bob');
    await waitForMembers(ada.page, ['ada', 'bob']);
    assert.equal(await ada.page.getAttribute('#state', 'role'), 'status');

    // From the message box, Tab walks forward until it lands on bob (bounded: 12 steps).
    await ada.page.focus('#message-input');
    const rings = [
      await focusRing(ada.page),
      ...(await tabTo(ada.page, '#members li[data-name="bob"]', { steps: 12 })),
    ];
    assertVisibleRings(rings);
    await ada.page.keyboard.press('Enter');
    assert.equal(await ada.page.inputValue('#message-input'), '/w bob ');
    assert.equal(await ada.page.evaluate('document.activeElement.id'), 'message-input');
    await ada.page.keyboard.type('by keyboard');
    await ada.page.keyboard.press('Enter');
    await waitForTexts(ada.page.locator('#messages li[data-type="whisper"] .text'), [
      'by keyboard',
    ]);

    // Backwards from the message box to the room tabs, every ring on the way visible.
    await ada.page.focus('#message-input');
    assertVisibleRings(await tabTo(ada.page, '#rooms', { steps: 8, backwards: true }));
    assertNoPageErrors(ada);
  });

  it("keeps the sign-in page's room list current", async () => {
    const visitor = await open();
    const lobby = visitor.page.locator('#lobby-rooms li');
    assert.equal(await visitor.page.locator('#lobby-hint').isHidden(), true);

    const ada = await user('ada', 'attic');
    await waitForDataset(lobby, 'room', ['attic']);
    const bob = await user('bob', 'attic');
    await waitForAttribute(
      visitor.page.locator('#lobby-rooms li[data-room="attic"]'),
      'data-members',
      '2',
    );
    await bob.page.click('#leave-button');
    await ada.close();
    await waitForCount(lobby, 0);
    await visitor.page.locator('#lobby-hint').waitFor({ state: 'hidden' });
    assertNoPageErrors(visitor, bob);
  });
});
