/**
 * DTOs checked without waiting (issue 12): a DTO whose constraints never wait
 * is validated with `validateSync` and handled in the turn its frame arrived;
 * one with anything asynchronous (a constraint marked async, an `async`
 * validate, `@ValidatePromise`, inherited or nested) keeps the asynchronous
 * path. Both give the same answers, property by property.
 *
 * This file declares asynchronous constraints, so nested DTOs here count as
 * asynchronous; dto-sync-nested.test.ts has the case without any.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsString,
  Length,
  Min,
  registerDecorator,
  Validate,
  ValidateNested,
  ValidatePromise,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { CaromError, ErrorCode, Handler, On, Payload } from '../../src/index.js';
import { validatesSynchronously } from '../../src/core/dto-sync.js';
import { PayloadValidator, type DtoClass } from '../../src/core/validation.js';
import { createTestApp, type TestApp } from '../../src/testing/index.js';
import { failOnEscapes } from '../support/no-escapes.js';

failOnEscapes();

class PlainDto {
  @IsInt()
  @Min(0)
  n!: number;

  @IsString()
  @Length(1, 20)
  text!: string;

  @IsOptional()
  @IsString()
  note?: string;
}

/** Refuses `taken`, after a turn: a name lookup, say. */
@ValidatorConstraint({ name: 'free', async: true })
class FreeName implements ValidatorConstraintInterface {
  validate(value: unknown): Promise<boolean> {
    return Promise.resolve().then(() => value !== 'taken');
  }
  defaultMessage(): string {
    return 'name is taken';
  }
}

class AsyncDto {
  @Validate(FreeName)
  name!: string;
}

/** Not marked async, but its `validate` is an async function: it always returns a promise. */
@ValidatorConstraint({ name: 'notNo' })
class NotNo implements ValidatorConstraintInterface {
  async validate(value: unknown): Promise<boolean> {
    await Promise.resolve();
    return value !== 'no';
  }
}

class AsyncFunctionDto {
  @Validate(NotNo)
  answer!: string;
}

function IsFreeTag(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'freeTag',
      target: target.constructor,
      propertyName: propertyName as string,
      async: true,
      validator: {
        validate: (value: unknown) => Promise.resolve(value !== 'taken'),
        defaultMessage: () => 'tag is taken',
      },
    });
}

class RegisteredAsyncDto {
  @IsFreeTag()
  tag!: string;
}

class PromiseDto {
  @ValidatePromise()
  @IsInt()
  n!: number;
}

/** Its own rules are synchronous; the one it inherits is not. */
class InheritingDto extends AsyncDto {
  @IsInt()
  n!: number;
}

class NestingDto {
  @ValidateNested()
  @Type(() => AsyncDto)
  inner!: AsyncDto;
}

/** A constraint that throws: answered as a handler that throws, on either path. */
@ValidatorConstraint({ name: 'explodes' })
class Explodes implements ValidatorConstraintInterface {
  validate(): boolean {
    throw new Error('constraint blew up');
  }
}

class ExplodingDto {
  @Validate(Explodes)
  x!: string;
}

/**
 * Not marked async, and its `validate` is a plain function, yet it returns a
 * promise: `validateSync` would take the promise as a pass and leave its
 * rejection unhandled, so the application's constraints keep the waiting path.
 */
@ValidatorConstraint({ name: 'quietlyAsync' })
class QuietlyAsync implements ValidatorConstraintInterface {
  validate(value: unknown): Promise<boolean> {
    return value === 'boom'
      ? Promise.reject(new Error('lookup failed'))
      : Promise.resolve(value !== 'no');
  }
}

class QuietlyAsyncDto {
  @Validate(QuietlyAsync)
  answer!: string;
}

const seen: Array<[string, unknown]> = [];

/** Records what a handler got. */
function saw<T>(event: string, data: T): T {
  seen.push([event, data]);
  return data;
}

class Handlers {
  @On('plain')
  plain(@Payload() data: PlainDto): number {
    return saw('plain', data).n;
  }

  @On('async')
  async(@Payload() data: AsyncDto): string {
    return saw('async', data).name;
  }

  @On('async.fn')
  asyncFn(@Payload() data: AsyncFunctionDto): string {
    return saw('async.fn', data).answer;
  }

  @On('registered')
  registered(@Payload() data: RegisteredAsyncDto): string {
    return saw('registered', data).tag;
  }

  @On('inheriting')
  inheriting(@Payload() data: InheritingDto): string {
    return saw('inheriting', data).name;
  }

  @On('nesting')
  nesting(@Payload() data: NestingDto): string {
    return saw('nesting', data).inner.name;
  }

  @On('exploding')
  exploding(@Payload() data: ExplodingDto): string {
    return saw('exploding', data).x;
  }

  @On('quiet')
  quiet(@Payload() data: QuietlyAsyncDto): string {
    return saw('quiet', data).answer;
  }

