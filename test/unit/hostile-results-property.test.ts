/**
 * Property: whatever a handler returns or throws, sync or async, on any of
 * the handler paths, its request is answered with exactly one frame, that
 * frame is JSON, and it is an `ack` with the request's id or an `error` with
 * the id and one of the protocol's codes. Nothing escapes to the process, and
 * another connection is still served after every run.
 *
 * The generator builds recipes (plain data) and the hostile values are made
 * from them when the handler runs, so fast-check can print a counterexample
 * without tripping over a Proxy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CaromError, ClientError, ErrorCode, Handler, On } from '../../src/index.js';
import {
  createTestApp,
  settle,
  type ReceivedEnvelope,
  type TestClient,
} from '../../src/testing/index.js';
import { failOnEscapes } from '../support/no-escapes.js';
import { hostileProxy } from '../support/hostile-values.js';

failOnEscapes();

// ---------------------------------------------------------------------------
// Recipes of hostile values
// ---------------------------------------------------------------------------

type Recipe =
  | { readonly k: 'json'; readonly v: unknown }
  | { readonly k: 'any'; readonly v: unknown }
  | { readonly k: 'fn' }
  | { readonly k: 'symbol'; readonly d: string }
  | { readonly k: 'bigint'; readonly v: bigint }
  | { readonly k: 'proxy' }
  | { readonly k: 'getters' }
  | { readonly k: 'toJSON' }
  | { readonly k: 'circular' }
  | {
      readonly k: 'carom';
      readonly code: string;
      readonly message: string;
      readonly details: Recipe;
    }
  | { readonly k: 'client'; readonly message: string; readonly details: Recipe }
  | { readonly k: 'nested'; readonly inner: Recipe }
  | { readonly k: 'thenable'; readonly how: Settle; readonly inner: Recipe };

/** How a thenable misbehaves; none of them leaves its caller waiting for ever. */
type Settle =
  'resolve' | 'reject' | 'throw' | 'twice' | 'both' | 'rejectThenResolve' | 'thenGetter';

const CODES = Object.values(ErrorCode) as string[];

const boom = (): never => {
  throw new Error('trap');
};

function build(r: Recipe): unknown {
  switch (r.k) {
    case 'json':
    case 'any':
    case 'bigint':
      return r.v;
    case 'fn':
      return () => 1;
    case 'symbol':
      return Symbol(r.d);
    case 'proxy':
      return hostileProxy();
    case 'getters':
      return {
        get message(): never {
          return boom();
        },
        get code(): never {
          return boom();
        },
        get name(): never {
          return boom();
        },
      };
    case 'toJSON':
      return { toJSON: boom };
    case 'circular': {
      const o: Record<string, unknown> = {};
      o.o = [o];
      return o;
    }
    case 'carom':
      return new CaromError(r.code as ErrorCode, r.message, build(r.details));
    case 'client':
      return new ClientError(r.message, { details: build(r.details) });
    case 'nested':
      return { a: [1, { b: build(r.inner) }] };
    case 'thenable': {
      const inner = (): unknown => build(r.inner);
      switch (r.how) {
        case 'resolve':
          return { then: (ok: (v: unknown) => void) => ok(inner()) };
        case 'reject':
          return { then: (_: unknown, fail: (e: unknown) => void) => fail(inner()) };
        case 'throw':
          return {
            then(): never {
              throw inner();
            },
          };
        case 'twice':
          return {
            then(ok: (v: unknown) => void): void {
              ok(inner());
              ok(inner());
            },
          };
        case 'both':
          return {
            then(ok: (v: unknown) => void, fail: (e: unknown) => void): void {
              ok(inner());
              fail(inner());
            },
          };
        case 'rejectThenResolve':
          return {
            then(ok: (v: unknown) => void, fail: (e: unknown) => void): void {
              fail(inner());
              ok(inner());
            },
          };
        case 'thenGetter':
          return {
            get then(): never {
              throw inner();
            },
          };
      }
    }
  }
}

const recipe: fc.Arbitrary<Recipe> = fc.letrec<{ recipe: Recipe }>((tie) => ({
  recipe: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ k: fc.constant('json' as const), v: fc.jsonValue({ maxDepth: 3 }) }),
    fc.record({
      k: fc.constant('any' as const),
      v: fc.anything({
        maxDepth: 3,
        withBigInt: true,
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withObjectString: true,
        withSparseArray: true,
        withTypedArray: true,
      }),
    }),
    fc.constant({ k: 'fn' as const }),
    fc.record({ k: fc.constant('symbol' as const), d: fc.string({ maxLength: 5 }) }),
    fc.record({ k: fc.constant('bigint' as const), v: fc.bigInt() }),
    fc.constant({ k: 'proxy' as const }),
    fc.constant({ k: 'getters' as const }),
    fc.constant({ k: 'toJSON' as const }),
    fc.constant({ k: 'circular' as const }),
    fc.record({
      k: fc.constant('carom' as const),
      code: fc.oneof(fc.constantFrom(...CODES), fc.string({ maxLength: 12 })),
      message: fc.string({ maxLength: 40 }),
      details: tie('recipe'),
    }),
    fc.record({
      k: fc.constant('client' as const),
      message: fc.string({ maxLength: 40 }),
      details: tie('recipe'),
    }),
    fc.record({ k: fc.constant('nested' as const), inner: tie('recipe') }),
    fc.record({
      k: fc.constant('thenable' as const),
      how: fc.constantFrom<Settle>(
        'resolve',
        'reject',
        'throw',
        'twice',
        'both',
        'rejectThenResolve',
        'thenGetter',
      ),
      inner: tie('recipe'),
    }),
  ),
})).recipe;

