/**
 * Every example's AsyncAPI document parses with the official parser and says
 * what the example does: the events it handles (each answered by a handler,
 * not UNKNOWN_EVENT), the events it publishes (each one clients may
 * subscribe to), and the DTOs of its handlers. The ping and chat servers
 * serve theirs at /asyncapi.json.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, type CaromOptions } from '../../src/index.js';
import { channelsOptions } from '../../examples/channels/app.js';
import { chatOptions } from '../../examples/chat/app.js';
import { PingHandler, PingSender, TimedPingSender } from '../../examples/ping/app.js';
import { tickerOptions } from '../../examples/ticker/app.js';
import { start as startChat } from '../../examples/chat/server.js';
import { start as startPing } from '../../examples/ping/server.js';
import {
  assertValidAsyncApi,
  channelOf,
  operationOf,
  operations,
  schemaValidator,
} from '../support/asyncapi.js';
import { testApps } from '../support/test-apps.js';

const RESERVED_RECEIVED = ['carom.ping', 'subscribe', 'unsubscribe'];
const RESERVED_SENT = ['carom.channel.created', 'carom.channel.deleted', 'carom.welcome', 'error'];

interface Example {
  readonly options: CaromOptions;
  /** The events its handlers take, as its source declares them. */
  readonly handles: readonly string[];
  /** What it publishes: senders' topics and the `topics` option's names and families. */
  readonly publishes: readonly string[];
  /** Events whose DTO the document must hold, with a property it must require. */
  readonly dtos: Readonly<Record<string, string>>;
  /** Extra reserved events it sends (presence notices). */
  readonly alsoSends?: readonly string[];
}

const EXAMPLES: Record<string, Example> = {
  ping: {
    options: { handlers: [PingHandler], senders: [PingSender, TimedPingSender] },
    handles: ['ping'],
    publishes: ['ping', 'ping_timed'],
    dtos: {},
  },
  chat: {
    options: chatOptions(),
    handles: ['join', 'leave', 'message', 'rooms', 'whisper'],
    publishes: ['name.*', 'room.*'],
    dtos: { join: 'name', leave: 'room', message: 'text', whisper: 'to' },
  },
  channels: {
    options: channelsOptions(),
    handles: ['channels.list'],
    publishes: [],
    dtos: {},
  },
  ticker: {
    options: tickerOptions(),
    handles: ['burn'],
    publishes: ['stats'],
    dtos: { burn: 'ms' },
  },
};

const make = testApps();

describe('the examples’ AsyncAPI documents', () => {
  for (const [name, example] of Object.entries(EXAMPLES)) {
    it(`${name}: parses, and lists what the app handles and publishes`, async () => {
      const t = await make(example.options);
      const doc = await t.app.asyncapi({ title: name });
      await assertValidAsyncApi(doc);
      const ops = operations(doc);
      assert.deepEqual([...ops.receive].sort(), [...example.handles, ...RESERVED_RECEIVED].sort());
      const sent = [...example.publishes, ...RESERVED_SENT, ...(example.alsoSends ?? [])];
      const published = [...ops.send].filter((n) => n !== 'carom.presence');
      assert.deepEqual(published.sort(), sent.sort());
      for (const [event, property] of Object.entries(example.dtos)) {
        const data = channelOf(doc, event).body.messages.fromClient.payload.properties.data;
        const key = (data.$ref as string).slice('#/components/schemas/'.length);
        const schema = (doc['components'] as { schemas: Record<string, any> }).schemas[key];
        assert.ok(schema.required.includes(property), `${event} requires ${property}`);
      }

      // What the document says, the app does: each handled event reaches a handler,
      // each published name is one a client may ask for.
      const client = await t.connect();
      for (const event of example.handles) {
        const reply = await client.request(event, {});
        assert.notEqual(reply.data?.code, ErrorCode.UNKNOWN_EVENT, event);
      }
      const unknown = await client.request('not.in.the.document', {});
      assert.equal(unknown.data.code, ErrorCode.UNKNOWN_EVENT);
      for (const topic of example.publishes) {
        const exact = topic.endsWith('.*') ? `${topic.slice(0, -1)}probe` : topic;
        const reply = await client.request('subscribe', { events: [exact] });
        assert.notEqual(reply.data?.code, ErrorCode.UNKNOWN_EVENT, topic);
      }
    });
  }

  it('chat: the join ack the app sends is the one its document describes', async () => {
    const t = await make(chatOptions());
    const doc = await t.app.asyncapi();
    const reply = operationOf(doc, 'join').reply;
    const ackRef: string = reply.messages[0].$ref;
    const allows = schemaValidator(doc);
    const client = await t.connect();
    const joined = await client.request('join', { name: 'ada', room: 'lobby' });
    assert.equal(joined.event, 'ack');
    assert.deepEqual(joined.data, { room: 'lobby', name: 'ada', members: ['ada'] });
    assert.equal(allows(`${ackRef}/payload`, joined), true);
    assert.equal(allows(`${ackRef}/payload`, { ...joined, data: { room: 'lobby' } }), false);
  });

  for (const [name, start] of [
    ['ping', startPing],
    ['chat', startChat],
  ] as const) {
    it(`${name}: its server serves the document at /asyncapi.json`, async () => {
      const running = await start(0, '127.0.0.1');
      try {
        const response = await fetch(`http://127.0.0.1:${running.port}/asyncapi.json`);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'application/json');
        const doc = (await response.json()) as Record<string, any>;
        await assertValidAsyncApi(doc);
        assert.equal(doc['info'].title, `the carom ${name} example`);
        assert.equal(doc['servers'].carom.host, `127.0.0.1:${running.port}`);
        assert.equal(doc['servers'].carom.pathname, '/ws');
        assert.deepEqual(
          [...operations(doc).receive].sort(),
          [...EXAMPLES[name]!.handles, ...RESERVED_RECEIVED].sort(),
        );
        // The page and the rest of the example are served as before.
        assert.equal((await fetch(`http://127.0.0.1:${running.port}/`)).status, 200);
      } finally {
        await running.close();
      }
    });
  }
});
