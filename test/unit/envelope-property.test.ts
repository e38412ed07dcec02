import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeEnvelope,
  encodeAck,
  encodeError,
  encodeEvent,
  isRejection,
  toJson,
  type DecodeLimits,
  type InboundEnvelope,
  type Rejection,
} from '../../src/protocol/envelope.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CaromError } from '../../src/core/errors.js';
import { isAppCode } from '../../src/core/app-code.js';
import type { WireEnvelope, WireErrorData } from '../../src/protocol/wire.js';
import { countValues } from '../../src/protocol/json-limits.js';
import { readTimestamp } from '../../src/protocol/timestamp.js';
import { NASTY_FRAMES, mergeRealm } from '../fixtures/nasty-frames.js';

const LIMITS: DecodeLimits = { maxEventLength: 200, maxDepth: 32 };
const TS = '2026-11-24T11:39:58.733Z';
const CODES = new Set<string>(Object.values(ErrorCode));
const DECODER_CODES = new Set<string>([ErrorCode.BAD_JSON, ErrorCode.BAD_ENVELOPE]);

/** Bounded runs: every property stops after its count or its time, whichever comes first. */
function run<T>(property: fc.IPropertyWithHooks<T>, numRuns: number, ms = 4000): void {
  fc.assert(property, { numRuns, interruptAfterTimeLimit: ms });
}

// --- An oracle written from the rules, independent of the decoder's code. ---

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u; // eslint-disable-line no-control-regex
/** Names of Object.prototype's members, read from the runtime rather than copied. */
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

/** Depth by levels (breadth-first), so a 20,000-deep value cannot overflow the test either. */
function depthOf(value: unknown): number {
  let level: unknown[] = [value];
  let depth = 0;
  while (level.length > 0) {
    const next: unknown[] = [];
    for (const v of level) {
      if (isContainer(v)) for (const child of Object.values(v)) next.push(child);
    }
    if (level.some(isContainer)) depth++;
    level = next;
  }
  return depth;
}

function hasRefusedKey(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (!isContainer(v)) continue;
    for (const [key, child] of Object.entries(v)) {
      // __proto__ sets a prototype; class-transformer takes a nested constructor as a class.
      if (key === '__proto__' || key === 'constructor') return true;
      if (PROTOTYPE_NAMES.has(key) && isContainer(child)) return true;
      pending.push(child);
    }
  }
  return false;
}

function goodEvent(event: unknown, limits: DecodeLimits): event is string {
  return (
    typeof event === 'string' &&
    event.length > 0 &&
    event.length <= limits.maxEventLength &&
    !CONTROL.test(event)
  );
}

function goodId(id: unknown): boolean {
  return (
    id === undefined ||
    id === null ||
    (typeof id === 'string' && id.length <= 64) ||
    (typeof id === 'number' && Number.isSafeInteger(id))
  );
}

/** What the protocol says a frame must be answered with. */
function expected(text: string, limits: DecodeLimits): 'accepted' | ErrorCode {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return ErrorCode.BAD_JSON;
  }
  if (!isContainer(parsed) || Array.isArray(parsed)) return ErrorCode.BAD_ENVELOPE;
  const raw = parsed as Record<string, unknown>;
  if (!goodId(raw.id) || !goodEvent(raw.event, limits)) return ErrorCode.BAD_ENVELOPE;
  const ts = readTimestamp(raw.timestamp);
  if (ts !== undefined && Number.isNaN(ts)) return ErrorCode.BAD_ENVELOPE;
  if (raw.data !== undefined && (depthOf(raw.data) > limits.maxDepth || hasRefusedKey(raw.data))) {
    return ErrorCode.BAD_ENVELOPE;
  }
  return 'accepted';
}

/** Decodes, checks the outcome is well formed and that every encoder gives valid JSON. */
function check(text: string, limits: DecodeLimits = LIMITS): InboundEnvelope | Rejection {
  const result = decodeEnvelope(text, limits);
  if (isRejection(result)) {
    // Plain data: the protocol layer holds no error classes.
    assert.equal(Object.getPrototypeOf(result.error), Object.prototype);
    assert.ok(DECODER_CODES.has(result.error.code), result.error.code);
    assert.ok(goodId(result.id));
    assert.ok(result.event === undefined || goodEvent(result.event, limits));
    // A message never echoes a whole frame back.
    assert.ok(result.error.message.length < 400, result.error.message.slice(0, 400));
    const reply = JSON.parse(
      encodeError(result.error, result.id, result.event, TS),
    ) as WireEnvelope<WireErrorData>;
    assert.ok(CODES.has(reply.data.code));
  } else {
    assert.ok(goodEvent(result.event, limits), 'event');
    assert.ok(goodId(result.id), 'id');
    assert.ok(result.timestamp === undefined || Number.isFinite(result.timestamp), 'timestamp');
    assert.ok(depthOf(result.data) <= limits.maxDepth, 'depth');
    assert.equal(hasRefusedKey(result.data), false, 'refused key');
    const dataJson = toJson(result.data);
    JSON.parse(encodeAck(result.id ?? 0, dataJson, TS));
    JSON.parse(encodeEvent(JSON.stringify(result.event), dataJson, TS));
  }
  return result;
}

