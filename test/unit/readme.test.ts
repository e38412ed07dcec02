// The README's first app and its test, kept here so the README cannot drift from what works.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IsString, Length } from 'class-validator';
import {
  Carom,
  Handler,
  Injectable,
  On,
  OnDisconnect,
  Payload,
  Sender,
  TimedSender,
  Topic,
  type Connection,
  type Context,
} from '../../src/index.js';
import { createTestApp } from '../../src/testing/index.js';

class ChatMessage {
  @IsString() @Length(1, 500) text!: string;
}

@Topic('chat')
class ChatSender extends Sender<{ from: string; text: string }> {}

@Topic('clock', { everyMs: 1000 })
class Clock extends TimedSender<{ now: string }> {
  createMessageData() {
    return { now: new Date().toISOString() };
  }
}

@On('chat')
class ChatHandler extends Handler<ChatMessage> {
  constructor(private readonly chat: ChatSender) {
    super();
  }

  async handle(@Payload() msg: ChatMessage, ctx: Context) {
    await this.chat.send({ from: ctx.connection.id, text: msg.text });
    return { ok: true };
  }
}

class JoinRoom {
  @IsString() @Length(1, 40) room!: string;
}

@Injectable()
class Rooms {
  constructor(private readonly app: Carom) {}

  @On('join')
  join(msg: JoinRoom, ctx: Context) {
    ctx.connection.subscribe(`room.${msg.room}`);
    return { members: this.app.subscribers(`room.${msg.room}`).length };
  }

  @On('leave')
  leave(msg: JoinRoom, ctx: Context) {
    ctx.connection.unsubscribe(`room.${msg.room}`);
  }

  @OnDisconnect()
  gone(connection: Connection) {
    for (const room of connection.topics) this.app.publish(room, { left: connection.id });
  }
}

test('a chat message reaches subscribers and is acked', async () => {
  const t = await createTestApp({ handlers: [ChatHandler], senders: [ChatSender, Clock] });
  const alice = await t.connect({ user: { name: 'alice' } });
  const bob = await t.connect();
  await bob.subscribe('chat', 'clock');

  const reply = await alice.request('chat', { text: 'hi' });
  assert.deepEqual(reply.data, { ok: true });
  assert.deepEqual(bob.dataOf('chat'), [{ from: alice.connection!.id, text: 'hi' }]);

  const bad = await alice.request('chat', { text: '' });
  assert.equal(bad.data.code, 'VALIDATION_FAILED');

  await t.clock.advance(3000);
  assert.equal(bob.dataOf('clock').length, 3);
  await t.close();
});

test('the rooms controller: join, member count, leave notice on disconnect', async () => {
  const t = await createTestApp({ handlers: [Rooms], topics: ['room.*'] });
  const alice = await t.connect();
  const bob = await t.connect();
  assert.deepEqual((await alice.request('join', { room: 'lobby' })).data, { members: 1 });
  assert.deepEqual((await bob.request('join', { room: 'lobby' })).data, { members: 2 });
  assert.deepEqual(alice.connection!.topics, ['room.lobby']);
  bob.close();
  await t.idle();
  assert.deepEqual(alice.dataOf('room.lobby'), [{ left: bob.connection!.id }]);
  await alice.request('leave', { room: 'lobby' });
  assert.deepEqual(t.app.subscribers('room.lobby'), []);
  await t.close();
});
