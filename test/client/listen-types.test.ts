/**
 * Type test of carom/client's listeners, checked by `tsc` in `npm run build`:
 * pattern listeners (`*`, `prefix.*`) are typed by the events they cover, the
 * reserved events a server sends are known, and `subscribe` resolves with the
 * ack's shape. Every `@ts-expect-error` line must be an error. The functions
 * are never called; one run-time test keeps the file honest under node:test.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  CHANNEL_CREATED,
  CHANNEL_DELETED,
  type CaromClient,
  type ListenPattern,
  type PatternEvent,
  type PresenceNotice,
  type SubscriptionAck,
} from '../../src/client/index.js';

type Auction = {
  'auction.lamp': { receive: { bid: number } };
  'auction.vase': { receive: { bid: number; reserve: boolean } };
  'auction.room.a': { receive: { seats: number } };
  bid: { send: { amount: number }; ack: { ok: boolean } };
  clock: { receive: { now: string } };
};

/** Compiles only when A and B are the same type. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

expectType<
  Equal<PatternEvent<Auction, 'auction.*'>, 'auction.lamp' | 'auction.vase' | 'auction.room.a'>
>();
expectType<Equal<PatternEvent<Auction, 'auction.room.*'>, 'auction.room.a'>>();
expectType<
  Equal<
    ListenPattern<Auction>,
    '*' | 'auction.*' | 'auction.room.*' | 'carom.*' | 'carom.channel.*'
  >
>();

export function patterns(client: CaromClient<Auction>): void {
  client.on('auction.*', (data, envelope) => {
    // The data is one of the covered events' payloads...
    const bid: number = 'bid' in data ? data.bid : data.seats;
    void bid;
    // ...and the envelope's event narrows it.
    if (envelope.event === 'auction.vase') {
      const reserve: boolean = envelope.data.reserve;
      void reserve;
    }
  });
  client.on('auction.room.*', (data) => void (data.seats satisfies number));
  client.on('*', (_data, envelope) => {
    if (envelope.event === 'clock') void (envelope.data.now satisfies string);
    if (envelope.event === CHANNEL_CREATED) void (envelope.data.name satisfies string);
  });
}

export function reserved(client: CaromClient<Auction>): void {
  client.on(CHANNEL_CREATED, ({ name }) => void (name satisfies string));
  client.on(CHANNEL_DELETED, ({ name }) => void (name satisfies string));
  client.on('carom.presence', (notice: PresenceNotice) => {
    if ('joined' in notice) void (notice.joined.connectionId satisfies string);
    else void (notice.left.node satisfies string);
  });
}

export async function acks(client: CaromClient<Auction>): Promise<string[]> {
  const ack: SubscriptionAck = await client.subscribe(['auction.*']);
  const after = await client.unsubscribe(['auction.lamp']);
  return [...ack.events, ...after.excluded];
}

export function wrongUses(client: CaromClient<Auction>): void {
  // @ts-expect-error no event of the map begins with "room."
  client.on('room.*', () => undefined);

  // @ts-expect-error "*" may only end a pattern
  client.on('auction.*.x', () => undefined);

  // @ts-expect-error every auction.* payload is an object; none has "nope"
  client.on('auction.*', (data) => void data.nope);

  // @ts-expect-error the envelope's data under "auction.lamp" has no reserve
  client.on('auction.*', (_d, e) => e.event === 'auction.lamp' && e.data.reserve);

  // @ts-expect-error a channel notice carries a name, not an id
  client.on(CHANNEL_DELETED, (data) => void data.id);
}

export function untyped(client: CaromClient): void {
  client.on('room.*', (data, envelope) => void [data.anything, envelope.data.anything]);
  client.on(CHANNEL_CREATED, ({ name }) => void (name satisfies string));
}

it('the listener type test compiled (tsc checked the functions above)', () => {
  assert.equal(typeof patterns, 'function');
});