  @On('guarded', { guard: () => true })
  guarded(@Payload() data: PlainDto): number {
    return saw('guarded', data).n;
  }
}

/** A handler class for the same event twice: the general path (`checkAll`). */
@On('plain.twice')
class Twice extends Handler<PlainDto> {
  handle(@Payload() data: PlainDto): string {
    return saw('plain.twice', data).text;
  }
}

@On('plain.twice')
class TwiceAgain extends Handler<PlainDto> {
  handle(@Payload() data: PlainDto): string {
    return saw('plain.twice.again', data).text;
  }
}

let t: TestApp | undefined;
afterEach(async () => {
  seen.length = 0;
  await t?.close();
  t = undefined;
});

async function app(): Promise<TestApp> {
  t = await createTestApp({ handlers: [Handlers, Twice, TwiceAgain] });
  return t;
}

function constraintsOf(details: unknown): Record<string, string[]> {
  return Object.fromEntries(
    (details as Array<{ property: string; constraints: Record<string, string> }>).map((d) => [
      d.property,
      Object.keys(d.constraints).sort(),
    ]),
  );
}

describe('which DTOs are validated synchronously', () => {
  it('a DTO of built-in constraints only is', () => {
    assert.equal(validatesSynchronously(PlainDto), true);
  });

  for (const [what, dto] of [
    ['a constraint marked async', AsyncDto],
    ['a constraint whose validate is an async function', AsyncFunctionDto],
    ['a decorator registered with async: true', RegisteredAsyncDto],
    ['@ValidatePromise', PromiseDto],
    ['an asynchronous constraint inherited', InheritingDto],
    ['@ValidateNested while an asynchronous rule exists', NestingDto],
  ] as const) {
    it(`a DTO with ${what} is not`, () => {
      assert.equal(validatesSynchronously(dto), false);
    });
  }

  it("an application's own constraint is not, even when it looks synchronous", () => {
    assert.equal(validatesSynchronously(ExplodingDto), false);
    assert.equal(validatesSynchronously(QuietlyAsyncDto), false);
  });
});

describe('a synchronous DTO is handled in the turn its frame arrives', () => {
  it('a valid payload reaches the handler before send returns, and is acked', async () => {
    const c = await (await app()).connect();
    const pending = c.request('plain', { n: 3, text: 'hi', extra: 1 });
    assert.equal(seen.length, 1, 'the handler ran in the same turn');
    assert.equal(t!.app.stats().pending, 0);
    const [event, data] = seen[0]!;
    assert.equal(event, 'plain');
    assert.ok(data instanceof PlainDto);
    assert.deepEqual({ ...data }, { n: 3, text: 'hi' }, 'unknown properties are stripped');
    const reply = await pending;
    assert.equal(reply.event, 'ack');
    assert.equal(reply.data, 3);
  });

  it('an invalid payload is answered with every failed property, in the same turn', async () => {
    const c = await (await app()).connect();
    const pending = c.request('plain', { n: -1, text: '', note: 5 });
    assert.equal(t!.app.stats().pending, 0, 'refused in the same turn');
    const reply = await pending;
    assert.equal(reply.event, 'error');
    assert.equal(reply.data.code, ErrorCode.VALIDATION_FAILED);
    assert.deepEqual(constraintsOf(reply.data.details), {
      n: ['min'],
      text: ['isLength'],
      note: ['isString'],
    });
    assert.equal(seen.length, 0);
  });

  it('a payload that is not an object is VALIDATION_FAILED, in the same turn', async () => {
    const c = await (await app()).connect();
    const pending = c.request('plain', [1, 2]);
    assert.equal(t!.app.stats().pending, 0);
    const reply = await pending;
    assert.equal(reply.data.code, ErrorCode.VALIDATION_FAILED);
    assert.deepEqual(constraintsOf(reply.data.details), { '': ['isObject'] });
  });

  it('a constraint that throws is HANDLER_ERROR, and nothing escapes', async () => {
    const c = await (await app()).connect();
    const reply = await c.request('exploding', { x: 'a' });
    assert.equal(reply.event, 'error');
    assert.equal(reply.data.code, ErrorCode.HANDLER_ERROR);
    assert.equal(seen.length, 0);
    assert.equal(c.closed, false);
  });

  it('a constraint that returns a promise unannounced is waited for: refused, or HANDLER_ERROR when it rejects', async () => {
    const c = await (await app()).connect();
    const no = await c.request('quiet', { answer: 'no' });
    assert.equal(no.data.code, ErrorCode.VALIDATION_FAILED);
    const boom = await c.request('quiet', { answer: 'boom' });
    assert.equal(boom.data.code, ErrorCode.HANDLER_ERROR);
    const yes = await c.request('quiet', { answer: 'yes' });
    assert.equal(yes.event, 'ack');
    assert.deepEqual(
      seen.map(([event]) => event),
      ['quiet'],
    );
  });

  it('with a guard or several handlers, the same answers', async () => {
    const c = await (await app()).connect();
    for (const event of ['guarded', 'plain.twice']) {
      const ok = await c.request(event, { n: 2, text: 'ok' });
      assert.equal(ok.event, 'ack', event);
      const bad = await c.request(event, { n: 'two', text: 'ok' });
      assert.equal(bad.data.code, ErrorCode.VALIDATION_FAILED, event);
      assert.deepEqual(constraintsOf(bad.data.details), { n: ['isInt', 'min'] }, event);
    }
    assert.deepEqual(
      seen.map(([event]) => event),
      ['guarded', 'plain.twice', 'plain.twice.again'],
    );
  });
});

