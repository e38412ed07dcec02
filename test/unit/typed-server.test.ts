/**
 * One event map types the server as it types the client. The type tests are
 * checked by `tsc` in `npm run build` (every `@ts-expect-error` line must be
 * an error, an unused one fails the build; the functions holding them never
 * run); the run-time tests drive the same typed classes through the testing
 * kit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Carom,
  Connection,
  FamilySender,
  Handler,
  Sender,
  TimedSender,
  eventMap,
  type AckData,
  type Context,
  type PublishData,
  type ReceiveData,
  type SendData,
} from '../../src/index.js';
import type { CaromClient } from '../../src/client/index.js';
import { createTestApp, type TestClient } from '../../src/testing/index.js';

/** The one map: the server below and any client take it. */
type Auction = {
  bid: { send: { lot: string; amount: number }; ack: { accepted: boolean } };
  chat: { send: { text: string }; receive: { from: string; text: string } };
  clock: { receive: { now: number } };
  'auction.*': { receive: { lot: string; price: number } };
  confirm: { ask: { question: string }; answer: boolean };
};

interface Assigns {
  name?: string;
  bids?: number;
}

const { On, Topic } = eventMap<Auction>();

@Topic('clock')
export class ClockSender extends Sender<ReceiveData<Auction, 'clock'>> {}

@Topic('auction.*')
export class AuctionSender extends FamilySender<ReceiveData<Auction, 'auction.*'>, 'auction.*'> {}

@On('bid', { dto: false })
export class BidHandler extends Handler<SendData<Auction, 'bid'>, AckData<Auction, 'bid'>> {
  constructor(private readonly auctions: AuctionSender) {
    super();
  }

  handle(
    data: SendData<Auction, 'bid'>,
    ctx: Context<unknown, Auction, Assigns>,
  ): AckData<Auction, 'bid'> {
    const assigns = ctx.connection.assigns;
    assigns.bids = (assigns.bids ?? 0) + 1;
    this.auctions.to(`auction.${data.lot}`).send({ lot: data.lot, price: data.amount });
    return { accepted: data.amount > 0 };
  }
}

export class ChatController {
  @On('chat', { dto: false })
  chat(data: { text: string }, ctx: Context<unknown, Auction, Assigns>): void {
    ctx.connection.send('chat', { from: ctx.connection.assigns.name ?? '?', text: data.text });
  }
}

// ---------------------------------------------------------------------------
// Wrong uses on the server, each one an error
// ---------------------------------------------------------------------------

// @ts-expect-error the ack of bid is { accepted: boolean }
@On('bid')
export class WrongAck extends Handler<SendData<Auction, 'bid'>, { accepted: string }> {
  handle(): { accepted: string } {
    return { accepted: 'yes' };
  }
}

// @ts-expect-error bid's payload is { lot: string; amount: number }
@On('bid')
export class WrongPayload extends Handler<{ lot: number }, AckData<Auction, 'bid'>> {
  handle(data: { lot: number }): AckData<Auction, 'bid'> {
    return { accepted: data.lot > 0 };
  }
}

// @ts-expect-error clock is not an event clients send
@On('clock')
export class NotSendable extends Handler {
  handle(): null {
    return null;
  }
}

export class WrongMethod {
  // @ts-expect-error chat's payload holds text: string
  @On('chat')
  chat(data: { text: number }): void {
    void data;
  }
}

// @ts-expect-error clock publishes { now: number }
@Topic('clock')
export class WrongSenderData extends Sender<{ now: string }> {}

// @ts-expect-error a sender with more than the map's payload is not clock's sender either
@Topic('clock')
export class WiderSenderData extends TimedSender<{ now: number; zone: string }> {
  createMessageData(): { now: number; zone: string } {
    return { now: 0, zone: 'utc' };
  }
}

// @ts-expect-error nothing named 'nope' is published
@Topic('nope')
export class UnknownTopic extends Sender<{ now: number }> {}

// @ts-expect-error a family key needs a FamilySender
@Topic('auction.*')
export class FamilyOnPlainSender extends Sender<ReceiveData<Auction, 'auction.*'>> {}

export function wrongServerUses(
  app: Carom<Auction>,
  connection: Connection<unknown, Auction, Assigns>,
  clock: ClockSender,
  auctions: AuctionSender,
): void {
  // @ts-expect-error nothing named 'nope' is published
  app.publish('nope', {});
  // @ts-expect-error clock publishes { now: number }
  app.publish('clock', { now: 'now' });
  // @ts-expect-error a member of auction.* publishes a lot and a price
  app.publish('auction.lamp', { lot: 'lamp' });
  // @ts-expect-error bid is sent by clients, never published
  connection.send('bid', { lot: 'lamp', amount: 1 });
  // @ts-expect-error chat's published payload needs from
  connection.send('chat', { text: 'hi' });
  // @ts-expect-error confirm asks a question
  void connection.ask('confirm', { text: 'sure?' });
  // @ts-expect-error chat is not a request the server makes
  void connection.ask('chat', { from: 'a', text: 'b' });
  // @ts-expect-error assigns.name is a string
  connection.assigns.name = 1;
  // @ts-expect-error nothing called 'nope' in the assigns
  void connection.assigns.nope;
  // @ts-expect-error clock's data is { now: number }
  void clock.send({ now: '1' });
  // @ts-expect-error a member of auction.* only
  auctions.to('room.lamp');
  // @ts-expect-error a member's payload is a lot and a price
  auctions.to('auction.lamp').send({ lot: 'lamp' });
  // @ts-expect-error topics list exact names
  app.publish('clock', { now: 1 }, { topics: 'auction.lamp' });
}

