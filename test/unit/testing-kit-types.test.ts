/**
 * Type test of the testing kit's assertions, checked by `tsc` in `npm run
 * build`: a client connected with an event map types what the assertions
 * expect and resolve with; without one they are untyped. Every
 * `@ts-expect-error` line must be an error. The functions are never called.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { TestApp, TestClient } from '../../src/testing/index.js';

type Shop = {
  buy: { send: { item: string }; ack: { total: number } };
  'shop.price': { receive: { item: string; price: number } };
  'shop.stock.low': { receive: { item: string } };
  ping: { send: null };
};

export async function typed(t: TestApp): Promise<number> {
  const c: TestClient<Shop> = await t.connect<Shop>();
  const ref = c.push('buy', { item: 'lamp' });
  const reply = await c.assertReply(ref, 'ack', { total: 3 });
  const total: number = reply.data.total;
  const failed = await c.assertReply(ref, 'error', { code: 'HANDLER_ERROR' });
  const code: string = failed.data.code;
  const price = await c.assertPush('shop.price', { item: 'lamp' });
  const amount: number = price.data.price;
  const low = await c.assertBroadcast('shop.stock.*', { item: 'lamp' });
  const item: string = low.data.item;
  const any = await c.assertBroadcast('shop.*');
  void [code, item, any.event];
  const deleted = await c.assertPush('carom.channel.deleted', { name: 'x' });
  void deleted.data.name;
  return total + amount;
}

export async function wrong(c: TestClient<Shop>): Promise<void> {
  // @ts-expect-error buy's payload has item
  c.push('buy', { thing: 'lamp' });
  // @ts-expect-error shop.price cannot be sent
  c.push('shop.price', { item: 'x', price: 1 });
  // @ts-expect-error buy's ack has total, a number
  await c.assertReply(c.push('buy', { item: 'x' }), 'ack', { total: 'three' });
  // @ts-expect-error shop.price's price is a number
  await c.assertPush('shop.price', { price: 'high' });
  // @ts-expect-error buy is not received
  await c.assertPush('buy');
  // @ts-expect-error no event begins with "room."
  await c.assertBroadcast('room.*');
}

export async function untyped(t: TestApp): Promise<void> {
  const c = await t.connect();
  const reply = await c.assertReply(c.push('anything', { x: 1 }), 'ack', { whatever: 1 });
  void reply.data.whatever;
  await c.assertBroadcast('room.*', { a: 1 });
  await c.refute('room.*', { a: 1 }, { advanceMs: 10 });
}

it('the testing kit type test compiled (tsc checked the functions above)', () => {
  assert.equal(typeof typed, 'function');
});
