import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { IsInt, IsString, Min } from 'class-validator';
import {
  CaromError,
  ClientError,
  CloseCode,
  ErrorCode,
  Handler,
  On,
  Payload,
  Sender,
  Topic,
  type CaromOptions,
  type Context,
} from '../../src/index.js';
import {
  createTestApp,
  type ReceivedEnvelope,
  type TestApp,
  type TestAppOptions,
  type TestClient,
} from '../../src/testing/index.js';

// ---------------------------------------------------------------------------
// The app under test
// ---------------------------------------------------------------------------

/** Answers with the payload it received. */
@On('echo', { dto: false })
class EchoHandler extends Handler {
  calls = 0;
  handle(data: unknown): unknown {
    this.calls++;
    return data;
  }
}

class NoteDto {
  @IsString()
  text!: string;

  @IsInt()
  @Min(1)
  priority!: number;
}

@On('note')
class NoteHandler extends Handler<NoteDto> {
  calls = 0;
  handle(@Payload() note: NoteDto): string {
    this.calls++;
    return note.text;
  }
}

@On('admin')
class AdminHandler extends Handler {
  calls = 0;
  handle(): string {
    this.calls++;
    return 'done';
  }
}

/** An error class the application marks as safe to show. */
class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DomainError';
  }
}

/** An error class that is not marked safe. */
class InternalError extends Error {}

const SECRET = 'password=hunter2 at db.internal:5432';

/** Handlers that fail in every way a handler can. */
class FailingController {
  @On('fail.plain')
  plain(): never {
    throw new Error(SECRET);
  }

  @On('fail.async')
  async asyncPlain(): Promise<never> {
    await Promise.resolve();
    throw new Error(SECRET);
  }

  @On('fail.string')
  thrownString(): never {
    throw SECRET;
  }

  @On('fail.client')
  client(): never {
    throw new ClientError('the room is full', { details: { capacity: 10 } });
  }

  @On('fail.client.async')
  async clientAsync(): Promise<never> {
    await Promise.resolve();
    throw new ClientError('try again later');
  }

  @On('fail.forbidden')
  forbidden(): never {
    throw new CaromError(ErrorCode.FORBIDDEN, 'only the owner may do that');
  }

  @On('fail.domain')
  domain(): never {
    throw new DomainError('insufficient funds');
  }

  @On('fail.internal')
  internal(): never {
    throw new InternalError(SECRET);
  }

  @On('fail.bigint')
  bigint(): unknown {
    return { total: 10n };
  }

  @On('fail.bigint.async')
  async bigintAsync(): Promise<unknown> {
    await Promise.resolve();
    return 10n;
  }

  @On('fail.cycle')
  cycle(): unknown {
    const a: Record<string, unknown> = {};
    a.self = a;
    return a;
  }
}

@Topic('news')
class NewsSender extends Sender<{ headline: string }> {}

@Topic('secret')
class SecretSender extends Sender<{ code: string }> {}