export async function wrongKitUses(client: TestClient<Auction>): Promise<void> {
  // @ts-expect-error bid's amount is a number
  await client.request('bid', { lot: 'lamp', amount: '1' });
  // @ts-expect-error clients cannot send clock
  client.send('clock', { now: 1 });
  // @ts-expect-error the ack of bid holds accepted
  const wrong: string = (await client.request('bid', { lot: 'a', amount: 1 })).data.accepted;
  void wrong;
  // @ts-expect-error confirm's answer is a boolean
  client.answer('confirm', () => 'yes');
  // @ts-expect-error nothing named 'nope' is published
  client.dataOf('nope');
}

export function wrongClientUses(client: CaromClient<Auction>): void {
  // @ts-expect-error confirm's answer is a boolean
  client.answer('confirm', (q) => q.question);
  // @ts-expect-error bid is not a request the server makes
  client.answer('bid', () => true);
}

// ---------------------------------------------------------------------------
// Right uses, and what they are typed as
// ---------------------------------------------------------------------------

/** Compiles only when A and B are the same type. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}
expectType<Equal<PublishData<Auction, 'auction.lamp'>, { lot: string; price: number }>>();
expectType<Equal<PublishData<Auction, 'clock'>, { now: number }>>();

export async function rightUses(
  app: Carom<Auction>,
  connection: Connection<unknown, Auction, Assigns>,
  kit: TestClient<Auction>,
  client: CaromClient<Auction>,
): Promise<void> {
  app.publish('clock', { now: 1 });
  app.publish('auction.lamp', { lot: 'lamp', price: 3 }, { except: connection });
  app.publish('chat', { from: 'a', text: 'b' }, { topics: ['auction.lamp', 'auction.vase'] });
  app.to('c1').send('clock', { now: 2 });
  connection.send('auction.vase', { lot: 'vase', price: 1 });
  const yes: boolean = await connection.ask('confirm', { question: 'sure?' }, { timeoutMs: 50 });
  connection.assigns.name = 'ann';
  const ack = await kit.request('bid', { lot: 'lamp', amount: 3 });
  const accepted: boolean = ack.data.accepted;
  const prices: number[] = kit.dataOf('auction.lamp').map((p) => p.price);
  kit.answer('confirm', (q) => q.question.length > 0);
  client.answer('confirm', async (q) => Promise.resolve(q.question !== ''));
  void [yes, accepted, prices];
}

/** 0.1 code, with no map, still compiles: any name, any data, `state` as a Map. */
export async function untypedUses(app: Carom, connection: Connection): Promise<void> {
  app.publish('anything', { x: 1 });
  connection.send('whatever', 42);
  connection.state.set('k', 1);
  const answer = await connection.ask('anything', { a: 1 });
  void answer.whatever;
  const kit = await createTestApp();
  const c = await kit.connect();
  const r = await c.request<{ ok: boolean }>('x', 1);
  void r.data.ok;
  void c.dataOf<{ n: number }>('y')[0]?.n;
}

// ---------------------------------------------------------------------------
// Run time, through the testing kit
// ---------------------------------------------------------------------------

describe('one event map on the server, through the testing kit', () => {
  it('runs the typed handler, family sender and assigns', async () => {
    const t = await createTestApp<Auction>({
      handlers: [BidHandler, ChatController],
      senders: [ClockSender, AuctionSender],
      topics: ['chat'],
    });
    try {
      const watcher = await t.connect();
      await watcher.subscribe('auction.*');
      const bidder = await t.connect();
      const ack = await bidder.request('bid', { lot: 'lamp', amount: 40 });
      assert.deepEqual(ack.data, { accepted: true });
      assert.deepEqual(watcher.dataOf('auction.lamp'), [{ lot: 'lamp', price: 40 }]);
      const connection = bidder.connection as unknown as Connection<unknown, Auction, Assigns>;
      assert.equal(connection.assigns.bids, 1);
      connection.assigns.name = 'ann';
      await bidder.request('chat', { text: 'hi' });
      assert.deepEqual(bidder.dataOf('chat'), [{ from: 'ann', text: 'hi' }]);
    } finally {
      await t.close();
    }
  });

  it('keeps connection.state (deprecated) as a Map view of assigns, any key a plain key', async () => {
    const t = await createTestApp({ topics: ['x'] });
    try {
      const client = await t.connect();
      const connection = client.connection as unknown as Connection<unknown, Auction, Assigns>;
      const { state, assigns } = connection;
      assert.ok(state instanceof Map);
      assert.equal(state.size, 0);
      assigns.name = 'ann';
      assert.equal(state.get('name'), 'ann');
      state.set('bids', 2);
      assert.equal(assigns.bids, 2);
      state.set('__proto__', 'plain');
      state.set('constructor', 1);
      assert.equal(Object.getPrototypeOf(assigns), null);
      assert.equal((assigns as Record<string, unknown>)['__proto__'], 'plain');
      assert.deepEqual([...state.keys()], ['name', 'bids', '__proto__', 'constructor']);
      assert.deepEqual([...state], [...state.entries()]);
      const seen: string[] = [];
      state.forEach((value, key) => seen.push(`${key}=${String(value)}`));
      assert.deepEqual(seen, ['name=ann', 'bids=2', '__proto__=plain', 'constructor=1']);
      assert.equal(state.has('toString'), false);
      assert.equal(state.get('toString'), undefined);
      assert.equal(state.delete('name'), true);
      assert.equal(state.delete('name'), false);
      assert.equal(assigns.name, undefined);
      state.clear();
      assert.equal(state.size, 0);
      assert.deepEqual(Object.keys(assigns), []);
      assert.equal(connection.state, state, 'one view per connection');
    } finally {
      await t.close();
    }
  });
});
