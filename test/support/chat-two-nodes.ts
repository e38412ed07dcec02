/**
 * The chat example on two nodes: one chat, wherever each user is connected.
 * `chatOnTwoNodes` runs the scenarios over a way of linking two nodes: the
 * in-memory BrokerHub (test/examples/chat-nodes.test.ts) and real Redis
 * (test/redis/chat.test.ts).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Broker } from '../../src/index.js';
import { createTestApp, type TestApp, type TestClient } from '../../src/testing/index.js';
import { chatOptions, type RoomEvent } from '../../examples/chat/app.js';

/** Two nodes' brokers, a way to wait until what they sent has arrived, and the clean-up. */
export interface NodeSet {
  broker(nodeId: string): Broker;
  settled(apps: readonly TestApp[]): Promise<void>;
  close(): Promise<void>;
}

export function chatOnTwoNodes(label: string, make: () => Promise<NodeSet>): void {
  describe(`chat example on two nodes: ${label}`, () => {
    let set: NodeSet;
    let a: TestApp;
    let b: TestApp;
    beforeEach(async () => {
      set = await make();
      a = await createTestApp(chatOptions(set.broker('a')));
      b = await createTestApp(chatOptions(set.broker('b')));
    });
    afterEach(async () => {
      await a.close();
      await b.close();
      await set.close();
    });

    /** Waits until what either node sent has reached the other. */
    const settled = (): Promise<void> => set.settled([a, b]);

    /** Connects to `node` and joins `room` as `name`; fails the test if the join is refused. */
    async function joined(node: TestApp, name: string, room = 'lobby'): Promise<TestClient> {
      const client = await node.connect();
      const reply = await client.request('join', { name, room });
      assert.equal(reply.event, 'ack', JSON.stringify(reply.data));
      await settled();
      return client;
    }

    const roomEvents = (client: TestClient, room = 'lobby'): RoomEvent[] =>
      client.dataOf<RoomEvent>(`room.${room}`);

    it('lists the members of a room on both nodes and tells each of a join on the other', async () => {
      const ada = await joined(a, 'ada');
      const bob = await b.connect();
      const reply = await bob.request('join', { name: 'bob', room: 'lobby' });
      assert.deepEqual(reply.data, { room: 'lobby', name: 'bob', members: ['ada', 'bob'] });
      await settled();
      assert.deepEqual(roomEvents(ada), [{ type: 'joined', room: 'lobby', name: 'bob' }]);
      const carl = await a.connect();
      const third = await carl.request('join', { name: 'carl', room: 'lobby' });
      assert.deepEqual(third.data.members, ['ada', 'bob', 'carl']);
    });

    it('carries what is said in a room to its members on both nodes, a reply after what it answers', async () => {
      const ada = await joined(a, 'ada');
      const bob = await joined(b, 'bob');
      const carl = await joined(b, 'carl', 'kitchen');
      ada.clear();
      bob.clear();
      // Two nodes' publishes are not ordered against each other (see the README): a reply
      // said after hearing a message is, as here, where bob answers what reached him.
      await ada.request('message', { room: 'lobby', text: 'one' });
      await settled();
      await bob.request('message', { room: 'lobby', text: 'two' });
      await settled();
      await ada.request('message', { room: 'lobby', text: 'three' });
      await settled();
      const texts = (c: TestClient) =>
        roomEvents(c).map((e) => (e.type === 'message' ? `${e.from}: ${e.text}` : e.type));
      assert.deepEqual(texts(ada), ['ada: one', 'bob: two', 'ada: three']);
      assert.deepEqual(texts(bob), ['ada: one', 'bob: two', 'ada: three']);
      assert.deepEqual(roomEvents(carl), [], 'another room hears nothing');
    });

    it('whispers to a user held by the other node, and only to them', async () => {
      const ada = await joined(a, 'ada', 'lobby');
      const bob = await joined(b, 'bob', 'kitchen');
      const carl = await joined(b, 'carl', 'kitchen');
      ada.clear();
      bob.clear();
      carl.clear();
      const reply = await ada.request('whisper', { to: 'BOB', text: 'psst' });
      assert.deepEqual(reply.data, { to: 'bob' });
      await settled();
      assert.deepEqual(bob.dataOf('whisper'), [{ from: 'ada', to: 'bob', text: 'psst' }]);
      assert.deepEqual(carl.received, []);
      assert.deepEqual(
        ada.received.map((e) => e.event),
        ['ack'],
      );
      const back = await bob.request('whisper', { to: 'ada', text: 'hi' });
      assert.equal(back.event, 'ack');
      await settled();
      assert.deepEqual(ada.dataOf('whisper'), [{ from: 'bob', to: 'ada', text: 'hi' }]);
    });

    it('refuses on one node a name held on the other, and frees it when its holder leaves', async () => {
      const ada = await joined(a, 'ada');
      const impostor = await b.connect();
      const refused = await impostor.request('join', { name: 'ADA', room: 'lobby' });
      assert.equal(refused.event, 'error');
      assert.equal(refused.data.details.reason, 'NAME_TAKEN');
      assert.deepEqual(impostor.connection!.subscriptions, []);

      ada.close();
      await a.idle();
      await settled();
      const now = await impostor.request('join', { name: 'ADA', room: 'lobby' });
      assert.deepEqual(now.data, { room: 'lobby', name: 'ADA', members: ['ADA'] });
    });

    it('gives a name raced for on both nodes at once to exactly one of them', async () => {
      const here = await a.connect();
      const there = await b.connect();
      const replies = await Promise.all([
        here.request('join', { name: 'zed', room: 'lobby' }),
        there.request('join', { name: 'Zed', room: 'lobby' }),
      ]);
      const events = replies.map((r) => r.event).sort();
      assert.deepEqual(events, ['ack', 'error']);
      const loser = replies.find((r) => r.event === 'error')!;
      assert.equal(loser.data.details.reason, 'NAME_TAKEN');
    });

    it('tells the room on the other node when someone disconnects', async () => {
      const ada = await joined(a, 'ada');
      const bob = await joined(b, 'bob');
      ada.clear();
      bob.close();
      await b.idle();
      await settled();
      assert.deepEqual(roomEvents(ada), [
        { type: 'left', room: 'lobby', name: 'bob', reason: 'disconnected' },
      ]);
      const list = await ada.request('join', { name: 'ada', room: 'lobby' });
      assert.deepEqual(list.data.members, ['ada']);
      const whisper = await ada.request('whisper', { to: 'bob', text: 'gone?' });
      assert.equal(whisper.data.details.reason, 'UNKNOWN_USER');
    });

    it('counts the members of a room on both nodes in the lobby list', async () => {
      const ada = await joined(a, 'ada', 'lobby');
      await joined(b, 'bob', 'lobby');
      await joined(b, 'carl', 'lobby');
      await joined(a, 'dave', 'kitchen');
      const reply = await ada.request('rooms', {});
      assert.deepEqual(reply.data, {
        rooms: [
          { room: 'lobby', members: 3 },
          { room: 'kitchen', members: 1 },
        ],
      });
    });

    it('forgets the members and names of a node that stops', async () => {
      await joined(a, 'ada');
      const bob = await joined(b, 'bob');
      await a.close();
      const list = await bob.request('join', { name: 'bob', room: 'lobby' });
      assert.deepEqual(list.data.members, ['bob']);
      const again = await b.connect();
      const reply = await again.request('join', { name: 'ada', room: 'kitchen' });
      assert.equal(reply.event, 'ack', 'the stopped node held the name no more');
    });
  });
}
