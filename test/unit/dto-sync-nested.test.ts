/**
 * A DTO with nested DTOs in a process where no class-validator rule waits:
 * validated synchronously, nested failures reported as dotted paths, the same
 * as `validate` gives. (Its own file: dto-sync.test.ts declares asynchronous
 * constraints, which make every nested DTO of its process asynchronous.)
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsDefined,
  IsInt,
  IsString,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { CaromError, ErrorCode, On, Payload } from '../../src/index.js';
import { validatesSynchronously } from '../../src/core/dto-sync.js';
import { PayloadValidator } from '../../src/core/validation.js';
import { createTestApp, type TestApp } from '../../src/testing/index.js';

class ItemDto {
  @IsString()
  @MinLength(2)
  name!: string;

  @IsInt()
  @Min(1)
  qty!: number;
}

class OrderDto {
  @IsDefined()
  @ValidateNested()
  @Type(() => ItemDto)
  first!: ItemDto;

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items!: ItemDto[];
}

const seen: OrderDto[] = [];

class Orders {
  @On('order')
  order(@Payload() data: OrderDto): number {
    seen.push(data);
    return data.items.length;
  }
}

let t: TestApp | undefined;
afterEach(async () => {
  seen.length = 0;
  await t?.close();
  t = undefined;
});

const bad = {
  first: { name: 'x', qty: 1 },
  items: [
    { name: 'ok', qty: 2 },
    { name: 3, qty: 0 },
  ],
};

describe('nested DTOs with no asynchronous rule anywhere', () => {
  it('are validated synchronously', () => {
    assert.equal(validatesSynchronously(OrderDto), true);
  });

  it('a valid order is handled in the same turn, nested values as instances', async () => {
    t = await createTestApp({ handlers: [Orders] });
    const c = await t.connect();
    const pending = c.request('order', { first: { name: 'ab', qty: 1 }, items: [] });
    assert.equal(seen.length, 1, 'handled in the same turn');
    assert.ok(seen[0]!.first instanceof ItemDto);
    assert.equal((await pending).event, 'ack');
  });

  it('nested failures are dotted paths, in the same turn, as validate reports them', async () => {
    t = await createTestApp({ handlers: [Orders] });
    const c = await t.connect();
    const pending = c.request('order', bad);
    assert.equal(t.app.stats().pending, 0, 'answered in the same turn');
    const reply = await pending;
    assert.equal(reply.data.code, ErrorCode.VALIDATION_FAILED);
    const validator = new PayloadValidator('strip', 100);
    const expected = await validator.validate(OrderDto, structuredClone(bad)).then(
      () => assert.fail('validate accepted it'),
      (err: CaromError) => err,
    );
    assert.deepEqual(reply.data.details, expected.details);
    assert.equal(reply.data.message, expected.message);
    assert.deepEqual(
      (reply.data.details as Array<{ property: string }>).map((d) => d.property),
      ['first.name', 'items.1.name', 'items.1.qty'],
    );
  });
});