function agrees(text: string, limits: DecodeLimits = LIMITS): InboundEnvelope | Rejection {
  const result = check(text, limits);
  const want = expected(text, limits);
  const got = isRejection(result) ? result.error.code : 'accepted';
  assert.equal(
    got,
    want,
    `${text.slice(0, 200)}: ${isRejection(result) ? result.error.message : ''}`,
  );
  return result;
}

// --- Arbitraries. ---

/** Any UTF-16 code unit, lone surrogates and control characters included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const anyString = fc.string({ unit: codeUnit, maxLength: 60 });
const nastyString = fc.oneof(
  anyString,
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '\ud800',
    '\udfff',
    'chat',
    'a.*',
    '*',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
const jsonData = fc.jsonValue({ maxDepth: 6, stringUnit: codeUnit });
const field = fc.oneof(
  jsonData,
  nastyString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 53, -(2 ** 53), 1e300, -0, 0.5),
);
const limitsArb = fc.record({
  maxEventLength: fc.integer({ min: 1, max: 300 }),
  maxDepth: fc.integer({ min: 1, max: 40 }),
});

/** A refused key, sometimes spelled with \u escapes in the text. */
const refusedKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  '__lookupGetter__',
);

/** Rewrites some characters of a key in the text as \u escapes (JSON.parse reads them back). */
function escapeSome(key: string, mask: number): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    out += (mask >> i) & 1 ? `\\u${key.charCodeAt(i).toString(16).padStart(4, '0')}` : key[i];
  }
  return out;
}

