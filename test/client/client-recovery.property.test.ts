/**
 * Properties of what the client reads of a server's histories: positions on
 * published envelopes and the `recovery` of a subscribe ack, random and
 * hostile. The readers never throw and return only the protocol's shapes; the
 * client delivers each (event, epoch, offset) at most once, in the order a
 * model of "last position per event" says, and a reconnect resumes only
 * well-formed positions of events it holds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CaromClient, type RecoveryReport } from '../../src/client/index.js';
import { readPosition } from '../../src/client/positions.js';
import { readEventRecovery, readRecovery } from '../../src/client/recovery.js';
import { unhandledDuring } from '../support/unhandled.js';
import { fakeWebSocket } from './fake-socket.js';

const anyJson = fc.jsonValue({ maxDepth: 3 });
const epoch = fc.oneof(
  { arbitrary: fc.constantFrom('e1', 'e2'), weight: 4 },
  { arbitrary: fc.string({ maxLength: 70 }), weight: 1 },
);
const offset = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 6 }), weight: 4 },
  {
    arbitrary: fc.constantFrom(-1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, '3', null),
    weight: 1,
  },
);
const position = fc.oneof(
  { arbitrary: fc.record({ epoch, offset }), weight: 5 },
  { arbitrary: anyJson, weight: 1 },
);
const entry = fc.oneof(
  {
    arbitrary: fc.record(
      {
        recovered: fc.oneof(fc.boolean(), anyJson),
        replayed: offset,
        reason: fc.oneof(fc.constantFrom('GAP', 'EPOCH', 'NO_HISTORY'), fc.string(), anyJson),
        epoch,
        offset,
      },
      { requiredKeys: [] },
    ),
    weight: 4,
  },
  { arbitrary: anyJson, weight: 1 },
);
const names = ['chat', 'room.a', 'room.b', '__proto__', 'constructor'];
const recovery = fc.oneof(
  fc.dictionary(fc.constantFrom(...names, 'evil'), entry, { maxKeys: 6 }),
  anyJson,
);

describe('carom/client: hostile positions and recoveries (property)', () => {
  it('the readers never throw and return only the protocol shapes', () => {
    fc.assert(
      fc.property(position, entry, recovery, (p, e, r) => {
        const read = readPosition(p);
        if (read) {
          assert.ok(read.epoch.length >= 1 && read.epoch.length <= 64);
          assert.ok(Number.isSafeInteger(read.offset) && read.offset >= 1);
        }
        const one = readEventRecovery(e);
        if (one) {
          assert.equal(typeof one.recovered, 'boolean');
          assert.ok(Number.isSafeInteger(one.replayed) && one.replayed >= 0);
          if (!one.recovered) assert.equal(typeof one.reason, 'string');
          assert.equal(one.epoch === undefined, one.offset === undefined);
        }
        const all = readRecovery({ recovery: r }, ['chat', '__proto__'], ['room.a']);
        assert.equal(Object.getPrototypeOf(all), null);
        for (const key of Object.keys(all)) {
          assert.ok(['chat', '__proto__', 'room.a'].includes(key), key);
        }
        assert.ok('chat' in all && '__proto__' in all, 'every resumed name is answered');
      }),
      { numRuns: 3000 },
    );
  });

  it('delivers each position once as the model says, and resumes only well-formed positions it holds', async () => {
    const unhandled = await unhandledDuring(async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ event: fc.constantFrom(...names, 'news'), position }), {
            maxLength: 25,
          }),
          recovery,
          async (messages, ackRecovery) => {
            const fake = fakeWebSocket();
            const c = new CaromClient('ws://carom.test/ws', {
              WebSocket: fake.WebSocket,
              reconnect: { backoff: () => 0 },
            });
            const reports: RecoveryReport[] = [];
            c.onRecovery((r) => reports.push(r));
            const got: string[] = [];
            c.on('*', (_d, e) =>
              got.push(JSON.stringify([e.event, (e as { position?: unknown }).position])),
            );
            const first = fake.sockets[0]!;
            first.accept('carom').welcome('c1');
            const sub = c.subscribe(['chat', 'room.*', '__proto__', 'constructor']);
            first.json({
              event: 'ack',
              id: first.sent[0]!.id,
              data: { events: ['chat', 'room.*', '__proto__', 'constructor'] },
              timestamp: 't',
            });
            await sub;
            const model = new Map<string, { epoch: string; offset: number }>();
            const expected: string[] = [];
            for (const m of messages) {
              first.json({ event: m.event, data: {}, timestamp: 't', position: m.position });
              const p = readPosition(m.position);
              const last = model.get(m.event);
              if (p && last && last.epoch === p.epoch && p.offset <= last.offset) continue;
              if (p) model.set(m.event, p);
              expected.push(JSON.stringify([m.event, m.position]));
            }
            assert.deepEqual(got, expected);
            assert.equal(c.duplicates, messages.length - expected.length);

            first.drop(1006);
            await new Promise((resolve) => setTimeout(resolve, 0));
            const second = fake.sockets.at(-1)!;
            second.accept('carom').welcome('c2');
            const restore = second.sent[0]!;
            const resume = (restore.data as { resume?: Record<string, unknown> }).resume ?? {};
            for (const [event, p] of Object.entries(resume)) {
              assert.notEqual(event, 'news', 'not held');
              assert.deepEqual(p, model.get(event));
            }
            second.json({
              event: 'ack',
              id: restore.id,
              data: { events: ['chat', 'room.*'], recovery: ackRecovery },
              timestamp: 't',
            });
            await new Promise((resolve) => setImmediate(resolve));
            assert.equal(c.state, 'open');
            if (Object.keys(resume).length > 0) {
              assert.equal(reports.length, 1);
              assert.deepEqual(Object.keys(reports[0]!.events).sort(), Object.keys(resume).sort());
            } else assert.equal(reports.length, 0);
            c.close();
          },
        ),
        { numRuns: 300, interruptAfterTimeLimit: 20_000 },
      );
    });
    assert.deepEqual(unhandled, []);
  });
});
