/**
 * Properties of what the client newly reads from a server: random channel
 * notices, subscribe acks with random `excluded`, random replies to the
 * requests that restore subscriptions after a reconnect, random event names
 * under pattern listeners, and random `error` events of a refused upgrade.
 * The client never throws, leaves no unhandled rejection, holds only names it
 * was asked for, and each pattern listener gets exactly the events it covers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CaromClient, RequestError, type ServerError } from '../../src/client/index.js';
import { upgradeStatus } from '../../src/client/handshake.js';
import { unhandledDuring } from '../support/unhandled.js';
import { fakeWebSocket } from './fake-socket.js';

const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const anyString = fc.string({ unit, maxLength: 30 });
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** Names built from a few parts, so that dots, prefixes and patterns collide often. */
const part = fc.constantFrom('a', 'b', 'news', '', '*', 'carom');
const dotted = fc.array(part, { minLength: 1, maxLength: 4 }).map((p) => p.join('.'));
const name = fc.oneof({ arbitrary: dotted, weight: 4 }, { arbitrary: anyString, weight: 1 });
const held = ['news', 'a.b', 'a.*', '*'];

const notice = fc
  .record({
    event: fc.constantFrom('carom.channel.deleted', 'carom.channel.created', 'carom.presence'),
    data: fc.oneof(anyJson, fc.record({ name: fc.oneof(name, anyJson) })),
  })
  .map((e) => JSON.stringify({ ...e, timestamp: 't' }));

const published = name.map((event) => JSON.stringify({ event, data: {}, timestamp: 't' }));

/** An answer to the request with `id`: an ack with random lists, or an error with random details. */
function reply(id: number): fc.Arbitrary<string> {
  const list = fc.oneof(anyJson, fc.array(name, { maxLength: 4 }));
  const ack = fc
    .record({ events: list, excluded: list }, { requiredKeys: [] })
    .map((data) => ({ event: 'ack', id, data, timestamp: 't' }));
  const rejected = fc.oneof(anyJson, fc.array(fc.record({ name: fc.oneof(name, anyJson) })));
  const error = fc
    .record({
      code: fc.oneof(anyString, anyJson),
      message: anyJson,
      details: fc.record({ rejected }),
    })
    .map((data) => ({ event: 'error', id, data, timestamp: 't' }));
  return fc.oneof(ack, error).map((e) => JSON.stringify(e));
}

/** The ids of the first socket's requests (1, 2) and of the restore's (3, 4) come in any order. */
const replies = fc.tuple(reply(1), reply(2), reply(3), reply(4));

function covers(pattern: string, event: string): boolean {
  return pattern === '*' || event.startsWith(pattern.slice(0, -1));
}

describe('carom/client: hostile notices, acks and restore replies (property)', () => {
  it('never throws, holds only what it was asked for, and patterns get exactly what they cover', async () => {
    const unhandled = await unhandledDuring(async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(notice, published), { maxLength: 10 }),
          replies,
          async (frames, [r1, r2, r3, r4]) => {
            const fake = fakeWebSocket();
            const c = new CaromClient('ws://carom.test/ws', {
              WebSocket: fake.WebSocket,
              reconnect: { initialDelayMs: 0, maxDelayMs: 0, jitter: 0 },
            });
            const reports: ServerError[] = [];
            c.onError((e) => reports.push(e));
            const got = new Map<string, string[]>();
            for (const pattern of ['*', 'a.*', 'a.b.*', 'carom.*']) {
              const list: string[] = [];
              got.set(pattern, list);
              c.on(pattern, (_d, e) => list.push(e.event));
            }
            const first = fake.sockets[0]!;
            first.accept('carom').welcome('c1');
            const sub = settle(c.subscribe(held));
            const un = settle(c.unsubscribe(['a.b']));
            for (const f of [r1, r2]) first.deliver(f);
            for (const f of frames) first.deliver(f);
            for (const outcome of await Promise.all([sub, un])) {
              if ('error' in outcome) assert.ok(outcome.error instanceof RequestError);
              else {
                const ack = outcome.value as { events: unknown; excluded: unknown };
                assert.ok(Array.isArray(ack.events) && Array.isArray(ack.excluded));
              }
            }
            for (const s of c.subscriptions) assert.ok(held.includes(s), `holds ${s}`);

            first.drop(1006);
            await new Promise((resolve) => setTimeout(resolve, 0));
            const second = fake.sockets.at(-1)!;
            assert.notEqual(second, first, 'a new attempt');
            second.accept('carom').welcome('c2');
            for (const f of [r3, r4]) second.deliver(f);
            await new Promise((resolve) => setImmediate(resolve));
            for (const s of c.subscriptions) assert.ok(held.includes(s), `holds ${s}`);
            c.close();

            const events = frames
              .map((f) => JSON.parse(f) as { event: string })
              .map((e) => e.event);
            for (const [pattern, list] of got) {
              assert.deepEqual(
                list,
                events.filter((e) => covers(pattern, e)),
                pattern,
              );
            }
            for (const r of reports) {
              assert.equal(typeof r.code, 'string');
              assert.equal(typeof r.message, 'string');
            }
          },
        ),
        { numRuns: 200, interruptAfterTimeLimit: 20_000 },
      );
    });
    assert.deepEqual(unhandled, []);
  });

  it('the status of a refused upgrade is read only from a well-formed message', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyJson,
          anyString.map((m) => ({ message: m })),
          fc
            .oneof(
              fc.integer({ min: -1000, max: 100_000 }).map(String),
              fc.constantFrom(' 404', '4e2', '404.0', '0404', '404 ', '+404', '099', '600'),
              anyString,
            )
            .map((s) => ({ message: `Unexpected server response: ${s}` })),
        ),
        (event) => {
          const status = upgradeStatus(event);
          if (status === undefined) return;
          assert.ok(Number.isInteger(status) && status >= 100 && status <= 599);
          assert.equal(
            (event as { message: string }).message,
            `Unexpected server response: ${status}`,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});

async function settle(p: Promise<unknown>): Promise<{ value: unknown } | { error: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}
