/**
 * Validation fails closed. A handler whose DTO carom cannot know (no decorator
 * metadata in the build, `@Payload()` forgotten) refuses to start, saying how
 * to fix it; a handler whose payload is knowingly unvalidated (an interface,
 * `unknown`) is named in a start-up warning, or refused with
 * `unvalidatedHandlers: 'error'`; `{ dto: false }` and a handler without a
 * parameter start quietly; a real DTO validates.
 *
 * A build without decorator metadata (esbuild, tsx, `emitDecoratorMetadata`
 * off) is simulated by classes that carry no decorator in the source, so tsc
 * records no `design:*` types for them, and by applying carom's decorators
 * to them as plain function calls, as such a build would.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { IsInt, IsString, Min } from 'class-validator';
import {
  Carom,
  ConfigurationError,
  ErrorCode,
  Handler,
  On,
  Payload,
  type Context,
} from '../../src/index.js';
import { createTestApp, type TestApp } from '../../src/testing/index.js';
import { failOnEscapes } from '../support/no-escapes.js';

failOnEscapes();

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

class NoteDto {
  @IsString()
  text!: string;

  @IsInt()
  @Min(1)
  priority!: number;
}

interface Shape {
  readonly x: number;
}

/** Asserts a ConfigurationError whose message matches every pattern. */
function refusedWith(...patterns: RegExp[]): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof ConfigurationError, `not a ConfigurationError: ${String(err)}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  };
}

function warnings(app: TestApp): string[] {
  return app.logs
    .filter((l) => l.level === 'warn')
    .map((l) => l.args.map((a) => String(a)).join(' '));
}

// ---------------------------------------------------------------------------
// A build without decorator metadata
// ---------------------------------------------------------------------------

describe('a build without decorator metadata refuses to start', () => {
  it('a class handler that takes a payload: names the handler and the build fix', async () => {
    class Raw extends Handler {
      handle(data: unknown): unknown {
        return data;
      }
    }
    On('raw')(Raw);
    assert.throws(
      () => new Carom({ handlers: [Raw] }),
      refusedWith(/Raw\.handle/, /emitDecoratorMetadata/, /@Payload\(\)/, /dto/),
    );
    await assert.rejects(createTestApp({ handlers: [Raw] }), refusedWith(/Raw\.handle/));
  });

  it('a class handler whose parameter is marked with @Payload() (applied as a call)', () => {
    class RawMarked extends Handler {
      handle(data: NoteDto): unknown {
        return data;
      }
    }
    Payload()(RawMarked.prototype, 'handle', 0);
    On('raw.marked')(RawMarked);
    assert.throws(
      () => new Carom({ handlers: [RawMarked] }),
      refusedWith(/RawMarked\.handle/, /emitDecoratorMetadata/, /esbuild|tsx/),
    );
  });

  it('a controller method: names the method and the build fix', async () => {
    class RawController {
      note(data: NoteDto, ctx: Context): unknown {
        return [data, ctx.id];
      }
    }
    On('note')(
      RawController.prototype,
      'note',
      Object.getOwnPropertyDescriptor(RawController.prototype, 'note')!,
    );
    assert.throws(
      () => new Carom({ handlers: [RawController] }),
      refusedWith(/RawController\.note/, /@On\('note'\)/, /emitDecoratorMetadata/),
    );
    await assert.rejects(
      createTestApp({ handlers: [RawController] }),
      refusedWith(/RawController\.note/, /emitDecoratorMetadata/),
    );
  });

  it('the first of several controller methods without metadata stops the start', () => {
    class RawMany {
      fine(): string {
        return 'fine';
      }
      bad(data: unknown): unknown {
        return data;
      }
    }
    const proto = RawMany.prototype;
    On('fine')(proto, 'fine', Object.getOwnPropertyDescriptor(proto, 'fine')!);
    On('bad')(proto, 'bad', Object.getOwnPropertyDescriptor(proto, 'bad')!);
    assert.throws(() => new Carom({ handlers: [RawMany] }), refusedWith(/RawMany\.bad/));
  });

  it('naming the DTO in @On makes the same build start, and validate', async () => {
    class RawNamed {
      note(data: NoteDto): string {
        return data.text;
      }
    }
    On('note', { dto: NoteDto })(
      RawNamed.prototype,
      'note',
      Object.getOwnPropertyDescriptor(RawNamed.prototype, 'note')!,
    );
    t = await createTestApp({ handlers: [RawNamed] });
    assert.deepEqual(warnings(t), []);
    const client = await t.connect();
    const ok = await client.request('note', { text: 'hi', priority: 2 });
    assert.equal(ok.event, 'ack');
    assert.equal(ok.data, 'hi');
    const bad = await client.request('note', { text: 'hi', priority: 0 });
    assert.equal(bad.event, 'error');
    assert.equal(bad.data.code, ErrorCode.VALIDATION_FAILED);
  });

  it('{ dto: false } and a handler without a parameter start in such a build too', async () => {
    class RawFree {
      any(data: unknown): unknown {
        return data;
      }
      none(): string {
        return 'none';
      }
    }
    const proto = RawFree.prototype;
    On('any', { dto: false })(proto, 'any', Object.getOwnPropertyDescriptor(proto, 'any')!);
    On('none')(proto, 'none', Object.getOwnPropertyDescriptor(proto, 'none')!);
    t = await createTestApp({ handlers: [RawFree], unvalidatedHandlers: 'error' });
    assert.deepEqual(warnings(t), []);
    const client = await t.connect();
    assert.deepEqual((await client.request('any', { x: 1 })).data, { x: 1 });
    assert.equal((await client.request('none')).data, 'none');
  });
});

// ---------------------------------------------------------------------------
// @Payload() forgotten
// ---------------------------------------------------------------------------

describe('a forgotten @Payload()', () => {
  it('on a class handler with a DTO refuses to start, naming @Payload() and the handler', async () => {
    @On('forgot')
    class Forgot extends Handler<NoteDto> {
      handle(note: NoteDto): string {
        return note.text;
      }
    }
    assert.throws(
      () => new Carom({ handlers: [Forgot] }),
      refusedWith(/Forgot\.handle/, /@Payload\(\)/, /handle\(@Payload\(\) data: YourDto\)/),
    );
    await assert.rejects(createTestApp({ handlers: [Forgot] }), refusedWith(/Forgot\.handle/));
  });

  it('with the decorator in place, the same handler validates', async () => {
    @On('remembered')
    class Remembered extends Handler<NoteDto> {
      calls = 0;
      handle(@Payload() note: NoteDto): string {
        this.calls++;
        return note.text;
      }
    }
    t = await createTestApp({ handlers: [Remembered] });
    assert.deepEqual(warnings(t), []);
    const client = await t.connect();
    const bad = await client.request('remembered', { text: 5, priority: 1 });
    assert.equal(bad.event, 'error');
    assert.equal(bad.data.code, ErrorCode.VALIDATION_FAILED);
    assert.deepEqual(
      bad.data.details.map((d: { property: string }) => d.property),
      ['text'],
    );
    assert.equal(t.app.get(Remembered).calls, 0, 'the handler never ran');
    const ok = await client.request('remembered', { text: 'hi', priority: 1 });
    assert.equal(ok.data, 'hi');
    assert.equal(t.app.get(Remembered).calls, 1);
  });
});

// ---------------------------------------------------------------------------
// Handlers that need no DTO
// ---------------------------------------------------------------------------

describe('handlers that take no validated payload on purpose', () => {
  it('{ dto: false } and handle() without a parameter start, with no warning', async () => {
    @On('free', { dto: false })
    class Free extends Handler {
      handle(data: unknown): unknown {
        return data;
      }
    }
    @On('bare')
    class Bare extends Handler {
      handle(): string {
        return 'bare';
      }
    }
    class Methods {
      @On('m.free', { dto: false })
      free(@Payload() data: Shape): unknown {
        return data;
      }

      @On('m.bare')
      bare(): string {
        return 'bare';
      }
    }
    t = await createTestApp({ handlers: [Free, Bare, Methods], unvalidatedHandlers: 'error' });
    assert.deepEqual(warnings(t), []);
    assert.deepEqual(
      t.logs.filter((l) => l.level === 'error'),
      [],
    );
    const client = await t.connect();
    assert.deepEqual((await client.request('free', { any: ['thing'] })).data, { any: ['thing'] });
    assert.equal((await client.request('bare', { ignored: true })).data, 'bare');
    assert.deepEqual((await client.request('m.free', { x: 1 })).data, { x: 1 });
    assert.equal((await client.request('m.bare')).data, 'bare');
  });
});

// ---------------------------------------------------------------------------
// Payloads that go unvalidated
// ---------------------------------------------------------------------------

describe('a handler whose payload goes unvalidated', () => {
  @On('shape')
  class ShapeHandler extends Handler<Shape> {
    handle(@Payload() data: Shape): unknown {
      return data;
    }
  }
  @On('anything')
  class UnknownHandler extends Handler {
    handle(@Payload() data: unknown): unknown {
      return data;
    }
  }
  class Loose {
    @On('loose.shape')
    shape(data: Shape): unknown {
      return data;
    }

    @On('loose.text')
    text(data: string): unknown {
      return data;
    }
  }

  it('is named in a start-up warning with the fix, and still served', async () => {
    t = await createTestApp({ handlers: [ShapeHandler, UnknownHandler, Loose] });
    const lines = warnings(t);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    const line = lines[0]!;
    for (const name of [
      "ShapeHandler.handle ('shape')",
      "UnknownHandler.handle ('anything')",
      "Loose.shape ('loose.shape')",
      "Loose.text ('loose.text')",
    ]) {
      assert.ok(line.includes(name), `${name} not in: ${line}`);
    }
    assert.match(line, /unvalidated/);
    assert.match(line, /@Payload\(\) data: YourDto/);
    assert.match(line, /\{ dto: false \}/);
    const client = await t.connect();
    assert.deepEqual((await client.request('shape', { x: 'not a number' })).data, {
      x: 'not a number',
    });
  });

  for (const [name, cls] of [
    ['an interface', ShapeHandler],
    ['unknown', UnknownHandler],
    ['a controller method', Loose],
  ] as const) {
    it(`${name}, with unvalidatedHandlers: 'error', refuses to start`, async () => {
      assert.throws(
        () => new Carom({ handlers: [cls], unvalidatedHandlers: 'error' }),
        refusedWith(new RegExp(cls.name), /unvalidated/, /dto: false/),
      );
      await assert.rejects(
        createTestApp({ handlers: [cls], unvalidatedHandlers: 'error' }),
        refusedWith(new RegExp(cls.name)),
      );
    });
  }

  it('an unknown unvalidatedHandlers value is refused', () => {
    assert.throws(
      () => new Carom({ unvalidatedHandlers: 'ignore' as 'warn' }),
      refusedWith(/unvalidatedHandlers/),
    );
  });
});

// ---------------------------------------------------------------------------
// A real DTO, and a DTO that is not a class
// ---------------------------------------------------------------------------

describe('a DTO', () => {
  it('read from a method parameter validates the payload; the handler never sees a bad one', async () => {
    class Notes {
      seen: NoteDto[] = [];
      @On('note')
      note(data: NoteDto): string {
        this.seen.push(data);
        return data.text;
      }
    }
    t = await createTestApp({ handlers: [Notes], unvalidatedHandlers: 'error' });
    const client = await t.connect();
    for (const payload of [{}, { text: 'x', priority: 0 }, { text: 1, priority: 1 }, []]) {
      const reply = await client.request('note', payload);
      assert.equal(reply.event, 'error', JSON.stringify(payload));
      assert.equal(reply.data.code, ErrorCode.VALIDATION_FAILED);
    }
    assert.equal(t.app.get(Notes).seen.length, 0);
    const ok = await client.request('note', { text: 'yes', priority: 3, extra: 'stripped' });
    assert.equal(ok.data, 'yes');
    const seen = t.app.get(Notes).seen;
    assert.equal(seen.length, 1);
    assert.ok(seen[0] instanceof NoteDto);
    assert.equal('extra' in seen[0]!, false);
  });

  it('with a default value on the payload parameter is still applied', async () => {
    class Defaulted {
      calls = 0;
      @On('defaulted')
      note(data: NoteDto = new NoteDto()): string {
        this.calls++;
        return data.text;
      }
    }
    t = await createTestApp({ handlers: [Defaulted] });
    const client = await t.connect();
    const bad = await client.request('defaulted', { text: 3 });
    assert.equal(bad.event, 'error');
    assert.equal(bad.data.code, ErrorCode.VALIDATION_FAILED);
    assert.equal(t.app.get(Defaulted).calls, 0);
  });

  for (const [what, dto] of [
    ['a string', 'NoteDto'],
    ['true', true],
    ['an arrow function', () => NoteDto],
    ['Object', Object],
    ['String', String],
    ['null', null],
    ['a plain object', { name: 'NoteDto' }],
  ] as const) {
    it(`named in @On as ${what} is refused at start-up`, () => {
      class Named {
        @On('named', { dto: dto as unknown as typeof NoteDto })
        named(data: unknown): unknown {
          return data;
        }
      }
      assert.throws(
        () => new Carom({ handlers: [Named] }),
        refusedWith(/Named\.named/, /@On\('named'\)/, /dto must be a class or false/),
      );
    });
  }
});
