/**
 * app.asyncapi(): the document parses with the official AsyncAPI parser, and
 * it says what the app does: each handler and sender, each DTO constraint
 * (an envelope the app accepts is one the document allows, and one the app
 * refuses for a constraint is one the document refuses), the acks, the
 * reserved events, the error codes and the security schemes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsEnum,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  Carom,
  ConfigurationError,
  ErrorCode,
  Handler,
  Injectable,
  On,
  Payload,
  Sender,
  TimedSender,
  Topic,
  UsageError,
  type CaromOptions,
} from '../../src/index.js';
import {
  assertValidAsyncApi,
  channelOf,
  operationOf,
  operations,
  schemaValidator,
} from '../support/asyncapi.js';
import { testApps } from '../support/test-apps.js';

enum Mood {
  Calm = 'calm',
  Loud = 'loud',
}

class Address {
  @IsString() @Length(2, 40) city!: string;
  @IsInt() @Min(1000) @Max(99999) zip!: number;
}

class Order {
  @IsString() @Length(1, 20) text!: string;
  @IsNumber() price!: number;
  @IsInt() @Min(1) @Max(10) count!: number;
  @IsString() @MinLength(3) @MaxLength(8) code!: string;
  @IsOptional() @IsBoolean() gift?: boolean;
  @IsIn(['red', 'green']) colour!: string;
  @IsEnum(Mood) mood!: Mood;
  @IsArray() @IsString({ each: true }) @ArrayMaxSize(3) tags!: string[];
  @ValidateNested() @Type(() => Address) address!: Address;
  @IsOptional() @ValidateNested({ each: true }) @Type(() => Address) more?: Address[];
  @Matches(/^[a-z]+$/) slug!: string;
  @Matches(/^[a-z]+$/i) word!: string;
  @IsEmail() email!: string;
}

class OrderAck {
  @IsInt() @Min(0) total!: number;
}

@Topic('orders')
class OrderSender extends Sender<Order> {}

@Topic('clock', { everyMs: 1000, dto: OrderAck })
class Clock extends TimedSender<OrderAck> {
  override createMessageData(): OrderAck {
    return { total: 0 };
  }
}

@On('order', { ack: OrderAck })
class OrderHandler extends Handler<Order> {
  handle(@Payload() order: Order): OrderAck {
    return { total: order.count * 2 };
  }
}

@Injectable()
class Lobby {
  @On('hello')
  hello(): string {
    return 'hi';
  }
}

const VALID = {
  text: 'tea',
  price: 2.5,
  count: 2,
  code: 'abcd',
  gift: true,
  colour: 'red',
  mood: 'calm',
  tags: ['a', 'b'],
  address: { city: 'Oslo', zip: 1234 },
  more: [{ city: 'Bergen', zip: 5003 }],
  slug: 'abc',
  word: 'ABC',
  email: 'a@example.com',
};

/** Payloads the app must refuse, one broken constraint each, and some it accepts. */
const REFUSED: Record<string, Record<string, unknown>> = {
  'text too long': { text: 'x'.repeat(21) },
  'text empty': { text: '' },
  'text a number': { text: 5 },
  'price a string': { price: '2' },
  'count not an integer': { count: 1.5 },
  'count under min': { count: 0 },
  'count over max': { count: 11 },
  'code too short': { code: 'ab' },
  'code too long': { code: 'abcdefghi' },
  'gift a string': { gift: 'yes' },
  'colour not listed': { colour: 'blue' },
  'mood not in the enum': { mood: 'sad' },
  'tags not an array': { tags: 'a' },
  'tags too many': { tags: ['a', 'b', 'c', 'd'] },
  'a tag not a string': { tags: [1] },
  'address city too short': { address: { city: 'O', zip: 1234 } },
  'address zip too large': { address: { city: 'Oslo', zip: 100000 } },
  'address null': { address: null },
  'more: one entry bad': { more: [{ city: 'Bergen', zip: 1 }] },
  'slug upper case': { slug: 'ABC' },
  'email not one': { email: 'not-an-email' },
  'text missing': { text: undefined },
};
const ACCEPTED: Record<string, Record<string, unknown>> = {
  'all of it': {},
  'gift missing': { gift: undefined },
  'gift null (IsOptional lets null through)': { gift: null },
  'more missing': { more: undefined },
  'address missing (ValidateNested alone lets it through)': { address: undefined },
  'word in mixed case (the i flag)': { word: 'AbC' },
};

const make = testApps();

function appOptions(extra: CaromOptions = {}): CaromOptions {
  return {
    handlers: [OrderHandler, Lobby],
    senders: [OrderSender, Clock],
    topics: ['room.*', 'news'],
    ...extra,
  };
}