interface Act {
  readonly event: string;
  readonly mode: 'return' | 'throw';
  readonly what: Recipe;
}

const act: fc.Arbitrary<Act> = fc.record({
  event: fc.constantFrom('class.sync', 'class.async', 'ctrl.sync', 'ctrl.async', 'multi'),
  mode: fc.constantFrom<'return' | 'throw'>('return', 'throw'),
  what: recipe,
});

// ---------------------------------------------------------------------------
// The app: every handler does what the current run says
// ---------------------------------------------------------------------------

let current: Act | undefined;

function perform(): unknown {
  if (current === undefined) return 'idle';
  const value = build(current.what);
  if (current.mode === 'throw') throw value;
  return value;
}

@On('class.sync')
class ClassSync extends Handler {
  handle(): unknown {
    return perform();
  }
}

@On('class.async')
class ClassAsync extends Handler {
  async handle(): Promise<unknown> {
    await null;
    return perform();
  }
}

class Controller {
  @On('ctrl.sync')
  sync(): unknown {
    return perform();
  }

  @On('ctrl.async')
  async later(): Promise<unknown> {
    await Promise.resolve();
    return perform();
  }

  @On('multi')
  first(): unknown {
    return perform();
  }

  @On('multi')
  second(): unknown {
    return undefined;
  }

  @On('ok')
  ok(): string {
    return 'ok';
  }
}

function parse(text: string): ReceivedEnvelope {
  try {
    return JSON.parse(text) as ReceivedEnvelope;
  } catch {
    return assert.fail(`a frame that is not JSON: ${text.slice(0, 200)}`);
  }
}

/** The one frame a run produced, checked against the protocol. */
function checkOnlyReply(client: TestClient, id: string): ReceivedEnvelope {
  assert.equal(client.socket.frames.length, 1, `frames: ${client.socket.frames.join(' ')}`);
  const reply = parse(client.socket.frames[0]!);
  assert.equal(reply.id, id);
  assert.equal(typeof reply.timestamp, 'string');
  if (reply.event === 'ack') {
    assert.ok('data' in reply);
  } else {
    assert.equal(reply.event, 'error');
    assert.ok(CODES.includes(reply.data.code), `not a protocol code: ${reply.data.code}`);
    assert.equal(typeof reply.data.message, 'string');
  }
  return reply;
}

describe('hostile handler results (property)', () => {
  it('every request is answered with exactly one well-formed frame; others are served', async () => {
    const t = await createTestApp({ handlers: [ClassSync, ClassAsync, Controller] });
    const client = await t.connect();
    const other = await t.connect();
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(act, async (a) => {
          const id = `p${++n}`;
          client.clear();
          other.clear();
          const logged = t.logs.filter((l) => l.level === 'error').length;
          current = a;
          const reply = await client.request(a.event, undefined, { id });
          current = undefined;
          // Late callbacks of a misbehaving thenable would show up here.
          await settle(3);
          const only = checkOnlyReply(client, id);
          assert.equal(only.event, reply.event);
          if (a.mode === 'return' && a.what.k === 'json') {
            assert.equal(only.event, 'ack');
            assert.deepEqual(only.data, JSON.parse(JSON.stringify(a.what.v)));
          }
          if (only.event === 'error' && only.data.message === 'the handler failed') {
            const now = t.logs.filter((l) => l.level === 'error').length;
            assert.ok(now > logged, 'an unexpected failure is logged');
          }
          const ok = await other.request('ok', undefined, { id: `o${n}` });
          assert.equal(ok.event, 'ack');
          assert.equal(ok.data, 'ok');
          assert.equal(t.app.stats().pending, 0);
        }),
        {
          numRuns: 300,
          interruptAfterTimeLimit: 60_000,
          examples: [
            [{ event: 'ctrl.sync', mode: 'throw', what: { k: 'proxy' } }],
            [{ event: 'class.async', mode: 'throw', what: { k: 'getters' } }],
            [{ event: 'ctrl.sync', mode: 'return', what: { k: 'fn' } }],
            [{ event: 'multi', mode: 'return', what: { k: 'symbol', d: 's' } }],
            [
              {
                event: 'class.sync',
                mode: 'throw',
                what: { k: 'carom', code: 'FORBIDDEN', message: 'm', details: { k: 'circular' } },
              },
            ],
            [
              {
                event: 'ctrl.async',
                mode: 'throw',
                what: { k: 'client', message: 'm', details: { k: 'bigint', v: 1n } },
              },
            ],
            [
              {
                event: 'class.sync',
                mode: 'return',
                what: { k: 'thenable', how: 'thenGetter', inner: { k: 'proxy' } },
              },
            ],
            [
              {
                event: 'multi',
                mode: 'return',
                what: { k: 'thenable', how: 'both', inner: { k: 'toJSON' } },
              },
            ],
          ],
        },
      );
      assert.ok(n >= 8, `only ${n} runs`);
    } finally {
      current = undefined;
      await t.close();
    }
  });
});
