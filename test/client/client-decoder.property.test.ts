/**
 * Property: whatever frames a server sends (random JSON values, random
 * strings with lone surrogates, envelopes with fields of the wrong types,
 * replies aimed at the pending requests, deep nesting, non-string frames),
 * the client never throws, leaves no unhandled rejection, reports with
 * well-formed errors, and every request settles: it resolves, or rejects
 * with a RequestError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CaromClient, RequestError, type ServerError } from '../../src/client/index.js';
import { unhandledDuring } from '../support/unhandled.js';
import { fakeWebSocket } from './fake-socket.js';

/** Any UTF-16 code unit, lone surrogates included. */
const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const anyString = fc.string({ unit, maxLength: 40 });
const anyJson = fc.jsonValue({ maxDepth: 4 });

/** Ids of the requests each run makes: 1 to 4, and the subscribe's 5; a few around them. */
const id = fc.oneof(
  fc.integer({ min: -3, max: 7 }),
  fc.constantFrom('1', '5', 1.5, 2 ** 53, -0),
  anyString,
  anyJson,
);

const errorData = fc.oneof(
  anyJson,
  fc.record(
    { code: fc.oneof(anyString, anyJson), message: fc.oneof(anyString, anyJson), details: anyJson },
    { requiredKeys: [] },
  ),
  fc
    .record({ rejected: fc.oneof(anyJson, fc.array(fc.record({ name: anyJson }))) })
    .map((details) => ({ code: 'UNKNOWN_EVENT', message: 'x', details })),
);

const envelope = fc
  .record(
    {
      event: fc.oneof(
        fc.constantFrom('ack', 'error', 'carom.welcome', 'news', 'carom.ping', '__proto__'),
        anyString,
        anyJson,
      ),
      id,
      data: fc.oneof(
        anyJson,
        errorData,
        fc.record({ events: fc.oneof(anyJson, fc.array(anyString)) }),
      ),
      timestamp: fc.oneof(anyString, anyJson),
    },
    { requiredKeys: [] },
  )
  .map((e) => JSON.stringify(e));

/** Text nested `depth` levels deep, as arrays or objects, bare or as an envelope's data. */
const deep = fc
  .record({
    depth: fc.integer({ min: 1, max: 50_000 }),
    open: fc.constantFrom('[', '{"a":', '{"__proto__":', '{"constructor":'),
    wrapped: fc.boolean(),
    closed: fc.boolean(),
  })
  .map(({ depth, open, wrapped, closed }) => {
    const close = open === '[' ? ']' : '}';
    const inner =
      open.repeat(depth) + (open === '[' ? '' : '1') + (closed ? close.repeat(depth) : '');
    return wrapped ? `{"event":"news","data":${inner},"timestamp":"t"}` : inner;
  });

const frame = fc.oneof(
  { arbitrary: envelope, weight: 6 },
  { arbitrary: anyJson.map((v) => JSON.stringify(v)), weight: 2 },
  { arbitrary: anyString, weight: 2 },
  { arbitrary: envelope.map((s) => s.slice(0, Math.max(0, s.length - 3))), weight: 1 },
  { arbitrary: deep, weight: 1 },
  // Not text at all: what a browser or a buggy WebSocket might hand over.
  {
    arbitrary: fc.oneof(anyJson, fc.constant(undefined), fc.constant(new ArrayBuffer(4))),
    weight: 1,
  },
);

/** A seed corpus of nasty frames, run before the random ones. */
const corpus: unknown[][] = [
  ['null', '5', '[]', '"x"', '{', '', '\ud800', '{"event":"\ud800"}'],
  ['{"event":"ack","id":1,"data":null}', '{"event":"error","id":2,"data":null}'],
  ['{"event":"error","id":3,"data":"x"}', '{"event":"error","id":4,"data":[1]}'],
  ['{"event":"ack","id":5,"data":null}', '{"event":"error","data":null}'],
  ['{"event":"error","id":5,"data":{"code":"X","details":{"rejected":7}}}'],
  ['{"event":"carom.welcome","data":null}', '{"event":"news","data":{"__proto__":{"x":1}}}'],
  ['['.repeat(100_000) + ']'.repeat(100_000), '{"a":'.repeat(100_000)],
  [null, undefined, 7, { data: 'x' }],
];

describe('carom/client decoder: hostile server frames (property)', () => {
  it('never throws, leaves no unhandled rejection, and settles every request', async () => {
    const unhandled = await unhandledDuring(async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(frame, { minLength: 1, maxLength: 12 }),
          fc.boolean(),
          async (frames, throwingListener) => {
            const fake = fakeWebSocket();
            const c = new CaromClient('ws://carom.test/ws', { WebSocket: fake.WebSocket });
            const reports: ServerError[] = [];
            c.onError((e) => reports.push(e));
            for (const event of ['news', 'ack', 'error', 'carom.welcome', '__proto__']) {
              c.on(event, (data) => {
                if (throwingListener) throw new Error(`listener of ${event}`);
                return data;
              });
            }
            const socket = fake.sockets[0]!;
            socket.accept('carom').welcome('c1');
            const settled = [1, 2, 3, 4].map(() => settle(c.request('chat', { text: 'x' })));
            settled.push(settle(c.subscribe(['news'])));
            for (const f of frames) socket.deliver(f);
            c.close();
            for (const outcome of await Promise.all(settled)) {
              if ('error' in outcome) {
                assert.ok(
                  outcome.error instanceof RequestError,
                  `a request rejected with ${String(outcome.error)}`,
                );
                assert.equal(typeof outcome.error.code, 'string');
              }
            }
            for (const r of reports) {
              assert.equal(typeof r.code, 'string');
              assert.equal(typeof r.message, 'string');
            }
          },
        ),
        { numRuns: 300, interruptAfterTimeLimit: 20_000, examples: corpus.map((f) => [f, true]) },
      );
    });
    assert.deepEqual(unhandled, []);
  });
});

async function settle(p: Promise<unknown>): Promise<{ value: unknown } | { error: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}