function baseOptions(extra: CaromOptions = {}): TestAppOptions {
  return {
    handlers: [EchoHandler, NoteHandler, AdminHandler, FailingController],
    senders: [NewsSender, SecretSender],
    ...extra,
  };
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** The raw error envelopes received, in order. */
function errorEnvelopes(client: TestClient): ReceivedEnvelope[] {
  return client.received.filter((e) => e.event === 'error');
}

/** Checks the one error envelope a bad frame produced, and returns its data. */
function assertOneError(
  client: TestClient,
  expected: { code: string; id?: string | number; event?: string },
): ReceivedEnvelope['data'] {
  const all = client.received;
  assert.equal(all.length, 1, `expected exactly one envelope, got ${JSON.stringify(all)}`);
  const envelope = all[0]!;
  assert.equal(envelope.event, 'error');
  assert.equal(typeof envelope.timestamp, 'string');
  assert.ok(!Number.isNaN(Date.parse(envelope.timestamp)), 'timestamp is ISO 8601');
  assert.equal(envelope.data.code, expected.code);
  assert.equal(typeof envelope.data.message, 'string');
  assert.ok(envelope.data.message.length > 0, 'the error has a message');
  if (expected.id === undefined) {
    assert.ok(!('id' in envelope), `no id expected, got ${JSON.stringify(envelope)}`);
  } else {
    assert.equal(envelope.id, expected.id);
  }
  if (expected.event === undefined) {
    assert.ok(!('event' in envelope.data), `no data.event expected: ${JSON.stringify(envelope)}`);
  } else {
    assert.equal(envelope.data.event, expected.event);
  }
  return envelope.data;
}

let probe = 0;

/** The connection still serves requests: a good request gets its ack. */
async function assertStillWorks(client: TestClient): Promise<void> {
  assert.equal(client.closed, false, 'the connection must stay open');
  const payload = { probe: ++probe };
  const reply = await client.request('echo', payload);
  assert.equal(reply.event, 'ack', `expected an ack, got ${JSON.stringify(reply)}`);
  assert.deepEqual(reply.data, payload);
}

/** Sends one raw frame and waits until the app has dealt with it. */
async function sendRawAndSettle(t: TestApp, client: TestClient, text: string): Promise<void> {
  client.sendRaw(text);
  await t.idle();
}

// ---------------------------------------------------------------------------

describe('error envelopes', () => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });

  describe('BAD_JSON', () => {
    for (const [name, text] of [
      ['plain text', 'hello there'],
      ['truncated JSON', '{"event":"echo","id":1'],
      ['an empty frame', ''],
      ['single quotes', "{'event':'echo'}"],
    ] as const) {
      it(`answers ${name} with BAD_JSON, no id, no event, and the connection stays usable`, async () => {
        t = await createTestApp(baseOptions());
        const c = await t.connect();
        await sendRawAndSettle(t, c, text);
        assertOneError(c, { code: ErrorCode.BAD_JSON });
        c.clear();
        await assertStillWorks(c);
      });
    }

    it('answers a binary frame with BAD_JSON, even when its bytes are valid JSON', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      const bytes = new TextEncoder().encode(JSON.stringify({ event: 'echo', id: 1, data: {} }));
      c.sendBinary(bytes);
      await t.idle();
      assertOneError(c, { code: ErrorCode.BAD_JSON });
      assert.equal(t.app.get(EchoHandler).calls, 0, 'a binary frame never reaches a handler');
      c.clear();
      await assertStillWorks(c);
    });
  });

  describe('BAD_ENVELOPE', () => {
    for (const text of ['[]', '[{"event":"echo"}]', '"echo"', '42', 'null', 'true']) {
      it(`answers JSON that is not an object (${text}) with BAD_ENVELOPE`, async () => {
        t = await createTestApp(baseOptions());
        const c = await t.connect();
        await sendRawAndSettle(t, c, text);
        assertOneError(c, { code: ErrorCode.BAD_ENVELOPE });
        c.clear();
        await assertStillWorks(c);
      });
    }

    const badEvents: Array<[string, unknown]> = [
      ['missing', undefined],
      ['a number', 7],
      ['null', null],
      ['an object', { name: 'echo' }],
      ['empty', ''],
      ['longer than 200 characters', 'e'.repeat(201)],
      ['holding a newline', 'ec\nho'],
      ['holding a NUL', 'echo\u0000'],
      ['holding a C1 control character', 'echo\u0085'],
    ];
    for (const [name, event] of badEvents) {
      it(`answers an event that is ${name} with BAD_ENVELOPE echoing the id`, async () => {
        t = await createTestApp(baseOptions());
        const c = await t.connect();
        const frame: Record<string, unknown> = { id: 'req-1', data: {} };
        if (event !== undefined) frame.event = event;
        await sendRawAndSettle(t, c, JSON.stringify(frame));
        assertOneError(c, { code: ErrorCode.BAD_ENVELOPE, id: 'req-1' });
        assert.equal(t.app.get(EchoHandler).calls, 0);
        c.clear();
        await assertStillWorks(c);
      });
    }

    it('accepts an event name of exactly 200 characters (answered UNKNOWN_EVENT, not BAD_ENVELOPE)', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      const name = 'e'.repeat(200);
      const reply = await c.request(name, {});
      assert.equal(reply.event, 'error');
      assert.equal(reply.data.code, ErrorCode.UNKNOWN_EVENT);
      assert.equal(reply.data.event, name);
    });

    const badIds: Array<[string, unknown]> = [
      ['a fraction', 1.5],
      ['an unsafe integer', 2 ** 53],
      ['a boolean', true],
      ['an object', { n: 1 }],
      ['an array', [1]],
      ['a string of 65 characters', 'i'.repeat(65)],
    ];
    for (const [name, id] of badIds) {
      it(`answers an id that is ${name} with BAD_ENVELOPE and does not run the handler`, async () => {
        t = await createTestApp(baseOptions());
        const c = await t.connect();
        await sendRawAndSettle(t, c, JSON.stringify({ event: 'echo', id, data: { x: 1 } }));
        const errors = errorEnvelopes(c);
        assert.equal(c.received.length, 1, JSON.stringify(c.received));
        assert.equal(errors.length, 1);
        assert.equal(errors[0]!.data.code, ErrorCode.BAD_ENVELOPE);
        assert.ok(!('id' in errors[0]!), 'an invalid id is not echoed');
        assert.equal(t.app.get(EchoHandler).calls, 0);
        c.clear();
        await assertStillWorks(c);
      });
    }

    it('names the event in the BAD_ENVELOPE for a bad id when the event itself is valid', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      await sendRawAndSettle(t, c, JSON.stringify({ event: 'echo', id: 1.5 }));
      assertOneError(c, { code: ErrorCode.BAD_ENVELOPE, event: 'echo' });
    });

    it('accepts ids at the limits: a 64-character string, a negative safe integer, 0', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      for (const id of ['i'.repeat(64), -(2 ** 53 - 1), 0, 2 ** 53 - 1]) {
        const reply = await c.request('echo', { id }, { id });
        assert.equal(reply.event, 'ack');
        assert.equal(reply.id, id);
      }
    });

    const badTimestamps: Array<[string, unknown]> = [
      ['a word', 'yesterday'],
      ['a date without a time', '2026-01-01'],
      ['an impossible date', '2026-02-30T10:00:00Z'],
      ['a bad offset', '2026-01-01T10:00:00+25:00'],
      ['a boolean', true],
      ['an object', { ms: 1 }],
    ];
    for (const [name, timestamp] of badTimestamps) {
      it(`answers a timestamp that is ${name} with BAD_ENVELOPE, echoing id and event`, async () => {
        t = await createTestApp(baseOptions());
        const c = await t.connect();
        await sendRawAndSettle(t, c, JSON.stringify({ event: 'echo', id: 9, timestamp }));
        assertOneError(c, { code: ErrorCode.BAD_ENVELOPE, id: 9, event: 'echo' });
        assert.equal(t.app.get(EchoHandler).calls, 0);
        c.clear();
        await assertStillWorks(c);
      });
    }

    it('answers a bad timestamp without an id too (only stale envelopes are silent)', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      await sendRawAndSettle(t, c, JSON.stringify({ event: 'echo', timestamp: 'soon' }));
      assertOneError(c, { code: ErrorCode.BAD_ENVELOPE, event: 'echo' });
      c.clear();
      await assertStillWorks(c);
    });

    it('refuses a payload key that could reach a prototype', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      await sendRawAndSettle(t, c, '{"event":"echo","id":3,"data":{"a":{"__proto__":{"x":1}}}}');
      assertOneError(c, { code: ErrorCode.BAD_ENVELOPE, id: 3, event: 'echo' });
      assert.equal(t.app.get(EchoHandler).calls, 0);
      c.clear();
      await assertStillWorks(c);
    });

    const badSubscribeData: Array<[string, unknown]> = [
      ['no data at all', undefined],
      ['data without events', {}],
      ['data that is null', null],
      ['data that is a string', 'news'],
      ['events that is a string', { events: 'news' }],
      ['an empty events array', { events: [] }],
      ['a number among the names', { events: ['news', 3] }],
      ['null among the names', { events: ['news', null] }],
      ['an empty name', { events: ['news', ''] }],
      ['a star inside a name', { events: ['news', 'ro*m'] }],
      ['a star not after a dot', { events: ['news', 'room*'] }],
      ['a star at the start of a pattern', { events: ['news', '*.room'] }],
      ['two stars', { events: ['news', 'room.**'] }],
      ['a pattern with an empty prefix', { events: ['news', '.*'] }],
    ];
    for (const [name, data] of badSubscribeData) {
      it(`answers subscribe with ${name} with BAD_ENVELOPE, and subscribes to nothing`, async () => {
        t = await createTestApp(baseOptions());
        const c = await t.connect();
        const frame: Record<string, unknown> = { event: 'subscribe', id: 's1' };
        if (data !== undefined) frame.data = data;
        await sendRawAndSettle(t, c, JSON.stringify(frame));
        assertOneError(c, { code: ErrorCode.BAD_ENVELOPE, id: 's1', event: 'subscribe' });
        assert.deepEqual(c.connection!.subscriptions, [], 'no name of a bad request takes effect');
        assert.equal(t.app.subscribers('news').length, 0);
        c.clear();
        await assertStillWorks(c);
        const ok = await c.subscribe('news');
        assert.equal(ok.event, 'ack');
        assert.deepEqual(ok.data, { events: ['news'] });
      });
    }

    it('answers unsubscribe with bad data with BAD_ENVELOPE and keeps the subscriptions', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      await c.subscribe('news');
      c.clear();
      await sendRawAndSettle(t, c, JSON.stringify({ event: 'unsubscribe', id: 'u1', data: {} }));
      assertOneError(c, { code: ErrorCode.BAD_ENVELOPE, id: 'u1', event: 'unsubscribe' });
      assert.deepEqual(c.connection!.subscriptions, ['news']);
      c.clear();
      await assertStillWorks(c);
    });
  });

  describe('UNKNOWN_EVENT', () => {
    it('answers an event nobody handles, with id and event', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      await sendRawAndSettle(t, c, JSON.stringify({ event: 'nobody.handles', id: 4, data: {} }));
      assertOneError(c, { code: ErrorCode.UNKNOWN_EVENT, id: 4, event: 'nobody.handles' });
      c.clear();
      await assertStillWorks(c);
    });

    it('answers an unknown event without an id as well (no id in the reply)', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      c.send('nobody.handles', {});
      await t.idle();
      assertOneError(c, { code: ErrorCode.UNKNOWN_EVENT, event: 'nobody.handles' });
      c.clear();
      await assertStillWorks(c);
    });

    it('answers a sender-only event (declared, but with no handler) with UNKNOWN_EVENT', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      const reply = await c.request('news', { headline: 'x' });
      assert.equal(reply.event, 'error');
      assert.equal(reply.data.code, ErrorCode.UNKNOWN_EVENT);
      assert.equal(reply.data.event, 'news');
    });

    for (const reserved of ['ack', 'error', 'carom.channel.created']) {
      it(`answers a client envelope named '${reserved}' with UNKNOWN_EVENT`, async () => {
        t = await createTestApp(baseOptions());
        const c = await t.connect();
        const reply = await c.request(reserved, {});
        assert.equal(reply.event, 'error');
        assert.equal(reply.data.code, ErrorCode.UNKNOWN_EVENT);
        assert.equal(reply.data.event, reserved);
        c.clear();
        await assertStillWorks(c);
      });
    }

    it('subscribing to undeclared names lists them in details.rejected while the other names take effect', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      const reply = await c.request('subscribe', {
        events: ['news', 'nope', 'room.*', 'nada'],
      });
      assert.equal(reply.event, 'error');
      assert.equal(reply.id !== undefined, true);
      assert.equal(reply.data.code, ErrorCode.UNKNOWN_EVENT);
      assert.equal(reply.data.event, 'subscribe');
      assert.match(reply.data.message, /nope/);
      assert.match(reply.data.message, /nada/);
      assert.deepEqual(reply.data.details.rejected, [
        { name: 'nope', code: ErrorCode.UNKNOWN_EVENT },
        { name: 'nada', code: ErrorCode.UNKNOWN_EVENT },
      ]);
      assert.deepEqual([...reply.data.details.events].sort(), ['news', 'room.*']);
      assert.deepEqual([...c.connection!.subscriptions].sort(), ['news', 'room.*']);
      // The accepted subscription is live.
      assert.equal(t.app.publish('news', { headline: 'h' }), 1);
      assert.deepEqual(c.dataOf('news'), [{ headline: 'h' }]);
      c.clear();
      await assertStillWorks(c);
    });

    it('subscribing to only undeclared names subscribes to nothing', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      const reply = await c.subscribe('ghost');
      assert.equal(reply.event, 'error');
      assert.equal(reply.data.code, ErrorCode.UNKNOWN_EVENT);
      assert.deepEqual(reply.data.details.rejected, [
        { name: 'ghost', code: ErrorCode.UNKNOWN_EVENT },
      ]);
      assert.deepEqual(c.connection!.subscriptions, []);
    });

    it('subscribing to an undeclared name without an id still answers with an error', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      c.send('subscribe', { events: ['ghost', 'news'] });
      await t.idle();
      const data = assertOneError(c, { code: ErrorCode.UNKNOWN_EVENT, event: 'subscribe' });
      assert.deepEqual(data.details.rejected, [{ name: 'ghost', code: ErrorCode.UNKNOWN_EVENT }]);
      assert.deepEqual(c.connection!.subscriptions, ['news']);
    });
  });

  describe('VALIDATION_FAILED', () => {
    it('answers a payload that fails the DTO, echoing id and event, listing the properties', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      await sendRawAndSettle(
        t,
        c,
        JSON.stringify({ event: 'note', id: 'v1', data: { text: 5, priority: 0 } }),
      );
      const data = assertOneError(c, {
        code: ErrorCode.VALIDATION_FAILED,
        id: 'v1',
        event: 'note',
      });
      const byProperty = Object.fromEntries(
        (data.details as Array<{ property: string; constraints: Record<string, string> }>).map(
          (d) => [d.property, Object.keys(d.constraints).sort()],
        ),
      );
      assert.deepEqual(byProperty, { text: ['isString'], priority: ['min'] });
      assert.equal(t.app.get(NoteHandler).calls, 0, 'the handler never sees an invalid payload');
      c.clear();
      const ok = await c.request('note', { text: 'fine', priority: 2 });
      assert.equal(ok.event, 'ack');
      assert.equal(ok.data, 'fine');
    });

    it('answers an invalid payload without an id too', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      c.send('note', { text: 'x' });
      await t.idle();
      const data = assertOneError(c, { code: ErrorCode.VALIDATION_FAILED, event: 'note' });
      assert.deepEqual(
        data.details.map((d: { property: string }) => d.property),
        ['priority'],
      );
      c.clear();
      await assertStillWorks(c);
    });
  });

  describe('STALE', () => {
    // The fake clock's start: clients stamp their envelopes with it by default.
    const T0 = Date.UTC(2026, 0, 1);

    it('answers a stale envelope that has an id with STALE, echoing id and event, without running the handler', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      const first = await c.request('echo', { n: 1 }, { timestamp: T0 });
      assert.equal(first.event, 'ack');
      const handler = t.app.get(EchoHandler);
      const callsBefore = handler.calls;
      c.clear();
      await sendRawAndSettle(
        t,
        c,
        JSON.stringify({ event: 'echo', id: 'old', data: { n: 0 }, timestamp: T0 - 1 }),
      );
      assertOneError(c, { code: ErrorCode.STALE, id: 'old', event: 'echo' });
      assert.equal(handler.calls, callsBefore, 'a stale envelope never reaches its handler');
      c.clear();
      const later = await c.request('echo', { n: 2 }, { timestamp: T0 + 1 });
      assert.equal(later.event, 'ack');
      assert.deepEqual(later.data, { n: 2 });
    });

    it('drops a stale envelope without an id silently: no envelope at all', async () => {
      t = await createTestApp(baseOptions());
      assert.equal(t.clock.now(), T0);
      const c = await t.connect();
      await c.request('echo', { n: 1 }, { timestamp: T0 });
      const handler = t.app.get(EchoHandler);
      const callsBefore = handler.calls;
      c.clear();
      c.send('echo', { n: 0 }, { timestamp: T0 - 1000 });
      c.send('echo', { n: 0 }, { timestamp: new Date(T0 - 1).toISOString() });
      await t.idle();
      assert.deepEqual(c.received, [], 'nothing at all is sent for a silent drop');
      assert.equal(handler.calls, callsBefore);
      await assertStillWorks(c);
    });

    it('answers a stale subscribe with an id with STALE and changes nothing', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      await c.request('subscribe', { events: ['news'] }, { timestamp: T0 });
      c.clear();
      const reply = await c.request('subscribe', { events: ['secret'] }, { timestamp: T0 - 5 });
      assert.equal(reply.event, 'error');
      assert.equal(reply.data.code, ErrorCode.STALE);
      assert.equal(reply.data.event, 'subscribe');
      assert.deepEqual(c.connection!.subscriptions, ['news']);
    });
  });

  describe('FORBIDDEN', () => {
    it('canSubscribe refusing one name answers FORBIDDEN listing it; the other names take effect', async () => {
      const asked: string[] = [];
      t = await createTestApp(
        baseOptions({
          canSubscribe: (connection, topic) => {
            asked.push(topic);
            assert.equal(typeof connection.id, 'string');
            return topic !== 'secret';
          },
        }),
      );
      const c = await t.connect();
      const reply = await c.subscribe('news', 'secret');
      assert.equal(reply.event, 'error');
      assert.equal(reply.data.code, ErrorCode.FORBIDDEN);
      assert.equal(reply.data.event, 'subscribe');
      assert.match(reply.data.message, /secret/);
      assert.deepEqual(reply.data.details.rejected, [
        { name: 'secret', code: ErrorCode.FORBIDDEN },
      ]);
      assert.deepEqual(reply.data.details.events, ['news']);
      assert.deepEqual(asked, ['news', 'secret']);
      assert.deepEqual(c.connection!.subscriptions, ['news']);
      assert.equal(t.app.publish('secret', { code: 'x' }), 0, 'the refused name is not subscribed');
      assert.equal(t.app.publish('news', { headline: 'y' }), 1);
      c.clear();
      await assertStillWorks(c);
    });

    it('an async canSubscribe may refuse, and refuses patterns too', async () => {
      t = await createTestApp(
        baseOptions({
          canSubscribe: async (_connection, topic) => {
            await Promise.resolve();
            return topic !== '*';
          },
        }),
      );
      const c = await t.connect();
      const reply = await c.subscribe('*', 'news');
      assert.equal(reply.data.code, ErrorCode.FORBIDDEN);
      assert.deepEqual(reply.data.details.rejected, [{ name: '*', code: ErrorCode.FORBIDDEN }]);
      assert.deepEqual(c.connection!.subscriptions, ['news']);
    });

    it('with both undeclared and refused names, details.rejected lists each with its own code', async () => {
      t = await createTestApp(baseOptions({ canSubscribe: (_c, topic) => topic !== 'secret' }));
      const c = await t.connect();
      const reply = await c.subscribe('secret', 'ghost', 'news');
      assert.equal(reply.event, 'error');
      const rejected = [...reply.data.details.rejected].sort((a, b) =>
        a.name.localeCompare(b.name),
      );
      assert.deepEqual(rejected, [
        { name: 'ghost', code: ErrorCode.UNKNOWN_EVENT },
        { name: 'secret', code: ErrorCode.FORBIDDEN },
      ]);
      assert.deepEqual(c.connection!.subscriptions, ['news']);
    });

    it('canHandle refusing a message answers FORBIDDEN with id and event, and the handler does not run', async () => {
      const seen: Array<{ event: string; id: unknown; user: unknown }> = [];
      t = await createTestApp(
        baseOptions({
          canHandle: (ctx: Context) => {
            seen.push({ event: ctx.event, id: ctx.id, user: ctx.connection.user });
            return ctx.event !== 'admin' || ctx.connection.user === 'root';
          },
        }),
      );
      const c = await t.connect({ user: 'guest' });
      await sendRawAndSettle(t, c, JSON.stringify({ event: 'admin', id: 'a1', data: {} }));
      assertOneError(c, { code: ErrorCode.FORBIDDEN, id: 'a1', event: 'admin' });
      assert.equal(t.app.get(AdminHandler).calls, 0);
      assert.deepEqual(seen, [{ event: 'admin', id: 'a1', user: 'guest' }]);
      c.clear();
      await assertStillWorks(c);

      const root = await t.connect({ user: 'root' });
      const ok = await root.request('admin', {});
      assert.equal(ok.event, 'ack');
      assert.equal(ok.data, 'done');
      assert.equal(t.app.get(AdminHandler).calls, 1);
    });

    it('an async canHandle refusing a message without an id still answers FORBIDDEN', async () => {
      t = await createTestApp(
        baseOptions({
          canHandle: async (ctx) => {
            await Promise.resolve();
            return ctx.event !== 'admin';
          },
        }),
      );
      const c = await t.connect();
      c.send('admin', {});
      await t.idle();
      assertOneError(c, { code: ErrorCode.FORBIDDEN, event: 'admin' });
      assert.equal(t.app.get(AdminHandler).calls, 0);
    });
  });

  describe('RATE_LIMITED', () => {
    it('refuses envelopes past the limit and lets more through as tokens refill with the clock', async () => {
      t = await createTestApp(baseOptions({ rateLimit: { messages: 2, perMs: 1000 } }));
      const c = await t.connect();
      const other = await t.connect();
      const handler = t.app.get(EchoHandler);

      assert.equal((await c.request('echo', { n: 1 })).event, 'ack');
      assert.equal((await c.request('echo', { n: 2 })).event, 'ack');
      const limited = await c.request('echo', { n: 3 }, { id: 'r3' });
      assert.equal(limited.event, 'error');
      assert.equal(limited.id, 'r3');
      assert.equal(limited.data.code, ErrorCode.RATE_LIMITED);
      assert.equal(limited.data.event, 'echo');
      assert.equal(handler.calls, 2, 'a rate-limited envelope is not handled');

      // Another connection has its own budget.
      assert.equal((await other.request('echo', { n: 1 })).event, 'ack');

      // Without an id the refusal is still answered.
      c.clear();
      c.send('echo', { n: 4 });
      await t.idle();
      assertOneError(c, { code: ErrorCode.RATE_LIMITED, event: 'echo' });

      // 600 ms give 1.2 tokens: one envelope passes, the next does not.
      await t.clock.advance(600);
      assert.equal((await c.request('echo', { n: 5 })).event, 'ack');
      assert.equal((await c.request('echo', { n: 6 })).data.code, ErrorCode.RATE_LIMITED);

      // A long pause refills to the limit, never beyond it.
      await t.clock.advance(10_000);
      assert.equal((await c.request('echo', { n: 7 })).event, 'ack');
      assert.equal((await c.request('echo', { n: 8 })).event, 'ack');
      assert.equal((await c.request('echo', { n: 9 })).data.code, ErrorCode.RATE_LIMITED);
      assert.equal(c.closed, false, 'rate limiting never closes the connection');
    });

    it('past the limit, decodes only a small frame for its id; a large one is refused unread', async () => {
      t = await createTestApp(baseOptions({ rateLimit: { messages: 1, perMs: 1000 } }));
      const c = await t.connect();
      assert.equal((await c.request('echo', { n: 1 })).event, 'ack');
      const small = await c.request('echo', { n: 2 }, { id: 'small' });
      assert.equal(small.data.code, ErrorCode.RATE_LIMITED);
      assert.equal(small.id, 'small');
      c.clear();
      const large = JSON.stringify({
        event: 'echo',
        id: 'large',
        data: { text: 'x'.repeat(4096) },
      });
      await sendRawAndSettle(t, c, large);
      // No id and no event: the large frame was not parsed.
      assertOneError(c, { code: ErrorCode.RATE_LIMITED });
      assert.equal(t.app.get(EchoHandler).calls, 1);
    });

    it('counts subscribe envelopes too', async () => {
      t = await createTestApp(baseOptions({ rateLimit: { messages: 1, perMs: 1000 } }));
      const c = await t.connect();
      assert.equal((await c.subscribe('news')).event, 'ack');
      const limited = await c.subscribe('secret');
      assert.equal(limited.data.code, ErrorCode.RATE_LIMITED);
      assert.equal(limited.data.event, 'subscribe');
      assert.deepEqual(c.connection!.subscriptions, ['news']);
    });
  });

  describe('HANDLER_ERROR', () => {
    for (const event of ['fail.plain', 'fail.async', 'fail.string', 'fail.internal']) {
      it(`${event}: a generic message, and the real one never leaks`, async () => {
        t = await createTestApp(baseOptions({ exposeErrors: [DomainError] }));
        const c = await t.connect();
        await sendRawAndSettle(t, c, JSON.stringify({ event, id: 'h1', data: {} }));
        const data = assertOneError(c, { code: ErrorCode.HANDLER_ERROR, id: 'h1', event });
        assert.equal(data.message, 'the handler failed');
        assert.ok(!('details' in data));
        assert.ok(!c.socket.frames.join('').includes('hunter2'), 'the secret is not on the wire');
        const logged = t.logs.filter((l) => l.level === 'error');
        assert.ok(logged.length >= 1, 'the failure is logged on the server');
        c.clear();
        await assertStillWorks(c);
      });
    }

    it('a handler failure without an id is still answered, without an id', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      c.send('fail.plain', {});
      await t.idle();
      const data = assertOneError(c, { code: ErrorCode.HANDLER_ERROR, event: 'fail.plain' });
      assert.equal(data.message, 'the handler failed');
    });

    it('shows a ClientError message and details', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      const reply = await c.request('fail.client', {}, { id: 7 });
      assert.equal(reply.event, 'error');
      assert.equal(reply.id, 7);
      assert.deepEqual(reply.data, {
        code: ErrorCode.HANDLER_ERROR,
        message: 'the room is full',
        event: 'fail.client',
        details: { capacity: 10 },
      });
      const later = await c.request('fail.client.async', {});
      assert.equal(later.data.code, ErrorCode.HANDLER_ERROR);
      assert.equal(later.data.message, 'try again later');
      assert.equal(later.data.event, 'fail.client.async');
      await assertStillWorks(c);
    });

    it('sends a CaromError thrown by a handler with its own code (FORBIDDEN)', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      const reply = await c.request('fail.forbidden', {}, { id: 'f' });
      assert.equal(reply.event, 'error');
      assert.equal(reply.id, 'f');
      assert.equal(reply.data.code, ErrorCode.FORBIDDEN);
      assert.equal(reply.data.message, 'only the owner may do that');
      assert.equal(reply.data.event, 'fail.forbidden');
      await assertStillWorks(c);
    });

    it('exposeErrors shows the messages of listed classes only', async () => {
      t = await createTestApp(baseOptions({ exposeErrors: [DomainError] }));
      const c = await t.connect();
      const shown = await c.request('fail.domain', {});
      assert.equal(shown.data.code, ErrorCode.HANDLER_ERROR);
      assert.equal(shown.data.message, 'insufficient funds');
      assert.equal(shown.data.event, 'fail.domain');
      const hidden = await c.request('fail.internal', {});
      assert.equal(hidden.data.code, ErrorCode.HANDLER_ERROR);
      assert.equal(hidden.data.message, 'the handler failed');
    });

    it('without exposeErrors the same class is hidden', async () => {
      t = await createTestApp(baseOptions());
      const c = await t.connect();
      const hidden = await c.request('fail.domain', {});
      assert.equal(hidden.data.code, ErrorCode.HANDLER_ERROR);
      assert.equal(hidden.data.message, 'the handler failed');
      assert.ok(!c.socket.frames.join('').includes('insufficient funds'));
    });

    for (const event of ['fail.bigint', 'fail.bigint.async', 'fail.cycle']) {
      it(`${event}: a reply that cannot be serialized answers HANDLER_ERROR with id and event`, async () => {
        t = await createTestApp(baseOptions());
        const c = await t.connect();
        await sendRawAndSettle(t, c, JSON.stringify({ event, id: 'b1', data: {} }));
        const data = assertOneError(c, { code: ErrorCode.HANDLER_ERROR, id: 'b1', event });
        assert.equal(data.message, 'the handler failed');
        c.clear();
        await assertStillWorks(c);
      });
    }

    it('a non-serializable reply with canHandle set (the general path) also answers HANDLER_ERROR', async () => {
      t = await createTestApp(baseOptions({ canHandle: () => true }));
      const c = await t.connect();
      const reply = await c.request('fail.bigint', {}, { id: 'g' });
      assert.equal(reply.event, 'error');
      assert.equal(reply.id, 'g');
      assert.equal(reply.data.code, ErrorCode.HANDLER_ERROR);
      assert.equal(reply.data.message, 'the handler failed');
      assert.equal(reply.data.event, 'fail.bigint');
      await assertStillWorks(c);
    });
  });

  describe('oversize frames', () => {
    it('closes the connection with 1009; other clients keep working', async () => {
      t = await createTestApp(baseOptions({ maxPayload: 1024 }));
      const big = await t.connect();
      const other = await t.connect();
      await big.subscribe('news');
      assert.equal(t.app.openConnections.length, 2);
      big.sendRaw(JSON.stringify({ event: 'echo', id: 1, data: { blob: 'x'.repeat(2000) } }));
      await t.idle();
      assert.equal(big.closed, true);
      assert.equal(big.closeCode, CloseCode.MESSAGE_TOO_BIG);
      assert.equal(big.closeCode, 1009);
      assert.equal(t.app.get(EchoHandler).calls, 0, 'the oversize frame is never handled');
      assert.equal(big.connection!.open, false);
      assert.deepEqual(t.app.openConnections, [other.connection]);
      assert.equal(t.app.subscribers('news').length, 0, 'its subscriptions are gone');
      await assertStillWorks(other);
      const late = await t.connect();
      await assertStillWorks(late);
    });

    it('an oversize binary frame closes with 1009 too', async () => {
      t = await createTestApp(baseOptions({ maxPayload: 1024 }));
      const c = await t.connect();
      c.sendBinary(new Uint8Array(1025));
      await t.idle();
      assert.equal(c.closeCode, 1009);
    });

    it('a frame of exactly maxPayload bytes is handled', async () => {
      t = await createTestApp(baseOptions({ maxPayload: 1024 }));
      const c = await t.connect();
      const head = '{"event":"echo","id":1,"data":{"blob":"';
      const tail = '"}}';
      const text = head + 'x'.repeat(1024 - head.length - tail.length) + tail;
      assert.equal(Buffer.byteLength(text), 1024);
      const reply = c.next('ack');
      c.sendRaw(text);
      const ack = await reply;
      assert.equal(ack.id, 1);
      assert.equal(c.closed, false);
    });

    it('counts bytes, not characters: 600 two-byte characters exceed 1024', async () => {
      t = await createTestApp(baseOptions({ maxPayload: 1024 }));
      const c = await t.connect();
      c.sendRaw(JSON.stringify({ event: 'echo', data: 'é'.repeat(600) }));
      await t.idle();
      assert.equal(c.closeCode, 1009);
    });
  });

  it('each bad frame in a row gets its own error, in order, and the connection keeps working', async () => {
    t = await createTestApp(baseOptions());
    const c = await t.connect();
    c.sendRaw('nope');
    c.sendRaw('[]');
    c.sendRaw(JSON.stringify({ event: 'ghost', id: 1 }));
    c.sendRaw(JSON.stringify({ event: 'note', id: 2, data: {} }));
    c.sendRaw(JSON.stringify({ event: 'fail.plain', id: 3 }));
    c.sendRaw(JSON.stringify({ event: 'echo', id: 4, data: 'ok' }));
    await t.idle();
    const codes = c.received.map((e) => (e.event === 'error' ? e.data.code : e.event));
    assert.deepEqual(codes, [
      ErrorCode.BAD_JSON,
      ErrorCode.BAD_ENVELOPE,
      ErrorCode.UNKNOWN_EVENT,
      ErrorCode.VALIDATION_FAILED,
      ErrorCode.HANDLER_ERROR,
      'ack',
    ]);
    assert.deepEqual(
      c.received.map((e) => e.id),
      [undefined, undefined, 1, 2, 3, 4],
    );
  });
});
