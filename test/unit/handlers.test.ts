import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsDefined,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  Carom,
  ClientError,
  ConfigurationError,
  ErrorCode,
  Handler,
  Injectable,
  On,
  OnConnect,
  Payload,
  Sender,
  TimedSender,
  Topic,
  type Connection,
  type Context,
} from '../../src/index.js';
import { createTestApp, settle, type TestApp } from '../../src/testing/index.js';
import { deferred } from '../support/deferred.js';

interface Failure {
  property: string;
  constraints: Record<string, string>;
}

/** details of a VALIDATION_FAILED reply as `property -> sorted constraint names`. */
function failures(details: Failure[]): Record<string, string[]> {
  return Object.fromEntries(
    details.map((d) => [d.property, Object.keys(d.constraints).sort()] as const),
  );
}

// ---------------------------------------------------------------------------
// DTOs
// ---------------------------------------------------------------------------

class MessageDto {
  @IsString()
  @IsNotEmpty()
  text!: string;
}

class AddressDto {
  @IsString()
  @MinLength(2)
  city!: string;

  @IsInt()
  @Min(1000)
  @Max(99999)
  zip!: number;
}

class ItemDto {
  @IsString()
  name!: string;

  @IsInt()
  @Min(1)
  qty!: number;
}

class OrderDto {
  @IsString()
  @MaxLength(10)
  customer!: string;

  @IsOptional()
  @IsString()
  note?: string;

  @IsDefined()
  @ValidateNested()
  @Type(() => AddressDto)
  address!: AddressDto;

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items!: ItemDto[];
}

// ---------------------------------------------------------------------------
// Handler classes, controllers, services, senders
// ---------------------------------------------------------------------------

@Injectable()
class Greeter {
  static constructed = 0;
  constructor() {
    Greeter.constructed++;
  }
  greet(name: string): string {
    return `hello ${name}`;
  }
}

@Injectable()
class Audit {
  readonly entries: string[] = [];
  constructor(readonly greeter: Greeter) {}
  record(entry: string): void {
    this.entries.push(entry);
  }
}

@Topic('greeted')
class GreetedSender extends Sender<{ name: string }> {}

@Topic('news')
class NewsSender extends Sender<{ headline: string }> {}

class GreetDto {
  @IsString()
  name!: string;
}

@On('greet')
class GreetHandler extends Handler<GreetDto> {
  constructor(
    readonly greeter: Greeter,
    readonly greeted: GreetedSender,
    readonly audit: Audit,
    readonly app: Carom,
  ) {
    super();
  }

  async handle(@Payload() data: GreetDto, ctx: Context): Promise<unknown> {
    this.audit.record(`${ctx.event}:${data.name}`);
    const delivered = await this.greeted.send({ name: data.name });
    return {
      text: this.greeter.greet(data.name),
      delivered,
      subscribers: this.app.subscribers('greeted').length,
    };
  }
}

@Injectable()
class ChatController {
  readonly log: string[] = [];
  constructor(
    readonly news: NewsSender,
    readonly audit: Audit,
  ) {}

  @On('chat.say')
  say(message: MessageDto, ctx: Context): string {
    assert.ok(message instanceof MessageDto);
    this.log.push(`say:${message.text}:${String(ctx.id)}`);
    return message.text.toUpperCase();
  }

  @On('chat.announce')
  async announce(message: MessageDto): Promise<number> {
    this.audit.record(`announce:${message.text}`);
    return this.news.send({ headline: message.text });
  }

  @On('chat.count')
  count(): number {
    return this.log.length;
  }
}

/** DTO given by @On options: the handle method has no decorated parameter. */
@On('order.by.option', { dto: OrderDto })
class OrderByOptionHandler extends Handler<OrderDto> {
  seen: unknown[] = [];
  handle(data: OrderDto): unknown {
    this.seen.push(data);
    return { isOrder: data instanceof OrderDto, customer: data.customer };
  }
}

/** DTO read from the @Payload() parameter's type. */
@On('order.by.param')
class OrderByParamHandler extends Handler<OrderDto> {
  seen: unknown[] = [];
  handle(@Payload() data: OrderDto): unknown {
    this.seen.push(data);
    return {
      isOrder: data instanceof OrderDto,
      addressIsInstance: data.address instanceof AddressDto,
      itemsAreInstances: data.items.every((i) => i instanceof ItemDto),
      keys: Object.keys(data).sort(),
      addressKeys: Object.keys(data.address).sort(),
    };
  }
}

/** DTO read from a controller method's parameter type. */
class OrderController {
  seen: unknown[] = [];
  @On('order.by.method')
  place(order: OrderDto, ctx: Context): unknown {
    this.seen.push(order);
    return {
      isOrder: order instanceof OrderDto,
      event: ctx.event,
      keys: Object.keys(order).sort(),
    };
  }
}