describe('a DTO with anything asynchronous still waits for it', () => {
  for (const [event, field, refused, constraint] of [
    ['async', 'name', 'taken', 'free'],
    ['async.fn', 'answer', 'no', 'notNo'],
    ['registered', 'tag', 'taken', 'freeTag'],
    ['inheriting', 'name', 'taken', 'free'],
  ] as const) {
    it(`${event}: handled on a later turn, and its asynchronous constraint is applied`, async () => {
      const c = await (await app()).connect();
      const extra = event === 'inheriting' ? { n: 1 } : {};
      const pending = c.request(event, { [field]: 'fine', ...extra });
      assert.equal(seen.length, 0, 'not handled in the same turn');
      assert.equal(t!.app.stats().pending, 1);
      const ok = await pending;
      assert.equal(ok.event, 'ack', JSON.stringify(ok));
      assert.equal(ok.data, 'fine');
      const bad = await c.request(event, { [field]: refused, ...extra });
      assert.equal(bad.event, 'error', `'${refused}' must be refused: ${JSON.stringify(bad)}`);
      assert.equal(bad.data.code, ErrorCode.VALIDATION_FAILED);
      assert.deepEqual(constraintsOf(bad.data.details), { [field]: [constraint] });
    });
  }

  it('nesting: the nested asynchronous constraint is applied, as a dotted path', async () => {
    const c = await (await app()).connect();
    const pending = c.request('nesting', { inner: { name: 'taken' } });
    assert.equal(t!.app.stats().pending, 1, 'not handled in the same turn');
    const bad = await pending;
    assert.equal(bad.data.code, ErrorCode.VALIDATION_FAILED);
    assert.deepEqual(constraintsOf(bad.data.details), { 'inner.name': ['free'] });
  });
});

/** What a validation came to: the instance's own fields, or the error's code, message and details. */
type Result =
  | { ok: true; cls: string; value: object }
  | { ok: false; code: string; message: string; details: unknown };

async function resultOf(run: () => object | Promise<object>): Promise<Result> {
  try {
    const value = await run();
    return { ok: true, cls: value.constructor.name, value: { ...value } };
  } catch (err) {
    assert.ok(err instanceof CaromError, String(err));
    return { ok: false, code: err.code, message: err.message, details: err.details };
  }
}

describe('validateNow gives what validate gives', () => {
  const anyValue = fc.oneof(
    fc.integer({ min: -5, max: 30 }),
    fc.string({ maxLength: 25 }),
    fc.constant(null),
    fc.boolean(),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.double(),
  );
  const payload = fc.oneof(
    fc.record(
      { n: anyValue, text: anyValue, note: anyValue, extra: anyValue },
      { requiredKeys: [] },
    ),
    anyValue,
  );

  for (const mode of ['strip', 'refuse', 'keep'] as const) {
    it(`for any payload, unknown properties '${mode}'`, async () => {
      const validator = new PayloadValidator(mode, 50);
      validator.prepare(PlainDto);
      assert.equal(validator.isSync(PlainDto), true);
      await fc.assert(
        fc.asyncProperty(payload, async (data) => {
          // Each gets its own copy: with 'strip' class-validator deletes from the instance.
          const now = await resultOf(() => validator.validateNow(PlainDto, structuredClone(data)));
          const later = await resultOf(() => validator.validate(PlainDto, structuredClone(data)));
          assert.deepEqual(now, later);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('a payload over maxValues is refused the same way', async () => {
    const validator = new PayloadValidator('strip', 3);
    const data = { n: 1, text: 'a', note: 'b', extra: 'c' };
    const now = await resultOf(() => validator.validateNow(PlainDto, data));
    const later = await resultOf(() => validator.validate(PlainDto, data));
    assert.equal(now.ok, false);
    assert.deepEqual(now, later);
  });

  it('a DTO never prepared, or one that waits, is not synchronous', () => {
    const validator = new PayloadValidator('strip', 50);
    assert.equal(validator.isSync(PlainDto), false);
    for (const dto of [AsyncDto, NestingDto] as DtoClass[]) {
      validator.prepare(dto);
      assert.equal(validator.isSync(dto), false);
    }
  });
});
