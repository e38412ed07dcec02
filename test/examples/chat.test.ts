import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createTestApp, type TestApp, type TestClient } from '../../src/testing/index.js';
import {
  ChatRooms,
  MAX_FRAME_BYTES,
  MAX_TEXT,
  ONCE_WINDOW_MS,
  ROOM_HISTORY,
  chatOptions,
  type RoomEvent,
} from '../../examples/chat/app.js';
import { publicDir } from '../../examples/serve.js';

describe('chat example', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp(chatOptions());
  });
  afterEach(() => t.close());

  /** Connects a client and joins `room` as `name`; fails the test if the join is refused. */
  async function joined(name: string, room = 'lobby'): Promise<TestClient> {
    const client = await t.connect();
    const reply = await client.request('join', { name, room });
    assert.equal(reply.event, 'ack', JSON.stringify(reply.data));
    return client;
  }

  const roomEvents = (client: TestClient, room = 'lobby'): RoomEvent[] =>
    client.dataOf<RoomEvent>(`room.${room}`);

  /** The connection's subscriptions, sorted: its rooms and the topic of its name. */
  const subscriptionsOf = (client: TestClient): string[] =>
    [...client.connection!.subscriptions].sort();

  describe('joining', () => {
    it('gives the joiner the member list and the others a notice', async () => {
      const ada = await t.connect();
      const first = await ada.request('join', { name: 'ada', room: 'lobby' });
      assert.deepEqual(first.data, { room: 'lobby', name: 'ada', members: ['ada'] });

      const bob = await t.connect();
      const second = await bob.request('join', { name: 'bob', room: 'lobby' });
      assert.deepEqual(second.data, { room: 'lobby', name: 'bob', members: ['ada', 'bob'] });

      assert.deepEqual(roomEvents(ada), [{ type: 'joined', room: 'lobby', name: 'bob' }]);
      assert.deepEqual(roomEvents(bob), [], 'the joiner gets the list, not a notice about itself');
    });

    it('sorts members without regard to case and keeps the case they chose', async () => {
      await joined('zoe');
      await joined('Ada');
      const carl = await t.connect();
      const reply = await carl.request('join', { name: 'carl', room: 'lobby' });
      assert.deepEqual(reply.data.members, ['Ada', 'carl', 'zoe']);
    });

    it('does not tell other rooms about a join', async () => {
      const ada = await joined('ada', 'kitchen');
      await joined('bob', 'lobby');
      assert.deepEqual(roomEvents(ada, 'kitchen'), []);
      assert.deepEqual(ada.dataOf('room.lobby'), []);
    });

    it('treats room names without regard to case and surrounding blanks', async () => {
      const ada = await joined('ada', 'Lobby');
      const bob = await t.connect();
      const reply = await bob.request('join', { name: 'bob', room: '  LOBBY ' });
      assert.deepEqual(reply.data, { room: 'lobby', name: 'bob', members: ['ada', 'bob'] });
      assert.deepEqual(roomEvents(ada), [{ type: 'joined', room: 'lobby', name: 'bob' }]);
    });

    it('lets one connection be in several rooms under one name', async () => {
      const ada = await joined('ada', 'lobby');
      const reply = await ada.request('join', { name: 'ada', room: 'kitchen' });
      assert.deepEqual(reply.data, { room: 'kitchen', name: 'ada', members: ['ada'] });
      assert.deepEqual(subscriptionsOf(ada), ['name.ada', 'room.kitchen', 'room.lobby']);
    });

    it('answers a second join of the same room with the list and no new notice', async () => {
      const ada = await joined('ada');
      const bob = await joined('bob');
      ada.clear();
      const again = await bob.request('join', { name: 'bob', room: 'lobby' });
      assert.deepEqual(again.data.members, ['ada', 'bob']);
      assert.deepEqual(roomEvents(ada), []);
    });

    it('lists the rooms that have members, busiest first', async () => {
      const lobbyist = await joined('ada', 'lobby');
      await joined('bob', 'lobby');
      await joined('carl', 'kitchen');
      const reply = await lobbyist.request('rooms', {});
      assert.deepEqual(reply.data, {
        rooms: [
          { room: 'lobby', members: 2 },
          { room: 'kitchen', members: 1 },
        ],
      });
    });
  });

  describe("a room's history", () => {
    /** A client of carom's own (positions are carom's), joined to `room` as `name` with `extra`. */
    async function joinedWith(name: string, extra: object, room = 'lobby') {
      const client = await t.connect({ protocol: 'carom' });
      const reply = await client.request('join', { name, room, ...extra });
      assert.equal(reply.event, 'ack', JSON.stringify(reply.data));
      return { client, ack: reply.data as { recovery?: Record<string, unknown> } };
    }

    /** The room's messages `client` received, as `from: text`, and whether each came before the ack. */
    const said = (client: TestClient, room = 'lobby') =>
      client.received
        .filter((e) => e.event === `room.${room}` && (e.data as RoomEvent).type === 'message')
        .map((e) => {
          const m = e.data as Extract<RoomEvent, { type: 'message' }>;
          return `${m.from}: ${m.text}`;
        });

    it('replays the last `recent` events to a joiner that asks, before the ack', async () => {
      const ada = await joined('ada');
      for (const text of ['one', 'two', 'three']) {
        await ada.request('message', { room: 'lobby', text });
      }
      const { client: bob, ack } = await joinedWith('bob', { recent: 2 });
      assert.deepEqual(said(bob), ['ada: two', 'ada: three']);
      const events = bob.received.map((e) => e.event);
      assert.ok(events.lastIndexOf('room.lobby') < events.indexOf('ack'), 'replayed first');
      assert.equal(ack.recovery?.recovered, true);
      assert.equal(ack.recovery?.replayed, 2);
      assert.equal(ack.recovery?.offset, 4); // ada's join, then her three messages
    });

    it('replays what followed `since` to a page that comes back, or says it cannot', async () => {
      const ada = await joined('ada');
      const { client: bob, ack } = await joinedWith('bob', {});
      const epoch = ack.recovery?.epoch as string;
      await ada.request('message', { room: 'lobby', text: 'seen' });
      const seen = bob.received.at(-1) as { position?: { offset: number } };
      bob.close();
      await t.idle();
      await ada.request('message', { room: 'lobby', text: 'missed' });

      const since = { epoch, offset: seen.position!.offset };
      const back = await joinedWith('bob', { since, recent: 10 });
      assert.deepEqual(said(back.client), ['ada: missed']);
      assert.equal(back.ack.recovery?.recovered, true);
      // bob left (a notice) and ada said one thing: two events replayed.
      assert.equal(back.ack.recovery?.replayed, 2);

      // A position from before a restart: told, and the room's last events instead.
      const restarted = await joinedWith('cy', { since: { epoch: 'gone', offset: 3 }, recent: 1 });
      assert.equal(restarted.ack.recovery?.recovered, false);
      assert.equal(restarted.ack.recovery?.reason, 'EPOCH');
      assert.equal(restarted.ack.recovery?.epoch, epoch);
    });

    it('leaves the joiner out of its own notice, even in the replay', async () => {
      await joined('ada');
      const { client: bob } = await joinedWith('bob', { recent: 10 });
      const notices = bob
        .dataOf<RoomEvent>('room.lobby')
        .map((e) => `${e.type} ${'name' in e ? e.name : ''}`);
      assert.deepEqual(notices, ['joined ada']);
    });
  });

  describe('messages', () => {
    it('go to every member of the room, the sender included, and nowhere else', async () => {
      const ada = await joined('ada');
      const bob = await joined('bob');
      const carl = await joined('carl', 'kitchen');
      const outsider = await t.connect();
      ada.clear();
      bob.clear();
      carl.clear();

      const reply = await ada.request('message', { room: 'lobby', text: '  hello  ' });
      assert.deepEqual(reply.data, { ok: true });
      const said = { type: 'message', room: 'lobby', from: 'ada', text: 'hello' };
      assert.deepEqual(roomEvents(ada), [said]);
      assert.deepEqual(roomEvents(bob), [said]);
      assert.deepEqual(carl.received, []);
      assert.deepEqual(outsider.received, []);
    });

    it('keep their order for every member', async () => {
      const ada = await joined('ada');
      const bob = await joined('bob');
      bob.clear();
      await ada.request('message', { room: 'lobby', text: 'one' });
      await bob.request('message', { room: 'lobby', text: 'two' });
      await ada.request('message', { room: 'lobby', text: 'three' });
      const texts = (c: TestClient) =>
        roomEvents(c)
          .filter((e) => e.type === 'message')
          .map((e) => (e as { text: string }).text);
      assert.deepEqual(texts(ada), ['one', 'two', 'three']);
      assert.deepEqual(texts(bob), ['one', 'two', 'three']);
    });

    it('accept exactly the longest text allowed', async () => {
      const ada = await joined('ada');
      const reply = await ada.request('message', { room: 'lobby', text: 'x'.repeat(MAX_TEXT) });
      assert.equal(reply.event, 'ack');
    });
  });

  describe('leaving', () => {
    it('tells the room, and the leaver hears nothing more from it', async () => {
      const ada = await joined('ada');
      const bob = await joined('bob');
      ada.clear();
      bob.clear();

      const reply = await bob.request('leave', { room: 'lobby' });
      assert.deepEqual(reply.data, { room: 'lobby' });
      assert.deepEqual(roomEvents(ada), [
        { type: 'left', room: 'lobby', name: 'bob', reason: 'left' },
      ]);
      assert.deepEqual(
        bob.received.filter((e) => e.event !== 'ack'),
        [],
      );

      await ada.request('message', { room: 'lobby', text: 'still here?' });
      assert.deepEqual(roomEvents(bob), []);
      const list = await ada.request('join', { name: 'ada', room: 'lobby' });
      assert.deepEqual(list.data.members, ['ada']);
    });

    it('keeps the name: the leaver can whisper and join again', async () => {
      const ada = await joined('ada');
      const bob = await joined('bob');
      await bob.request('leave', { room: 'lobby' });
      const whisper = await bob.request('whisper', { to: 'ada', text: 'psst' });
      assert.equal(whisper.event, 'ack');
      const back = await bob.request('join', { name: 'bob', room: 'lobby' });
      assert.deepEqual(back.data.members, ['ada', 'bob']);
      assert.deepEqual(roomEvents(ada).at(-1), { type: 'joined', room: 'lobby', name: 'bob' });
    });

    it('on disconnect, tells every room the connection was in', async () => {
      const ada = await joined('ada', 'lobby');
      await ada.request('join', { name: 'ada', room: 'kitchen' });
      const bob = await joined('bob', 'lobby');
      const carl = await joined('carl', 'kitchen');
      const dave = await joined('dave', 'garden');
      bob.clear();
      carl.clear();

      ada.close();
      await t.idle();

      assert.deepEqual(roomEvents(bob, 'lobby'), [
        { type: 'left', room: 'lobby', name: 'ada', reason: 'disconnected' },
      ]);
      assert.deepEqual(roomEvents(carl, 'kitchen'), [
        { type: 'left', room: 'kitchen', name: 'ada', reason: 'disconnected' },
      ]);
      assert.deepEqual(dave.dataOf('room.garden'), []);
      const list = await bob.request('join', { name: 'bob', room: 'lobby' });
      assert.deepEqual(list.data.members, ['bob']);
    });

    it('on disconnect, frees the name for someone else', async () => {
      const ada = await joined('ada');
      ada.close();
      await t.idle();
      const again = await t.connect();
      const reply = await again.request('join', { name: 'ADA', room: 'lobby' });
      assert.deepEqual(reply.data, { room: 'lobby', name: 'ADA', members: ['ADA'] });
    });

    it('a connection that never joined leaves without a notice', async () => {
      const ada = await joined('ada');
      ada.clear();
      const lurker = await t.connect();
      lurker.close();
      await t.idle();
      assert.deepEqual(ada.received, []);
    });
  });

  describe('whispers', () => {
    it('reach the target only, even in another room, and ack the sender', async () => {
      const ada = await joined('ada', 'lobby');
      const bob = await joined('bob', 'kitchen');
      const carl = await joined('carl', 'lobby');
      ada.clear();
      bob.clear();
      carl.clear();

      const reply = await ada.request('whisper', { to: 'BOB', text: ' meet me in the garden ' });
      assert.equal(reply.event, 'ack');
      assert.deepEqual(reply.data, { to: 'bob' });
      assert.deepEqual(
        bob.received.map((e) => e.event),
        ['whisper'],
      );
      assert.deepEqual(bob.dataOf('whisper'), [
        { from: 'ada', to: 'bob', text: 'meet me in the garden' },
      ]);
      assert.deepEqual(
        ada.received.map((e) => e.event),
        ['ack'],
        'the sender gets the ack, not a copy',
      );
      assert.deepEqual(carl.received, []);
    });

    it('cannot be subscribed to by anyone else', async () => {
      await joined('ada');
      const snoop = await t.connect();
      for (const topic of ['whisper', '*', 'room.*', 'room.lobby']) {
        const reply = await snoop.subscribe(topic);
        assert.equal(reply.event, 'error', topic);
        assert.ok(['UNKNOWN_EVENT', 'FORBIDDEN'].includes(reply.data.code), topic);
      }
      assert.deepEqual(snoop.connection!.subscriptions, []);
    });
  });

  describe('refusals', () => {
    function assertRefused(
      reply: { event: string; data: any },
      event: string,
      reason: string,
      message: RegExp,
    ): void {
      assert.equal(reply.event, 'error');
      assert.equal(reply.data.code, 'HANDLER_ERROR');
      assert.equal(reply.data.event, event);
      assert.equal(reply.data.details.reason, reason);
      assert.match(reply.data.message, message);
    }

    function assertInvalid(
      reply: { event: string; data: any },
      property: string,
      message: RegExp,
    ): void {
      assert.equal(reply.event, 'error');
      assert.equal(reply.data.code, 'VALIDATION_FAILED');
      const failure = reply.data.details.find((d: { property: string }) => d.property === property);
      assert.ok(failure, `a failure for ${property} in ${JSON.stringify(reply.data.details)}`);
      assert.ok(
        Object.values(failure.constraints as Record<string, string>).some((m) => message.test(m)),
        JSON.stringify(failure.constraints),
      );
    }

    it('an empty or blank message', async () => {
      const ada = await joined('ada');
      ada.clear();
      assertInvalid(
        await ada.request('message', { room: 'lobby', text: '' }),
        'text',
        /cannot be empty/,
      );
      assertInvalid(
        await ada.request('message', { room: 'lobby', text: '   \n ' }),
        'text',
        /cannot be empty/,
      );
      assertInvalid(await ada.request('message', { room: 'lobby' }), 'text', /./);
      assert.deepEqual(roomEvents(ada), [], 'nothing was published');
    });

    it('a message that is too long', async () => {
      const ada = await joined('ada');
      ada.clear();
      const reply = await ada.request('message', { room: 'lobby', text: 'x'.repeat(MAX_TEXT + 1) });
      assertInvalid(reply, 'text', /at most 500 characters/);
      assert.deepEqual(roomEvents(ada), []);
    });

    it('a message that is not text', async () => {
      const ada = await joined('ada');
      assertInvalid(await ada.request('message', { room: 'lobby', text: 42 }), 'text', /text/);
    });

    it('an empty or too long whisper', async () => {
      const ada = await joined('ada');
      const bob = await joined('bob');
      assertInvalid(await ada.request('whisper', { to: 'bob', text: ' ' }), 'text', /empty/);
      assertInvalid(
        await ada.request('whisper', { to: 'bob', text: 'y'.repeat(MAX_TEXT + 1) }),
        'text',
        /at most/,
      );
      assert.deepEqual(bob.dataOf('whisper'), []);
    });

    it('a whisper to nobody by that name', async () => {
      const ada = await joined('ada');
      assertRefused(
        await ada.request('whisper', { to: 'ghost', text: 'boo' }),
        'whisper',
        'UNKNOWN_USER',
        /ghost/,
      );
    });

    it('a whisper to someone who has gone', async () => {
      const ada = await joined('ada');
      const bob = await joined('bob');
      bob.close();
      await t.idle();
      assertRefused(
        await ada.request('whisper', { to: 'bob', text: 'still there?' }),
        'whisper',
        'UNKNOWN_USER',
        /bob/,
      );
    });

    it('a whisper to yourself', async () => {
      const ada = await joined('ada');
      assertRefused(
        await ada.request('whisper', { to: 'Ada', text: 'hi me' }),
        'whisper',
        'SELF_WHISPER',
        /yourself/,
      );
    });

    it('a whisper before picking a name', async () => {
      await joined('ada');
      const stranger = await t.connect();
      assertRefused(
        await stranger.request('whisper', { to: 'ada', text: 'hi' }),
        'whisper',
        'NOT_JOINED',
        /join a room/,
      );
    });

    it('a name someone else has, whatever its case', async () => {
      const ada = await joined('ada');
      const impostor = await t.connect();
      for (const name of ['ada', 'ADA', ' Ada ']) {
        assertRefused(
          await impostor.request('join', { name, room: 'kitchen' }),
          'join',
          'NAME_TAKEN',
          /taken/,
        );
      }
      assert.deepEqual(
        impostor.connection!.subscriptions,
        [],
        'the refused join subscribed nothing',
      );
      assert.deepEqual(roomEvents(ada), []);
      const ok = await impostor.request('join', { name: 'bob', room: 'kitchen' });
      assert.equal(ok.event, 'ack', 'a refused name can be replaced by another');
    });

    it('another name on a connection that already has one', async () => {
      const ada = await joined('ada');
      assertRefused(
        await ada.request('join', { name: 'bob', room: 'kitchen' }),
        'join',
        'NAME_MISMATCH',
        /you are "ada"/,
      );
      assert.deepEqual(subscriptionsOf(ada), ['name.ada', 'room.lobby']);
    });

    it('a message, a leave or a join notice for a room you are not in', async () => {
      const ada = await joined('ada', 'lobby');
      const bob = await joined('bob', 'kitchen');
      const stranger = await t.connect();
      bob.clear();
      assertRefused(
        await ada.request('message', { room: 'kitchen', text: 'hi' }),
        'message',
        'NOT_JOINED',
        /not in room "kitchen"/,
      );
      assertRefused(
        await ada.request('leave', { room: 'kitchen' }),
        'leave',
        'NOT_JOINED',
        /kitchen/,
      );
      assertRefused(
        await stranger.request('message', { room: 'lobby', text: 'hi' }),
        'message',
        'NOT_JOINED',
        /lobby/,
      );
      assert.deepEqual(roomEvents(bob, 'kitchen'), []);
    });

    it('bad names and rooms', async () => {
      const client = await t.connect();
      assertInvalid(await client.request('join', { name: '', room: 'lobby' }), 'name', /a name/);
      assertInvalid(
        await client.request('join', { name: 'a'.repeat(25), room: 'lobby' }),
        'name',
        /a name/,
      );
      assertInvalid(
        await client.request('join', { name: 'two words', room: 'lobby' }),
        'name',
        /a name/,
      );
      assertInvalid(
        await client.request('join', { name: 'ada', room: 'room.*' }),
        'room',
        /room name/,
      );
      assertInvalid(await client.request('join', { name: 'ada', room: '-x' }), 'room', /room/);
      assertInvalid(await client.request('join', { name: 'ada' }), 'room', /room/);
      assert.equal(ChatRooms.nameOf(client.connection!), undefined, 'no name was claimed');
      const ok = await client.request('join', { name: 'Łukasz_2', room: 'a-1' });
      assert.deepEqual(ok.data, { room: 'a-1', name: 'Łukasz_2', members: ['Łukasz_2'] });
    });

    it('a bad history position or count on join', async () => {
      const client = await t.connect({ protocol: 'carom' });
      const join = (extra: object) =>
        client.request('join', { name: 'ada', room: 'lobby', ...extra });
      for (const since of [
        'x',
        [],
        { epoch: '', offset: 1 },
        { epoch: 'e'.repeat(65), offset: 1 },
        { epoch: 1, offset: 1 },
        { epoch: 'e', offset: -1 },
        { epoch: 'e', offset: 1.5 },
        { epoch: 'e', offset: '1' },
        { epoch: 'e', offset: 2 ** 60 },
        { epoch: 'e' },
      ]) {
        const reply = await join({ since });
        assert.equal(reply.data.code, 'VALIDATION_FAILED', JSON.stringify(since));
        const properties = (reply.data.details as Array<{ property: string }>).map(
          (d) => d.property,
        );
        assert.ok(
          properties.every((p) => p === 'since' || p.startsWith('since.')),
          JSON.stringify(properties),
        );
      }
      for (const recent of [-1, ROOM_HISTORY.size + 1, 1.5, '3', true]) {
        assertInvalid(await join({ recent }), 'recent', /./);
      }
      assert.equal(ChatRooms.nameOf(client.connection!), undefined, 'no name was claimed');
      assert.deepEqual(subscriptionsOf(client), []);
      // null is no position: a first join.
      const ok = await join({ since: null, recent: null });
      assert.equal(ok.event, 'ack', JSON.stringify(ok.data));
    });

    it('leave nothing subscribed or claimed behind after every refusal', async () => {
      const ada = await joined('ada');
      await ada.request('message', { room: 'lobby', text: '' });
      await ada.request('whisper', { to: 'nobody', text: 'x' });
      await ada.request('join', { name: 'someone-else', room: 'x' });
      assert.deepEqual(subscriptionsOf(ada), ['name.ada', 'room.lobby']);
      const fresh = await t.connect();
      const reply = await fresh.request('join', { name: 'someone-else', room: 'x' });
      assert.equal(reply.event, 'ack');
    });
  });

  describe('limits the page knows', () => {
    /** A `const NAME = a * b ...;` of the page's script, multiplied out. */
    const pageConstant = (html: string, name: string): number => {
      const match = new RegExp(`const ${name} = ([\\d_ *]+);`).exec(html);
      assert.ok(match, `the page defines ${name}`);
      return match[1]!
        .split('*')
        .map((part) => Number(part.trim().replaceAll('_', '')))
        .reduce((a, b) => a * b, 1);
    };

    it("are the server's: the text length and the frame size", async () => {
      const html = await readFile(new URL('index.html', publicDir('chat')), 'utf8');
      assert.equal(pageConstant(html, 'MAX_TEXT'), MAX_TEXT);
      assert.equal(pageConstant(html, 'MAX_FRAME_BYTES'), MAX_FRAME_BYTES);
      // A message waits for a connection no longer than the server remembers its key.
      assert.equal(pageConstant(html, 'SEND_TIMEOUT_MS'), ONCE_WINDOW_MS);
      assert.ok(pageConstant(html, 'RECENT') <= ROOM_HISTORY.size);
      assert.equal(chatOptions().maxPayload, MAX_FRAME_BYTES);
      // Room for the longest message in the widest JSON escape (\u00XX, 6 bytes a character).
      assert.ok(MAX_TEXT * 6 + 512 < MAX_FRAME_BYTES);
    });
  });
});