/** @On dto option wins over the parameter type. */
@On('option.wins', { dto: MessageDto })
class OptionWinsHandler extends Handler {
  handle(@Payload() data: OrderDto): unknown {
    return { isMessage: data instanceof MessageDto, isOrder: data instanceof OrderDto };
  }
}

const validOrder = {
  customer: 'ann',
  address: { city: 'Paris', zip: 75001 },
  items: [{ name: 'tea', qty: 2 }],
};

function orderApp(extra: Record<string, unknown> = {}): Promise<TestApp> {
  return createTestApp({
    handlers: [OrderByOptionHandler, OrderByParamHandler, OrderController, OptionWinsHandler],
    ...extra,
  });
}

// ---------------------------------------------------------------------------

describe('handlers', () => {
  let t: TestApp | undefined;
  let t2: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    await t2?.close();
    t = undefined;
    t2 = undefined;
  });

  describe('handler classes and injection', () => {
    it('builds a handler class with its senders, providers and the app injected', async () => {
      const before = Greeter.constructed;
      t = await createTestApp({
        handlers: [GreetHandler],
        senders: [GreetedSender],
        providers: [Greeter, Audit],
      });
      const handler = t.app.get(GreetHandler);
      assert.ok(handler instanceof GreetHandler);
      assert.equal(handler.app, t.app, 'the Carom app itself is injected');
      assert.equal(handler.greeter, t.app.get(Greeter), 'providers are single instances');
      assert.equal(handler.audit, t.app.get(Audit));
      assert.equal(handler.audit.greeter, handler.greeter, 'providers get their own dependencies');
      assert.equal(handler.greeted, t.app.get(GreetedSender));
      assert.equal(Greeter.constructed, before + 1, 'one Greeter per app');

      const listener = await t.connect();
      await listener.subscribe('greeted');
      const c = await t.connect();
      const reply = await c.request('greet', { name: 'bob' });
      assert.equal(reply.event, 'ack');
      assert.deepEqual(reply.data, { text: 'hello bob', delivered: 1, subscribers: 1 });
      assert.deepEqual(listener.dataOf('greeted'), [{ name: 'bob' }]);
      assert.deepEqual(t.app.get(Audit).entries, ['greet:bob']);
    });

    it('a provider the handler needs may come as a ready instance', async () => {
      const audit = new Audit(new Greeter());
      t = await createTestApp({
        handlers: [GreetHandler],
        senders: [GreetedSender],
        providers: [Greeter, audit],
      });
      assert.equal(t.app.get(GreetHandler).audit, audit);
      const c = await t.connect();
      await c.request('greet', { name: 'eve' });
      assert.deepEqual(audit.entries, ['greet:eve']);
    });

    it('a controller class handles several events with its @On methods', async () => {
      t = await createTestApp({
        handlers: [ChatController],
        senders: [NewsSender],
        providers: [Audit, Greeter],
      });
      const listener = await t.connect();
      await listener.subscribe('news');
      const c = await t.connect();

      const said = await c.request('chat.say', { text: 'hi' }, { id: 's1' });
      assert.equal(said.event, 'ack');
      assert.equal(said.data, 'HI');
      const announced = await c.request('chat.announce', { text: 'big news' });
      assert.equal(announced.data, 1, 'the ack carries the async return value');
      assert.deepEqual(listener.dataOf('news'), [{ headline: 'big news' }]);
      const count = await c.request('chat.count', {});
      assert.equal(count.data, 1);

      const ctl = t.app.get(ChatController);
      assert.deepEqual(ctl.log, ['say:hi:s1']);
      assert.deepEqual(ctl.audit.entries, ['announce:big news']);
    });

    it('ready instances are used as they are, instead of classes', async () => {
      class Counter {
        calls = 0;
        constructor(readonly step: number) {}
        @On('count')
        count(): number {
          this.calls += this.step;
          return this.calls;
        }
      }
      const counter = new Counter(5);
      @Topic('tick')
      class TickSender extends Sender<number> {}
      const ticks = new TickSender();
      t = await createTestApp({ handlers: [counter], senders: [ticks] });
      assert.equal(t.app.get(Counter), counter);
      assert.equal(t.app.get(TickSender), ticks);
      const c = await t.connect();
      assert.equal((await c.request('count', {})).data, 5);
      assert.equal((await c.request('count', {})).data, 10);
      assert.equal(counter.calls, 10);
      await c.subscribe('tick');
      assert.equal(await ticks.send(3), 1, 'the ready sender instance is bound to the app');
      assert.deepEqual(c.dataOf('tick'), [3]);
    });
  });

  describe('replies', () => {
    class Replies {
      @On('r.sync') sync(): unknown {
        return { a: 1, list: [1, 'two', null] };
      }
      @On('r.async') async async(): Promise<unknown> {
        await Promise.resolve();
        return { b: 2 };
      }
      @On('r.undefined') nothing(): void {}
      @On('r.async.undefined') async asyncNothing(): Promise<void> {
        await Promise.resolve();
      }
      @On('r.null') nil(): null {
        return null;
      }
      @On('r.zero') zero(): number {
        return 0;
      }
      @On('r.false') no(): boolean {
        return false;
      }
      @On('r.empty') empty(): string {
        return '';
      }
      @On('r.echo') echo(data: unknown): unknown {
        return data;
      }
    }

    const cases: Array<[string, unknown]> = [
      ['r.sync', { a: 1, list: [1, 'two', null] }],
      ['r.async', { b: 2 }],
      ['r.undefined', null],
      ['r.async.undefined', null],
      ['r.null', null],
      ['r.zero', 0],
      ['r.false', false],
      ['r.empty', ''],
    ];
    for (const [event, expected] of cases) {
      it(`${event}: the ack's data is ${JSON.stringify(expected)}`, async () => {
        t = await createTestApp({ handlers: [Replies] });
        const c = await t.connect();
        const reply = await c.request(event, {}, { id: 42 });
        assert.equal(reply.event, 'ack');
        assert.equal(reply.id, 42);
        assert.ok('data' in reply, 'the ack always has data');
        assert.deepEqual(reply.data, expected);
        assert.equal(typeof reply.timestamp, 'string');
      });
    }

    it('missing data reaches the handler as {}; other JSON values as they are', async () => {
      t = await createTestApp({ handlers: [Replies] });
      const c = await t.connect();
      assert.deepEqual((await c.request('r.echo')).data, {});
      assert.deepEqual((await c.request('r.echo', [1, 2])).data, [1, 2]);
      assert.equal((await c.request('r.echo', 'text')).data, 'text');
      assert.equal((await c.request('r.echo', 7)).data, 7);
      assert.equal((await c.request('r.echo', null)).data, null);
    });

    it('without an id the handler runs but no ack is sent', async () => {
      let ran = 0;
      class Quiet {
        @On('quiet') q(): string {
          ran++;
          return 'hidden';
        }
      }
      t = await createTestApp({ handlers: [Quiet] });
      const c = await t.connect();
      c.send('quiet', {});
      await t.idle();
      assert.equal(ran, 1);
      assert.deepEqual(c.received, []);
    });
  });

  describe('several handlers for one event', () => {
    const order: string[] = [];
    @On('multi')
    class First extends Handler {
      handle(): undefined {
        order.push('First');
        return undefined;
      }
    }
    @On('multi')
    class Second extends Handler {
      async handle(): Promise<string> {
        await Promise.resolve();
        order.push('Second');
        return 'from Second';
      }
    }
    @On('multi')
    class Third extends Handler {
      handle(): string {
        order.push('Third');
        return 'from Third';
      }
    }

    it('runs all of them, in registration order; the ack carries the first value that is not undefined', async () => {
      order.length = 0;
      t = await createTestApp({ handlers: [First, Second, Third] });
      const c = await t.connect();
      const reply = await c.request('multi', {});
      assert.deepEqual(order, ['First', 'Second', 'Third']);
      assert.equal(reply.event, 'ack');
      assert.equal(reply.data, 'from Second');
    });

    it('registration order is the order of the handlers option', async () => {
      order.length = 0;
      t = await createTestApp({ handlers: [Third, First, Second] });
      const c = await t.connect();
      const reply = await c.request('multi', {});
      assert.deepEqual(order, ['Third', 'First', 'Second']);
      assert.equal(reply.data, 'from Third');
    });

    it('methods of one controller for the same event run in declaration order, after earlier classes', async () => {
      const seen: string[] = [];
      class Early {
        @On('both') a(): void {
          seen.push('Early.a');
        }
      }
      class Pair {
        @On('both') one(): undefined {
          seen.push('Pair.one');
          return undefined;
        }
        @On('both') two(): string {
          seen.push('Pair.two');
          return 'two';
        }
      }
      t = await createTestApp({ handlers: [Early, Pair] });
      const c = await t.connect();
      const reply = await c.request('both', {});
      assert.deepEqual(seen, ['Early.a', 'Pair.one', 'Pair.two']);
      assert.equal(reply.data, 'two');
    });

    it('each handler starts only after the previous one finished', async () => {
      const log: string[] = [];
      const gate = deferred();
      class Slow {
        @On('seq') async slow(): Promise<void> {
          log.push('slow:start');
          await gate.promise;
          log.push('slow:end');
        }
      }
      class Fast {
        @On('seq') fast(): string {
          log.push('fast');
          return 'fast';
        }
      }
      t = await createTestApp({ handlers: [Slow, Fast] });
      const c = await t.connect();
      const reply = c.request('seq', {});
      await settle();
      assert.deepEqual(log, ['slow:start']);
      gate.resolve();
      assert.equal((await reply).data, 'fast');
      assert.deepEqual(log, ['slow:start', 'slow:end', 'fast']);
    });

    it('one throwing still lets the others run, and the reply is the error', async () => {
      const ran: string[] = [];
      class A {
        @On('boom') a(): string {
          ran.push('A');
          return 'a';
        }
      }
      class B {
        @On('boom') b(): never {
          ran.push('B');
          throw new ClientError('B failed');
        }
      }
      class C {
        @On('boom') async c(): Promise<never> {
          ran.push('C');
          throw new Error('C internal');
        }
      }
      class D {
        @On('boom') d(): string {
          ran.push('D');
          return 'd';
        }
      }
      t = await createTestApp({ handlers: [A, B, C, D] });
      const c = await t.connect();
      const reply = await c.request('boom', {}, { id: 'x' });
      assert.deepEqual(ran, ['A', 'B', 'C', 'D']);
      assert.equal(reply.event, 'error');
      assert.equal(reply.id, 'x');
      assert.equal(reply.data.code, ErrorCode.HANDLER_ERROR);
      assert.equal(reply.data.message, 'B failed', 'the first failure answers');
      assert.equal(reply.data.event, 'boom');
      assert.equal(c.dataOf('ack').length, 0, 'no ack besides the error');
    });

    it('a generic failure among several handlers is answered generically', async () => {
      class Ok {
        @On('gen') ok(): string {
          return 'ok';
        }
      }
      class Bad {
        @On('gen') bad(): never {
          throw new Error('db password leaked');
        }
      }
      t = await createTestApp({ handlers: [Ok, Bad] });
      const c = await t.connect();
      const reply = await c.request('gen', {});
      assert.equal(reply.event, 'error');
      assert.equal(reply.data.message, 'the handler failed');
      assert.ok(!c.socket.frames.join('').includes('password'));
    });

    it('handlers with different DTOs each get their own instance; one failing validation refuses all', async () => {
      const got: unknown[] = [];
      class NameDto {
        @IsString() name!: string;
      }
      class AgeDto {
        @IsInt() age!: number;
      }
      class ByName {
        @On('person') n(d: NameDto): void {
          got.push(d);
        }
      }
      class ByAge {
        @On('person') a(d: AgeDto): void {
          got.push(d);
        }
      }
      t = await createTestApp({ handlers: [ByName, ByAge] });
      const c = await t.connect();
      const ok = await c.request('person', { name: 'ann', age: 30 });
      assert.equal(ok.event, 'ack');
      assert.equal(got.length, 2);
      assert.ok(got[0] instanceof NameDto);
      assert.deepEqual({ ...(got[0] as object) }, { name: 'ann' });
      assert.ok(got[1] instanceof AgeDto);
      assert.deepEqual({ ...(got[1] as object) }, { age: 30 });

      got.length = 0;
      const bad = await c.request('person', { name: 'ann', age: 'old' });
      assert.equal(bad.data.code, ErrorCode.VALIDATION_FAILED);
      assert.deepEqual(got, [], 'every payload is validated before any handler runs');
    });
  });

  describe('DTO validation', () => {
    for (const event of ['order.by.option', 'order.by.param', 'order.by.method']) {
      it(`${event}: a valid payload reaches the handler as an instance of the DTO`, async () => {
        t = await orderApp();
        const c = await t.connect();
        const reply = await c.request(event, validOrder);
        assert.equal(reply.event, 'ack', JSON.stringify(reply));
        assert.equal(reply.data.isOrder, true);
      });

      it(`${event}: every failing property is listed with its constraints, nested ones as dotted paths`, async () => {
        t = await orderApp();
        const c = await t.connect();
        const reply = await c.request(
          event,
          {
            customer: 'a name that is far too long',
            note: 5,
            address: { city: 'X', zip: 'abc' },
            items: [
              { name: 'ok', qty: 1 },
              { name: 3, qty: 0 },
            ],
          },
          { id: 'bad' },
        );
        assert.equal(reply.event, 'error');
        assert.equal(reply.id, 'bad');
        assert.equal(reply.data.code, ErrorCode.VALIDATION_FAILED);
        assert.equal(reply.data.event, event);
        assert.deepEqual(failures(reply.data.details), {
          customer: ['maxLength'],
          note: ['isString'],
          'address.city': ['minLength'],
          'address.zip': ['isInt', 'max', 'min'],
          'items.1.name': ['isString'],
          'items.1.qty': ['min'],
        });
        for (const d of reply.data.details as Failure[]) {
          for (const message of Object.values(d.constraints)) {
            assert.equal(typeof message, 'string');
            assert.ok(message.length > 0);
          }
        }
        const seen = [
          ...t.app.get(OrderByOptionHandler).seen,
          ...t.app.get(OrderByParamHandler).seen,
          ...t.app.get(OrderController).seen,
        ];
        assert.deepEqual(seen, [], 'the handler never runs on an invalid payload');
      });

      it(`${event}: a missing nested object and missing properties are reported`, async () => {
        t = await orderApp();
        const c = await t.connect();
        const reply = await c.request(event, {});
        assert.equal(reply.data.code, ErrorCode.VALIDATION_FAILED);
        const props = Object.keys(failures(reply.data.details)).sort();
        assert.ok(props.includes('customer'), props.join());
        assert.ok(props.includes('items'), props.join());
        assert.deepEqual(failures(reply.data.details).address, ['isDefined']);
        assert.ok(!props.includes('note'), 'an optional property may be missing');
      });

      for (const [what, data] of [
        ['a string', 'order'],
        ['an array', [validOrder]],
        ['null', null],
        ['a number', 12],
        ['a boolean', true],
      ] as const) {
        it(`${event}: ${what} as payload is VALIDATION_FAILED`, async () => {
          t = await orderApp();
          const c = await t.connect();
          const reply = await c.request(event, data);
          assert.equal(reply.event, 'error');
          assert.equal(reply.data.code, ErrorCode.VALIDATION_FAILED);
          assert.equal(reply.data.event, event);
          assert.ok(Array.isArray(reply.data.details) && reply.data.details.length > 0);
          assert.equal(c.closed, false);
        });
      }
    }

    it('the @On dto option overrides the parameter type', async () => {
      t = await orderApp();
      const c = await t.connect();
      const ok = await c.request('option.wins', { text: 'hi' });
      assert.deepEqual(ok.data, { isMessage: true, isOrder: false });
      const bad = await c.request('option.wins', validOrder);
      assert.equal(bad.data.code, ErrorCode.VALIDATION_FAILED);
      assert.deepEqual(Object.keys(failures(bad.data.details)), ['text']);
    });

    it("unknownProperties 'strip' (the default) removes undeclared properties, nested too, before the handler sees them", async () => {
      t = await orderApp();
      const c = await t.connect();
      const reply = await c.request('order.by.param', {
        ...validOrder,
        admin: true,
        address: { ...validOrder.address, planet: 'mars' },
      });
      assert.equal(reply.event, 'ack', JSON.stringify(reply));
      assert.deepEqual(reply.data, {
        isOrder: true,
        addressIsInstance: true,
        itemsAreInstances: true,
        keys: ['address', 'customer', 'items'],
        addressKeys: ['city', 'zip'],
      });
      const seen = t.app.get(OrderByParamHandler).seen[0] as Record<string, unknown>;
      assert.equal('admin' in seen, false);
    });

    it("unknownProperties 'strip' applies to controller methods too", async () => {
      t = await orderApp({ unknownProperties: 'strip' });
      const c = await t.connect();
      const reply = await c.request('order.by.method', { ...validOrder, extra: 1 });
      assert.deepEqual(reply.data.keys, ['address', 'customer', 'items']);
    });

    it("unknownProperties 'refuse' answers VALIDATION_FAILED naming the extra property", async () => {
      t = await orderApp({ unknownProperties: 'refuse' });
      const c = await t.connect();
      const reply = await c.request('order.by.option', { ...validOrder, admin: true });
      assert.equal(reply.event, 'error');
      assert.equal(reply.data.code, ErrorCode.VALIDATION_FAILED);
      const byProperty = failures(reply.data.details);
      assert.deepEqual(Object.keys(byProperty), ['admin']);
      assert.equal(t.app.get(OrderByOptionHandler).seen.length, 0);
      const ok = await c.request('order.by.option', validOrder);
      assert.equal(ok.event, 'ack');
    });

    it("unknownProperties 'refuse' names extra nested properties with their path", async () => {
      t = await orderApp({ unknownProperties: 'refuse' });
      const c = await t.connect();
      const reply = await c.request('order.by.option', {
        ...validOrder,
        address: { ...validOrder.address, planet: 'mars' },
      });
      assert.equal(reply.data.code, ErrorCode.VALIDATION_FAILED);
      assert.deepEqual(Object.keys(failures(reply.data.details)), ['address.planet']);
    });

    it("unknownProperties 'keep' lets undeclared properties through", async () => {
      t = await orderApp({ unknownProperties: 'keep' });
      const c = await t.connect();
      const reply = await c.request('order.by.param', { ...validOrder, admin: true });
      assert.equal(reply.event, 'ack');
      assert.deepEqual(reply.data.keys, ['address', 'admin', 'customer', 'items']);
      const seen = t.app.get(OrderByParamHandler).seen[0] as Record<string, unknown>;
      assert.equal(seen.admin, true);
      assert.ok(seen instanceof OrderDto);
    });

    it('class-transformer builds the DTO instance: methods and getters of the DTO work', async () => {
      class RangeDto {
        @IsInt() from!: number;
        @IsInt() to!: number;
        get length(): number {
          return this.to - this.from;
        }
        contains(n: number): boolean {
          return n >= this.from && n <= this.to;
        }
      }
      class Ranges {
        @On('range') check(range: RangeDto): unknown {
          return {
            instance: range instanceof RangeDto,
            length: range.length,
            has5: range.contains(5),
          };
        }
      }
      t = await createTestApp({ handlers: [Ranges] });
      const c = await t.connect();
      const reply = await c.request('range', { from: 1, to: 10 });
      assert.deepEqual(reply.data, { instance: true, length: 9, has5: true });
    });

    it('a handler without a DTO gets the payload as it arrived', async () => {
      let got: unknown;
      class Raw {
        @On('raw') take(data: unknown): void {
          got = data;
        }
      }
      t = await createTestApp({ handlers: [Raw] });
      const c = await t.connect();
      await c.request('raw', { anything: [1, { deep: true }], extra: 'kept' });
      assert.deepEqual(got, { anything: [1, { deep: true }], extra: 'kept' });
      assert.equal(Object.getPrototypeOf(got), Object.prototype);
    });
  });

  describe('configuration errors at new Carom(...)', () => {
    it('names the class, the parameter index and the type of an unresolvable constructor parameter', () => {
      @Injectable()
      class Missing {}
      @On('needs')
      class NeedsMissing extends Handler {
        constructor(
          readonly greeter: Greeter,
          readonly missing: Missing,
        ) {
          super();
        }
        handle(): void {}
      }
      assert.throws(
        () => new Carom({ handlers: [NeedsMissing], providers: [Greeter] }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigurationError, String(err));
          assert.match(err.message, /NeedsMissing/);
          assert.match(err.message, /#1/);
          assert.match(err.message, /Missing/);
          assert.doesNotMatch(err.message, /#0/);
          return true;
        },
      );
      // Registering it fixes it.
      const app = new Carom({ handlers: [NeedsMissing], providers: [Greeter, Missing] });
      assert.ok(app.get(NeedsMissing).missing instanceof Missing);
    });

    it('names the class, index and type of a parameter whose type cannot be injected', () => {
      interface Settings {
        url: string;
      }
      @On('needs.settings')
      class NeedsSettings extends Handler {
        constructor(readonly settings: Settings) {
          super();
        }
        handle(): void {}
      }
      @On('needs.string')
      class NeedsString extends Handler {
        constructor(
          readonly greeter: Greeter,
          readonly name: string,
        ) {
          super();
        }
        handle(): void {}
      }
      assert.throws(
        () => new Carom({ handlers: [NeedsSettings] }),
        (err: unknown) =>
          err instanceof ConfigurationError &&
          /NeedsSettings/.test(err.message) &&
          /#0/.test(err.message) &&
          /Object/.test(err.message),
      );
      assert.throws(
        () => new Carom({ handlers: [NeedsString], providers: [Greeter] }),
        (err: unknown) =>
          err instanceof ConfigurationError &&
          /NeedsString/.test(err.message) &&
          /#1/.test(err.message) &&
          /String/.test(err.message),
      );
    });

    it('a class with constructor parameters but no recorded types is refused with a hint', () => {
      class Plain {
        constructor(readonly x: number) {}
      }
      @Injectable()
      class Uses {
        constructor(readonly plain: Plain) {}
        @On('uses') use(): void {}
      }
      assert.throws(
        () => new Carom({ handlers: [Uses], providers: [Plain] }),
        (err: unknown) =>
          err instanceof ConfigurationError &&
          /Plain/.test(err.message) &&
          /emitDecoratorMetadata/.test(err.message),
      );
    });

    it('reports a circular constructor dependency, naming the cycle', () => {
      @Injectable()
      class Alpha {
        constructor(readonly beta: unknown) {}
      }
      @Injectable()
      class Beta {
        constructor(readonly alpha: unknown) {}
      }
      // A cycle cannot be written with types in one module (the class used first
      // is not yet defined), so record the types the compiler would have recorded.
      Reflect.defineMetadata('design:paramtypes', [Beta], Alpha);
      Reflect.defineMetadata('design:paramtypes', [Alpha], Beta);
      @On('cyclic')
      class Cyclic extends Handler {
        constructor(readonly alpha: Alpha) {
          super();
        }
        handle(): void {}
      }
      assert.throws(
        () => new Carom({ handlers: [Cyclic], providers: [Alpha, Beta] }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigurationError, String(err));
          assert.match(err.message, /circular/);
          assert.match(err.message, /Alpha -> Beta -> Alpha/);
          return true;
        },
      );
    });

    it('a self-dependent class is a cycle too', () => {
      @Injectable()
      class Selfish {
        constructor(readonly me: unknown) {}
      }
      Reflect.defineMetadata('design:paramtypes', [Selfish], Selfish);
      class NeedsSelfish {
        constructor(readonly selfish: Selfish) {}
        @On('selfish') h(): void {}
      }
      Reflect.defineMetadata('design:paramtypes', [Selfish], NeedsSelfish);
      assert.throws(
        () => new Carom({ handlers: [NeedsSelfish], providers: [Selfish] }),
        (err: unknown) =>
          err instanceof ConfigurationError && /Selfish -> Selfish/.test(err.message),
      );
    });

    it('a provider that cannot be built fails at new Carom, even when no handler uses it yet', () => {
      @Injectable()
      class Unused {}
      @Injectable()
      class BrokenService {
        constructor(readonly unused: Unused) {}
      }
      assert.throws(
        () => new Carom({ providers: [BrokenService] }),
        (err: unknown) =>
          err instanceof ConfigurationError &&
          /BrokenService/.test(err.message) &&
          /#0/.test(err.message) &&
          /Unused/.test(err.message),
      );
    });

    it('refuses a handler class without @On', () => {
      class NotAHandler {
        handle(): void {}
      }
      assert.throws(
        () => new Carom({ handlers: [NotAHandler] }),
        (err: unknown) =>
          err instanceof ConfigurationError &&
          /NotAHandler/.test(err.message) &&
          /@On/.test(err.message),
      );
    });

    it('accepts a class with only lifecycle hooks as a handler', () => {
      class Hooks {
        @OnConnect() hello(_c: Connection): void {}
      }
      assert.doesNotThrow(() => new Carom({ handlers: [Hooks] }));
    });

    it('refuses a sender without @Topic', () => {
      class Untopical extends Sender {}
      assert.throws(
        () => new Carom({ senders: [Untopical] }),
        (err: unknown) =>
          err instanceof ConfigurationError &&
          /Untopical/.test(err.message) &&
          /@Topic/.test(err.message),
      );
    });

    it('refuses a @Topic class that does not extend Sender', () => {
      @Topic('not.a.sender')
      class NotASender {}
      assert.throws(
        () => new Carom({ senders: [NotASender] }),
        (err: unknown) =>
          err instanceof ConfigurationError &&
          /NotASender/.test(err.message) &&
          /Sender/.test(err.message),
      );
    });

    it('refuses a TimedSender without everyMs, saying how to give one', () => {
      @Topic('clock')
      class Clockless extends TimedSender<number> {
        createMessageData(): number {
          return 1;
        }
      }
      assert.throws(
        () => new Carom({ senders: [Clockless] }),
        (err: unknown) =>
          err instanceof ConfigurationError &&
          /Clockless/.test(err.message) &&
          /everyMs/.test(err.message),
      );
    });

    it('refuses everyMs on a plain Sender', () => {
      @Topic('periodic', { everyMs: 1000 })
      class Periodic extends Sender {}
      assert.throws(
        () => new Carom({ senders: [Periodic] }),
        (err: unknown) =>
          err instanceof ConfigurationError &&
          /Periodic/.test(err.message) &&
          /TimedSender/.test(err.message),
      );
    });

    for (const name of [
      'subscribe',
      'unsubscribe',
      'ack',
      'error',
      'carom.x',
      'carom.channel.created',
    ]) {
      it(`refuses the reserved name '${name}' in @On on a class and on a method`, () => {
        assert.throws(
          () => {
            @On(name)
            class Reserved extends Handler {
              handle(): void {}
            }
            return Reserved;
          },
          (err: unknown) =>
            err instanceof ConfigurationError &&
            err.message.includes(`'${name}'`) &&
            /reserved/.test(err.message),
        );
        assert.throws(
          () => {
            class ReservedMethod {
              @On(name) m(): void {}
            }
            return ReservedMethod;
          },
          (err: unknown) =>
            err instanceof ConfigurationError &&
            err.message.includes(`'${name}'`) &&
            /reserved/.test(err.message),
        );
      });

      it(`refuses the reserved name '${name}' in @Topic and in the topics option`, () => {
        assert.throws(
          () => {
            @Topic(name)
            class ReservedSender extends Sender {}
            return ReservedSender;
          },
          (err: unknown) =>
            err instanceof ConfigurationError &&
            err.message.includes(`'${name}'`) &&
            /reserved/.test(err.message),
        );
        assert.throws(
          () => new Carom({ topics: [name] }),
          (err: unknown) => err instanceof ConfigurationError && /reserved/.test(err.message),
        );
      });
    }

    it('refuses two senders with the same topic, naming both', () => {
      @Topic('dup')
      class FirstDup extends Sender {}
      @Topic('dup')
      class SecondDup extends Sender {}
      assert.throws(
        () => new Carom({ senders: [FirstDup, SecondDup] }),
        (err: unknown) =>
          err instanceof ConfigurationError &&
          /'dup'/.test(err.message) &&
          /FirstDup/.test(err.message) &&
          /SecondDup/.test(err.message),
      );
    });

    it('refuses one sender instance registered with two apps', () => {
      @Topic('shared')
      class Shared extends Sender {}
      const shared = new Shared();
      const first = new Carom({ senders: [shared] });
      assert.equal(first.get(Shared), shared);
      assert.throws(
        () => new Carom({ senders: [shared] }),
        (err: unknown) => err instanceof ConfigurationError && /Shared/.test(err.message),
      );
    });
  });

  describe('no global registry', () => {
    @Topic('bulletin')
    class BulletinSender extends Sender<{ text: string }> {}

    @On('post', { dto: false })
    class PostHandler extends Handler {
      posts = 0;
      constructor(readonly bulletins: BulletinSender) {
        super();
      }
      async handle(data: unknown): Promise<number> {
        this.posts++;
        return this.bulletins.send(data as { text: string });
      }
    }

    it('two apps built from the same classes do not share subscribers, publishes or instances', async () => {
      t = await createTestApp({ handlers: [PostHandler], senders: [BulletinSender] });
      t2 = await createTestApp({ handlers: [PostHandler], senders: [BulletinSender] });
      assert.notEqual(t.app.get(PostHandler), t2.app.get(PostHandler));
      assert.notEqual(t.app.get(BulletinSender), t2.app.get(BulletinSender));

      const a = await t.connect();
      const b = await t2.connect();
      await a.subscribe('bulletin');
      assert.deepEqual(t.app.subscribers('bulletin'), [a.connection]);
      assert.deepEqual(t2.app.subscribers('bulletin'), []);

      // A post on app 2 reaches nobody: its only client did not subscribe.
      const sentOn2 = await b.request('post', { text: 'on two' });
      assert.equal(sentOn2.data, 0);
      assert.deepEqual(a.dataOf('bulletin'), []);

      await b.subscribe('bulletin');
      const sentOn1 = await a.request('post', { text: 'on one' });
      assert.equal(sentOn1.data, 1);
      assert.deepEqual(a.dataOf('bulletin'), [{ text: 'on one' }]);
      assert.deepEqual(b.dataOf('bulletin'), []);

      assert.equal(t2.app.publish('bulletin', { text: 'direct two' }), 1);
      assert.equal(await t2.app.get(BulletinSender).send({ text: 'sender two' }), 1);
      assert.deepEqual(b.dataOf('bulletin'), [{ text: 'direct two' }, { text: 'sender two' }]);
      assert.deepEqual(a.dataOf('bulletin'), [{ text: 'on one' }]);

      assert.equal(t.app.get(PostHandler).posts, 1);
      assert.equal(t2.app.get(PostHandler).posts, 1);
      assert.equal(t.app.openConnections.length, 1);
      assert.equal(t2.app.openConnections.length, 1);
    });

    it('channels and handlers of one app are unknown to the other', async () => {
      class OnlyHere {
        @On('only.here') h(): string {
          return 'here';
        }
      }
      t = await createTestApp({ handlers: [OnlyHere] });
      t2 = await createTestApp({ handlers: [PostHandler], senders: [BulletinSender] });
      t.app.channels.create('lobby');
      const a = await t.connect();
      const b = await t2.connect();
      assert.equal((await a.subscribe('lobby')).event, 'ack');
      const refused = await b.subscribe('lobby');
      assert.equal(refused.data.code, ErrorCode.UNKNOWN_EVENT);
      const unknown = await b.request('only.here', {});
      assert.equal(unknown.data.code, ErrorCode.UNKNOWN_EVENT);
      assert.equal((await a.request('only.here', {})).data, 'here');
    });
  });
});