function payload(change: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...VALID, ...change };
  for (const [k, v] of Object.entries(change)) if (v === undefined) delete out[k];
  return out;
}

describe('app.asyncapi()', () => {
  it('makes a document the official parser reads with no error or warning', async () => {
    const t = await make(appOptions());
    t.app.channels.create('sports');
    const doc = await t.app.asyncapi({ title: 'orders', version: '1.2.3' });
    await assertValidAsyncApi(doc);
    assert.equal(doc.asyncapi, '3.0.0');
    assert.deepEqual(doc.info, { title: 'orders', version: '1.2.3' });
  });

  it('has a receive operation for each handled event and a send operation for each published one', async () => {
    const t = await make(appOptions());
    t.app.channels.create('sports');
    const doc = await t.app.asyncapi();
    const ops = operations(doc);
    assert.deepEqual([...ops.receive].sort(), [
      'carom.ping',
      'hello',
      'order',
      'subscribe',
      'unsubscribe',
    ]);
    assert.deepEqual([...ops.send].sort(), [
      'carom.channel.created',
      'carom.channel.deleted',
      'carom.welcome',
      'clock',
      'error',
      'news',
      'orders',
      'room.*',
      'sports',
    ]);
    assert.equal(channelOf(doc, 'room.*').body.address, 'room.{name}');
    assert.equal(channelOf(doc, 'order').body.address, 'order');
    const clockOp = operationOf(doc, 'clock');
    assert.equal(clockOp['x-carom-every-ms'], 1000);
    // Each handler is named where its event is described.
    assert.match(channelOf(doc, 'order').body.messages.fromClient.summary, /OrderHandler\.handle/);
    assert.match(channelOf(doc, 'hello').body.messages.fromClient.summary, /Lobby\.hello/);
  });

  it('allows what the app accepts and refuses what it refuses, constraint by constraint', async () => {
    const t = await make(appOptions());
    const doc = await t.app.asyncapi();
    const allows = schemaValidator(doc);
    const pointer = `#/channels/${channelOf(doc, 'order').id}/messages/fromClient/payload`;
    const client = await t.connect();
    const cases = [
      ...Object.entries(REFUSED).map(([name, change]) => ({ name, change, accepted: false })),
      ...Object.entries(ACCEPTED).map(([name, change]) => ({ name, change, accepted: true })),
    ];
    for (const { name, change, accepted } of cases) {
      const data = payload(change);
      const reply = await client.request('order', data);
      assert.equal(
        reply.event === 'ack',
        accepted,
        `the app on "${name}": ${JSON.stringify(reply.data)}`,
      );
      if (!accepted) assert.equal(reply.data.code, ErrorCode.VALIDATION_FAILED, name);
      assert.equal(
        allows(pointer, { event: 'order', data, id: 1 }),
        accepted,
        `the document on "${name}"`,
      );
    }
    assert.equal(allows(pointer, { event: 'order', data: VALID, id: 'x'.repeat(65) }), false);
    // A pattern with flags has no JSON Schema form: the document is looser there, never stricter.
    const flagged = payload({ word: 'ab1' });
    assert.equal((await client.request('order', flagged)).event, 'error');
    assert.equal(allows(pointer, { event: 'order', data: flagged }), true);
    assert.equal(allows(pointer, { event: 'other', data: VALID }), false);
  });

  it('describes each constraint with its JSON Schema keyword', async () => {
    const t = await make(appOptions());
    const doc = await t.app.asyncapi();
    const schemas = (doc['components'] as { schemas: Record<string, any> }).schemas;
    const order = schemas['Order']!.properties;
    assert.deepEqual(order.text, { type: 'string', minLength: 1, maxLength: 20 });
    assert.equal(order.price.type, 'number');
    assert.deepEqual(
      { type: order.count.type, minimum: order.count.minimum, maximum: order.count.maximum },
      { type: 'integer', minimum: 1, maximum: 10 },
    );
    assert.deepEqual([order.code.minLength, order.code.maxLength], [3, 8]);
    assert.deepEqual(order.gift, { anyOf: [{ type: 'boolean' }, { type: 'null' }] });
    assert.deepEqual(order.colour.enum, ['red', 'green']);
    assert.deepEqual(order.mood.enum, ['calm', 'loud']);
    assert.deepEqual(
      [order.tags.type, order.tags.maxItems, order.tags.items.type],
      ['array', 3, 'string'],
    );
    assert.deepEqual(order.address, { $ref: '#/components/schemas/Address' });
    assert.deepEqual(order.more.anyOf[0].items, { $ref: '#/components/schemas/Address' });
    assert.equal(order.slug.pattern, '^[a-z]+$');
    assert.equal(
      order.word.pattern,
      undefined,
      'a pattern with the i flag is not a JSON Schema pattern',
    );
    assert.equal(order.email.format, 'email');
    assert.deepEqual(schemas['Order']!.required.sort(), [
      'code',
      'colour',
      'count',
      'email',
      'mood',
      'price',
      'slug',
      'tags',
      'text',
      'word',
    ]);
    assert.deepEqual(schemas['Address']!.required.sort(), ['city', 'zip']);
  });

  it("describes the ack where @On names its class, and the app's acks match it", async () => {
    const t = await make(appOptions());
    const doc = await t.app.asyncapi();
    const allows = schemaValidator(doc);
    const op = operationOf(doc, 'order');
    const ackRef: string = op.reply.messages[0].$ref;
    assert.equal(op.reply.channel.$ref, `#/channels/${channelOf(doc, 'ack').id}`);
    const client = await t.connect();
    const reply = await client.request('order', VALID);
    assert.deepEqual(reply.data, { total: 4 });
    assert.equal(allows(`${ackRef}/payload`, reply), true);
    assert.equal(allows(`${ackRef}/payload`, { ...reply, data: { total: -1 } }), false);
    // The subscribe ack, as the app sends it.
    const subscribeOp = operationOf(doc, 'subscribe');
    const subscribed = await client.subscribe('orders', 'room.*');
    assert.equal(allows(`${subscribeOp.reply.messages[0].$ref}/payload`, subscribed), true);
  });

  it('describes positions, resume and recovery, and what the app sends for a history matches it', async () => {
    const t = await make(
      appOptions({ topics: ['room.*', { name: 'news', history: { size: 5 } }] }),
    );
    const doc = await t.app.asyncapi();
    const allows = schemaValidator(doc);
    const client = await t.connect({ protocol: 'carom' });
    const subscribeOp = operationOf(doc, 'subscribe');
    const first = await client.request('subscribe', { events: ['news'], recent: 0 });
    assert.equal(allows(`${subscribeOp.reply.messages[0].$ref}/payload`, first), true);
    t.app.publish('news', { n: 1 });
    await t.idle();
    const published = client.received.find((m) => m.event === 'news')!;
    assert.equal(typeof (published as { position?: unknown }).position, 'object');
    const newsMessage = `#/channels/${channelOf(doc, 'news').id}/messages/fromServer/payload`;
    assert.equal(allows(newsMessage, published), true);
    assert.equal(allows(newsMessage, { ...published, position: { epoch: '', offset: -1 } }), false);
    const again = await t.connect({ protocol: 'carom' });
    const resumed = await again.request('subscribe', {
      events: ['news'],
      resume: { news: (published as { position: unknown }).position },
    });
    const recovery = (resumed.data as { recovery: Record<string, unknown> }).recovery;
    assert.equal((recovery.news as { recovered: boolean }).recovered, true);
    assert.equal(allows(`${subscribeOp.reply.messages[0].$ref}/payload`, resumed), true);
    const subscribeMessage = `${subscribeOp.messages[0].$ref}/payload`;
    assert.equal(
      allows(subscribeMessage, {
        event: 'subscribe',
        id: 1,
        data: { events: ['news'], resume: { news: { epoch: 'e', offset: 3 } }, recent: 2 },
      }),
      true,
    );
    assert.equal(
      allows(subscribeMessage, {
        event: 'subscribe',
        id: 1,
        data: { events: ['news'], recent: -1 },
      }),
      false,
    );
  });

  it('describes the error envelope with every code, and the errors the app sends match it', async () => {
    const t = await make(appOptions());
    const doc = await t.app.asyncapi();
    const allows = schemaValidator(doc);
    const pointer = `#/channels/${channelOf(doc, 'error').id}/messages/error/payload`;
    const codes = channelOf(
      doc,
      'error',
    ).body.messages.error.payload.properties.data.properties.code.oneOf.map(
      (c: { const: string }) => c.const,
    );
    assert.deepEqual(codes.sort(), Object.values(ErrorCode).sort());
    const client = await t.connect();
    const refused = await client.request('order', { text: 5 });
    assert.equal(refused.event, 'error');
    assert.equal(allows(pointer, refused), true);
    const unknown = await client.request('nobody-handles-this', {});
    assert.equal(allows(pointer, unknown), true);
    assert.equal(
      allows(pointer, { ...unknown, data: { ...unknown.data, code: 'NOT_A_CODE' } }),
      false,
    );
  });

  it('describes the server, its path and the token places when the app authenticates', async () => {
    const plain = await (
      await make(appOptions({ path: '/live' }))
    ).app.asyncapi({ host: 'example.com', protocol: 'wss' });
    const server = (plain['servers'] as Record<string, any>)['carom'];
    assert.deepEqual(
      [server.host, server.protocol, server.pathname],
      ['example.com', 'wss', '/live'],
    );
    assert.equal(server.security, undefined);
    const guarded = await (
      await make(appOptions({ authenticate: () => ({ id: 1 }) }))
    ).app.asyncapi();
    const schemes = (guarded['components'] as { securitySchemes: Record<string, any> })
      .securitySchemes;
    assert.deepEqual(Object.keys(schemes).sort(), ['bearer', 'cookie', 'query', 'subprotocol']);
    assert.deepEqual(schemes['bearer'], { ...schemes['bearer'], type: 'http', scheme: 'bearer' });
    assert.deepEqual([schemes['query'].in, schemes['query'].name], ['query', 'token']);
    assert.equal(schemes['subprotocol'].name, 'Sec-WebSocket-Protocol');
    assert.equal((guarded['servers'] as Record<string, any>)['carom'].security.length, 4);
    await assertValidAsyncApi(guarded);
    const own = await (
      await make(appOptions({ authenticate: () => ({ id: 1 }) }))
    ).app.asyncapi({
      security: { key: { type: 'httpApiKey', name: 'x-key', in: 'header' } },
    });
    assert.deepEqual(Object.keys((own['components'] as any).securitySchemes), ['key']);
    await assertValidAsyncApi(own);
    const none = await (
      await make(appOptions({ authenticate: () => ({ id: 1 }) }))
    ).app.asyncapi({ security: false });
    assert.equal((none['servers'] as Record<string, any>)['carom'].security, undefined);
  });

  it('closes the schemas when the app refuses unknown properties, and the app agrees', async () => {
    const t = await make(appOptions({ unknownProperties: 'refuse' }));
    const doc = await t.app.asyncapi();
    const allows = schemaValidator(doc);
    const pointer = `#/channels/${channelOf(doc, 'order').id}/messages/fromClient/payload`;
    const client = await t.connect();
    const extra = { ...VALID, extra: 1 };
    assert.equal((await client.request('order', extra)).event, 'error');
    assert.equal(allows(pointer, { event: 'order', data: extra }), false);
    const open = await (await make(appOptions())).app.asyncapi();
    const openPointer = `#/channels/${channelOf(open, 'order').id}/messages/fromClient/payload`;
    assert.equal(schemaValidator(open)(openPointer, { event: 'order', data: extra }), true);
  });

  it('lists presence notices only when the app announces them', async () => {
    const withNotices = await (
      await make(appOptions({ presence: ['room.*'], presenceNotices: true }))
    ).app.asyncapi();
    assert.ok(operations(withNotices).send.has('carom.presence'));
    await assertValidAsyncApi(withNotices);
    const without = await (await make(appOptions())).app.asyncapi();
    assert.ok(!operations(without).send.has('carom.presence'));
  });

  it('gives names the parser would refuse a safe id, keeping the name as the address', async () => {
    @On('a b/c{d}')
    class Odd extends Handler {
      handle(): void {}
    }
    @On('a_b_c_d_')
    class Near extends Handler {
      handle(): void {}
    }
    const doc = await (await make({ handlers: [Odd, Near] })).app.asyncapi();
    await assertValidAsyncApi(doc);
    const odd = channelOf(doc, 'a b/c{d}');
    assert.equal(odd.body.address, null, 'a name with braces has no address');
    assert.notEqual(odd.id, channelOf(doc, 'a_b_c_d_').id);
  });

  it('refuses two DTO classes of one name, which the document could not tell apart', async () => {
    const first = (() => {
      class Same {
        @IsString() a!: string;
      }
      return Same;
    })();
    const second = (() => {
      class Same {
        @IsInt() b!: number;
      }
      return Same;
    })();
    @On('one', { dto: first })
    class One extends Handler {
      handle(): void {}
    }
    @On('two', { dto: second })
    class Two extends Handler {
      handle(): void {}
    }
    const t = await make({ handlers: [One, Two] });
    await assert.rejects(
      t.app.asyncapi(),
      (err: UsageError) => err.code === 'CAROM_ERR_ASYNCAPI_NAME_CLASH',
    );
  });

  it('refuses an ack or a topic dto that is not a class', () => {
    assert.throws(
      () => {
        @On('x', { ack: 'nope' as never })
        class Bad extends Handler {
          handle(): void {}
        }
        new Carom({ handlers: [Bad], logLevel: 'silent' });
      },
      (err: ConfigurationError) => err.code === 'CAROM_ERR_BAD_ACK',
    );
    assert.throws(
      () => {
        @Topic('y', { dto: 42 as never })
        class BadSender extends Sender {}
        return BadSender;
      },
      (err: ConfigurationError) => err.code === 'CAROM_ERR_BAD_TOPIC_DTO',
    );
  });
});