/** Puts `"key": value` somewhere in a JSON value: in an object at a random place, or wrapped. */
function plant(value: unknown, key: string, planted: unknown, choice: number): unknown {
  const pending: unknown[] = [value];
  const objects: Record<string, unknown>[] = [];
  while (pending.length > 0) {
    const v = pending.pop();
    if (!isContainer(v)) continue;
    if (!Array.isArray(v)) objects.push(v as Record<string, unknown>);
    for (const child of Object.values(v)) pending.push(child);
  }
  if (objects.length === 0) return [value, { [key]: planted }];
  const target = objects[choice % objects.length]!;
  Object.defineProperty(target, key, {
    value: planted,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return value;
}

/** JSON.stringify, which writes own `__proto__` properties as keys like any other. */
function serialize(value: unknown): string {
  return JSON.stringify(value);
}

// --- Properties. ---

describe('decodeEnvelope: properties', () => {
  it('never throws on any string and answers as the rules say', () => {
    run(
      fc.property(anyString, (text) => void agrees(text)),
      2000,
    );
  });

  it('never throws on random bytes read as UTF-8 or latin1', () => {
    run(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        agrees(buffer.toString('utf8'));
        agrees(buffer.toString('latin1'));
      }),
      1000,
    );
  });

  it('answers any JSON text as the rules say', () => {
    run(
      fc.property(fc.json({ maxDepth: 8, stringUnit: codeUnit }), (text) => void agrees(text)),
      1000,
    );
  });

  it('answers random envelopes with wrong or right field types as the rules say', () => {
    run(
      fc.property(
        fc.record(
          { event: field, id: field, data: field, timestamp: field, extra: field },
          { requiredKeys: [] },
        ),
        limitsArb,
        (fields, limits) => void agrees(JSON.stringify(fields), limits),
      ),
      1500,
    );
  });

  it('accepts good envelopes with any JSON data within the limits', () => {
    run(
      fc.property(jsonData, fc.option(fc.integer(), { nil: undefined }), (data, id) => {
        const text = JSON.stringify({ event: 'chat', data, id });
        const result = check(text);
        if (!hasRefusedKey(data)) assert.ok(!isRejection(result), JSON.stringify(result));
      }),
      1000,
    );
  });

  it('refuses a refused key planted anywhere, spelled plainly or with \\u escapes', () => {
    run(
      fc.property(
        jsonData,
        refusedKey,
        fc.oneof(jsonData.filter(isContainer), fc.constant({})),
        fc.nat(),
        fc.nat({ max: 0xffff }),
        (data, key, planted, choice, mask) => {
          const value = plant(data, key, planted, choice);
          const marker = `"${key}":`;
          const plain = JSON.stringify({ event: 'chat', id: 1, data: value });
          // Escape every occurrence of the key as a key; JSON.parse reads the same value back.
          const text = plain.split(marker).join(`"${escapeSome(key, mask)}":`);
          const result = check(text);
          assert.ok(isRejection(result), text.slice(0, 200));
          assert.equal(result.error.code, ErrorCode.BAD_ENVELOPE);
          assert.equal(result.id, 1);
          assert.equal(result.event, 'chat');
          agrees(text);
        },
      ),
      500,
    );
  });

  it('accepts nothing a naive deep merge could pollute with', () => {
    const realm = mergeRealm();
    const key = fc.constantFrom(...Object.getOwnPropertyNames(Object.prototype), 'prototype', 'a');
    // Payloads built from prototype member names at every level, with object and plain values.
    const payload = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', maxDepth: 4 },
        fc.constantFrom(1, 'x', null, true),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.array(fc.tuple(key, tie('node')), { maxLength: 4 }).map((entries) => {
          const o: Record<string, unknown> = {};
          for (const [k, v] of entries) {
            Object.defineProperty(o, k, {
              value: v,
              enumerable: true,
              writable: true,
              configurable: true,
            });
          }
          return o;
        }),
      ),
    })).node;
    run(
      fc.property(payload, (data) => {
        const text = `{"event":"chat","data":${serialize(data)}}`;
        const result = check(text);
        if (isRejection(result) || !isContainer(result.data)) return;
        realm.merge(realm.target, result.data);
        assert.equal(realm.damage().join('; '), '', text);
      }),
      1000,
    );
  });

  it('refuses nesting up to 20,000 deep without overflowing, whatever is at the bottom', () => {
    run(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.array(fc.constantFrom('[', '{"a":', '{"__proto__":', '{"constructor":', '{"\\u0041":'), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.constantFrom('1', '"\\u0041"', '"constructor"', '{}', '[]', '{"__proto__":{}}', 'null'),
        fc.integer({ min: 1, max: 64 }),
        (depth, opens, bottom, maxDepth) => {
          let open = '';
          let close = '';
          for (let i = 0; i < depth; i++) {
            const o = opens[i % opens.length]!;
            open += o;
            close = (o === '[' ? ']' : '}') + close;
          }
          const text = `{"event":"chat","id":"d","data":${open}${bottom}${close}}`;
          agrees(text, { maxEventLength: 200, maxDepth });
        },
      ),
      150,
      8000,
    );
  });

  it('accepts huge numbers and long strings as data', () => {
    run(
      fc.property(
        fc.oneof(
          fc.bigInt().map(String),
          fc.nat({ max: 400 }).map((n) => `1e${n}`),
          fc.nat({ max: 5000 }).map((n) => `-${'9'.repeat(n + 1)}.5e-3`),
          fc.nat({ max: 50_000 }).map((n) => JSON.stringify('x'.repeat(n))),
          fc.string({ unit: codeUnit, maxLength: 2000 }).map((s) => JSON.stringify(s)),
        ),
        (data) => {
          const text = `{"event":"chat","id":2,"data":${data}}`;
          assert.ok(!isRejection(check(text)));
        },
      ),
      300,
    );
  });

  it('keeps the encoders valid for lone surrogates in event, id and message', () => {
    run(
      fc.property(anyString, anyString, anyString, jsonData, (event, id, message, details) => {
        const error = new CaromError(ErrorCode.HANDLER_ERROR, message, details);
        JSON.parse(encodeError(error, id, event, TS));
        JSON.parse(encodeAck(id, toJson(details), TS));
        JSON.parse(encodeEvent(JSON.stringify(event), toJson(details), TS));
      }),
      1000,
    );
  });

  it('encodeError gives valid JSON for any details, serializable or not', () => {
    run(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true }),
        fc.boolean(),
        (details, cyclic) => {
          if (cyclic && isContainer(details)) {
            Object.defineProperty(details, 'self', { value: details, enumerable: true });
          }
          const parsed = JSON.parse(
            encodeError(new CaromError(ErrorCode.VALIDATION_FAILED, 'm', details), 1, 'e', TS),
          ) as { data: Record<string, unknown> };
          assert.equal(parsed.data.code, 'VALIDATION_FAILED');
        },
      ),
      500,
    );
  });
});

describe('application codes: properties', () => {
  it('only the checked shape passes isAppCode, and an error carrying one encodes as valid JSON', () => {
    run(
      fc.property(anyString, anyString, (appCode, message) => {
        const shaped = /^[A-Z][A-Z0-9_]{0,63}$/.test(appCode);
        assert.equal(isAppCode(appCode), shaped);
        const parsed = JSON.parse(
          encodeError({ code: ErrorCode.HANDLER_ERROR, message, appCode }, 1, 'bid', TS),
        ) as { data: Record<string, unknown> };
        assert.equal(parsed.data.appCode, appCode);
        assert.equal(parsed.data.code, 'HANDLER_ERROR');
      }),
      1000,
    );
    run(
      fc.property(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,63}$/), (appCode) => isAppCode(appCode)),
      500,
    );
  });
});

describe('countValues: properties', () => {
  function naive(value: unknown): number {
    if (!isContainer(value)) return 1;
    let n = 1;
    for (const child of Object.values(value)) n += naive(child);
    return n;
  }

  it('equals a naive count, capped at limit + 1', () => {
    run(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.nat({ max: 200 }), (value, limit) => {
        assert.equal(countValues(value, limit), Math.min(naive(value), limit + 1));
      }),
      1500,
    );
  });
});

describe('the seed corpus of nasty frames', () => {
  for (const frame of NASTY_FRAMES) {
    it(`${frame.description}: ${frame.decoder}, as the rules say`, () => {
      const result = agrees(frame.text);
      assert.equal(isRejection(result) ? result.error.code : 'accepted', frame.decoder);
    });
  }
});
