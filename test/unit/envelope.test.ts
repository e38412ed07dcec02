import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DETAILS_OMITTED,
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
import { CaromError, ClientError, ErrorCode } from '../../src/index.js';
import { Frame } from '../../src/protocol/frame.js';
import { plainToInstance } from 'class-transformer';
import { mergeRealm } from '../fixtures/nasty-frames.js';
import { countValues } from '../../src/protocol/json-limits.js';

const LIMITS: DecodeLimits = { maxEventLength: 200, maxDepth: 32 };
const TS = '2026-11-24T11:39:58.733Z';

function rejected(text: string, limits: DecodeLimits = LIMITS): Rejection {
  const result = decodeEnvelope(text, limits);
  assert.ok(isRejection(result), `expected a rejection for ${text}, got ${JSON.stringify(result)}`);
  // The protocol layer answers with plain data; the core makes the CaromError.
  assert.equal(typeof result.error.code, 'string');
  assert.equal(typeof result.error.message, 'string');
  return result;
}

function accepted(text: string, limits: DecodeLimits = LIMITS): InboundEnvelope {
  const result = decodeEnvelope(text, limits);
  assert.ok(!isRejection(result), `expected ${text} to decode, got ${JSON.stringify(result)}`);
  return result;
}

function frame(fields: Record<string, unknown>): string {
  return JSON.stringify(fields);
}

describe('decodeEnvelope: a good envelope', () => {
  it('reads event, data, timestamp and id', () => {
    const env = accepted(
      frame({ event: 'chat', data: { text: 'hi' }, timestamp: '2026-11-24T11:39:58.733Z', id: 7 }),
    );
    assert.deepEqual(env, {
      event: 'chat',
      data: { text: 'hi' },
      timestamp: Date.UTC(2026, 10, 24, 11, 39, 58, 733),
      id: 7,
    });
  });

  it('keeps microseconds of an offset-less timestamp', () => {
    const a = accepted(frame({ event: 'e', timestamp: '2026-11-24T11:39:58.733451' }));
    const b = accepted(frame({ event: 'e', timestamp: '2026-11-24T11:39:58.733452' }));
    assert.ok((a.timestamp as number) < (b.timestamp as number));
  });

  it('takes an epoch-milliseconds timestamp as it is', () => {
    assert.equal(
      accepted(frame({ event: 'e', timestamp: 1795520398733.5 })).timestamp,
      1795520398733.5,
    );
    assert.equal(accepted(frame({ event: 'e', timestamp: 0 })).timestamp, 0);
  });

  it('treats a missing or null timestamp as absent', () => {
    assert.equal(accepted(frame({ event: 'e' })).timestamp, undefined);
    assert.equal(accepted(frame({ event: 'e', timestamp: null })).timestamp, undefined);
  });

  it('gives {} for missing data, a fresh object each time', () => {
    const a = accepted(frame({ event: 'e' }));
    const b = accepted(frame({ event: 'e' }));
    assert.deepEqual(a.data, {});
    assert.deepEqual(b.data, {});
    assert.notEqual(a.data, b.data);
  });

  it('passes any other JSON data through, null included', () => {
    for (const data of [
      null,
      0,
      42,
      'text',
      true,
      false,
      [],
      [1, 'two', { three: 3 }],
      { a: { b: [1] } },
    ]) {
      assert.deepEqual(accepted(frame({ event: 'e', data })).data, data, JSON.stringify(data));
    }
  });

  it('ignores unknown extra fields', () => {
    const env = accepted(
      frame({ event: 'e', version: 2, meta: { x: 1 }, Event: 'other', ID: 'nope', extra: null }),
    );
    assert.deepEqual(env, { event: 'e', data: {}, timestamp: undefined, id: undefined });
    assert.deepEqual(Object.keys(env).sort(), ['data', 'event', 'id', 'timestamp']);
  });

  it('accepts ids: strings up to 64 characters and safe integers', () => {
    for (const id of [
      'abc',
      '',
      'x'.repeat(64),
      'é'.repeat(64),
      0,
      1,
      -1,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
    ]) {
      assert.equal(accepted(frame({ event: 'e', id })).id, id, JSON.stringify(id));
    }
  });

  it('treats a null id as absent', () => {
    assert.equal(accepted(frame({ event: 'e', id: null })).id, undefined);
  });

  it('accepts event names with dots, digits and non-ASCII letters', () => {
    for (const event of ['room.42', 'a.b.c', 'café', '日本', 'ping_timed', 'x-y', 'with space']) {
      assert.equal(accepted(frame({ event })).event, event);
    }
  });
});

describe('decodeEnvelope: BAD_JSON', () => {
  for (const text of [
    '{',
    '',
    ' ',
    'not json',
    "{'event':'x'}",
    '{"event":"x",}',
    '{"event":"x"}}',
    'undefined',
    'NaN',
  ]) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      const r = rejected(text);
      assert.equal(r.error.code, ErrorCode.BAD_JSON);
      assert.equal(r.id, undefined);
      assert.equal(r.event, undefined);
    });
  }
});

describe('decodeEnvelope: JSON that is not an object', () => {
  for (const text of ['[]', '[{"event":"x"}]', '"event"', '42', '-1.5', 'null', 'true', 'false']) {
    it(`refuses ${text} with BAD_ENVELOPE`, () => {
      const r = rejected(text);
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.equal(r.id, undefined);
      assert.equal(r.event, undefined);
    });
  }
});

describe('decodeEnvelope: bad event', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['missing', { data: {} }],
    ['empty', { event: '' }],
    ['null', { event: null }],
    ['a number', { event: 5 }],
    ['a boolean', { event: true }],
    ['an array', { event: ['chat'] }],
    ['an object', { event: { name: 'chat' } }],
  ];
  for (const [name, fields] of bad) {
    it(`refuses an event that is ${name}, echoing the id`, () => {
      const r = rejected(frame({ ...fields, id: 'req-1' }));
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.match(r.error.message, /event/);
      assert.equal(r.id, 'req-1');
    });
  }

  it('refuses an event longer than the default limit and accepts one at it', () => {
    accepted(frame({ event: 'e'.repeat(200) }));
    const r = rejected(frame({ event: 'e'.repeat(201), id: 3 }));
    assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
    assert.match(r.error.message, /200/);
    assert.equal(r.id, 3);
  });

  it('uses the configured limit', () => {
    const limits: DecodeLimits = { maxEventLength: 5, maxDepth: 32 };
    accepted(frame({ event: 'abcde' }), limits);
    const r = rejected(frame({ event: 'abcdef' }), limits);
    assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
    assert.match(r.error.message, /5/);
    const wide: DecodeLimits = { maxEventLength: 1000, maxDepth: 32 };
    accepted(frame({ event: 'e'.repeat(1000) }), wide);
    rejected(frame({ event: 'e'.repeat(1001) }), wide);
  });

  for (const [name, event] of [
    ['NUL', 'a\u0000b'],
    ['newline', 'line\nbreak'],
    ['carriage return', 'x\r'],
    ['tab', '\tchat'],
    ['escape', 'chat\u001b[31m'],
    ['DEL', 'chat\u007f'],
    ['C1 NEL', 'chat\u0085'],
    ['C1 APC', '\u009fchat'],
  ]) {
    it(`refuses an event containing a control character (${name})`, () => {
      const r = rejected(frame({ event, id: 9 }));
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.match(r.error.message, /control/);
      assert.equal(r.id, 9);
    });
  }
});

describe('decodeEnvelope: bad id', () => {
  const bad: [string, unknown][] = [
    ['an object', { n: 1 }],
    ['an array', [1]],
    ['a float', 1.5],
    ['an unsafe integer', 2 ** 53],
    ['a negative unsafe integer', -(2 ** 53)],
    ['a huge number', 1e300],
    ['a string over 64 characters', 'x'.repeat(65)],
    ['a boolean', true],
  ];
  for (const [name, id] of bad) {
    it(`refuses an id that is ${name}`, () => {
      const r = rejected(frame({ event: 'chat', id }));
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.match(r.error.message, /id/);
      assert.equal(r.id, undefined);
    });
  }
});

describe('decodeEnvelope: bad timestamp', () => {
  const bad: [string, string][] = [
    ['garbage', '{"event":"chat","id":7,"timestamp":"yesterday"}'],
    ['an empty string', '{"event":"chat","id":7,"timestamp":""}'],
    ['February 30', '{"event":"chat","id":7,"timestamp":"2026-02-30T10:00:00"}'],
    ['trailing junk', '{"event":"chat","id":7,"timestamp":"2026-11-24T11:39:58Z!"}'],
    ['a boolean', '{"event":"chat","id":7,"timestamp":true}'],
    ['an object', '{"event":"chat","id":7,"timestamp":{"ms":1}}'],
    ['an array', '{"event":"chat","id":7,"timestamp":[1]}'],
    ['a number that overflows to Infinity', '{"event":"chat","id":7,"timestamp":1e400}'],
  ];
  for (const [name, text] of bad) {
    it(`refuses a timestamp that is ${name}, echoing id and event`, () => {
      const r = rejected(text);
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.match(r.error.message, /timestamp/);
      assert.equal(r.id, 7);
      assert.equal(r.event, 'chat');
    });
  }

  it('echoes a string id too', () => {
    const r = rejected(frame({ event: 'chat', id: 'abc', timestamp: 'nope' }));
    assert.equal(r.id, 'abc');
    assert.equal(r.event, 'chat');
  });
});

describe('decodeEnvelope: keys that reach a prototype', () => {
  // __proto__ is refused whatever its value; constructor only with an object or array value.
  for (const key of ['__proto__', 'constructor']) {
    it(`refuses ${key} with an object value at the top level of data, naming the path`, () => {
      const r = rejected(`{"event":"chat","id":4,"data":{"ok":1,"${key}":{"polluted":true}}}`);
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.ok(r.error.message.includes(`data.${key}`), r.error.message);
      assert.equal(r.id, 4);
      assert.equal(r.event, 'chat');
    });

    it(`refuses ${key} nested in objects and arrays, naming the path`, () => {
      const r = rejected(`{"event":"chat","data":{"a":{"b":[1,{"${key}":{"x":1}}]}}}`);
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.ok(r.error.message.includes(`data.a.b[1].${key}`), r.error.message);
    });

    it(`refuses ${key} inside data that is itself an array`, () => {
      const r = rejected(`{"event":"chat","data":[0,[{"${key}":[1]}]]}`);
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.ok(r.error.message.includes(`data[1][0].${key}`), r.error.message);
    });

    it(`refuses ${key} deep down`, () => {
      const r = rejected(`{"event":"chat","data":{"a":{"b":{"c":{"d":[{"e":{"${key}":{}}}]}}}}}`);
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.ok(r.error.message.includes(`data.a.b.c.d[0].e.${key}`), r.error.message);
    });
  }

  it('refuses __proto__ and constructor whatever their value', () => {
    for (const key of ['__proto__', 'constructor']) {
      for (const value of ['null', '1', '"x"', 'true', '[]', '{}']) {
        const r = rejected(`{"event":"chat","data":{"a":{"${key}":${value}}}}`);
        assert.ok(r.error.message.includes(`data.a.${key}`), r.error.message);
      }
    }
  });

  it('refuses constructor.prototype, the deep-merge pollution path', () => {
    const r = rejected('{"event":"chat","data":{"constructor":{"prototype":{"polluted":true}}}}');
    assert.ok(r.error.message.includes('data.constructor'), r.error.message);
  });

  it('refuses the other Object.prototype member names with an object value', () => {
    for (const key of [
      'hasOwnProperty',
      'isPrototypeOf',
      'propertyIsEnumerable',
      'toLocaleString',
      'toString',
      'valueOf',
      '__defineGetter__',
      '__defineSetter__',
      '__lookupGetter__',
      '__lookupSetter__',
    ]) {
      const r = rejected(`{"event":"chat","data":{"x":{"${key}":{"call":1}}}}`);
      assert.ok(r.error.message.includes(`data.x.${key}`), r.error.message);
      accepted(`{"event":"chat","data":{"x":{"${key}":"text"}}}`);
    }
  });

  it('refuses a lone constructor key with a plain value: class-transformer throws on it', () => {
    class Message {
      text = '';
    }
    // No @Type on `user`: class-transformer takes the nested object's own constructor as its class.
    for (const value of ['"Ada"', '1', 'true']) {
      const data = `{"text":"hi","user":{"constructor":${value}}}`;
      assert.throws(() => plainToInstance(Message, JSON.parse(data)), TypeError);
      const r = rejected(`{"event":"chat","id":1,"data":${data}}`);
      assert.ok(r.error.message.includes('data.user.constructor'), r.error.message);
    }
    rejected('{"event":"chat","data":{"constructor":"Ada"}}');
  });

  it('accepts prototype with any value: it matters on a function only', () => {
    for (const value of ['"x"', '1', 'null', '{"polluted":true}', '[1]']) {
      const text = `{"event":"chat","data":{"prototype":${value},"a":[{"prototype":${value}}]}}`;
      assert.deepEqual(accepted(text).data, JSON.parse(text).data);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses a refused key spelled with JSON unicode escapes', () => {
    // JSON.parse turns "\u005f_proto__" into the key "__proto__"; the raw text never says so.
    for (const spelled of ['\\u005f_proto__', '__prot\\u006f__', 'constructo\\u0072']) {
      const r = rejected(`{"event":"chat","data":{"${spelled}":{"polluted":true}}}`);
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE, spelled);
    }
  });

  it('accepts the words as string values and inside longer keys', () => {
    const data = {
      text: 'constructor',
      list: ['__proto__', 'prototype', 'constructor'],
      constructors: { a: 1 },
      my_prototype: 2,
      __proto__x: { b: 3 },
      nested: { note: 'the constructor of prototype __proto__' },
    };
    const env = accepted(frame({ event: 'chat', data }));
    assert.deepEqual(env.data, data);
  });

  it('cuts a long key on the path it names', () => {
    const long = 'k'.repeat(10_000);
    const r = rejected(`{"event":"chat","data":{"${long}":{"__proto__":{}}}}`);
    assert.ok(r.error.message.length < 200, r.error.message);
    assert.ok(r.error.message.includes('.__proto__'), r.error.message);
  });

  it('leaves class-transformer and a naive deep merge unable to pollute with what it accepts', () => {
    class Message {
      text = '';
    }
    const text =
      '{"event":"chat","data":{"text":"hi","toString":"Ada","prototype":{"polluted":true},' +
      '"nested":{"valueOf":1,"prototype":[{"polluted":true}]}}}';
    const data = accepted(text).data as Record<string, unknown>;
    const instance = plainToInstance(Message, data);
    assert.equal(Object.getPrototypeOf(instance), Message.prototype);
    assert.ok(instance instanceof Message);
    // A deep merge that follows functions too (as lodash's isObject does), run in its own
    // realm so that a mistake could not pollute this process.
    const realm = mergeRealm();
    realm.merge(realm.target, data);
    assert.equal(realm.damage().join('; '), '');
    // The same merge on what the decoder refuses does pollute, which is why it is refused.
    for (const refused of [
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"constructor":{"assign":1}}',
      '{"hasOwnProperty":{"call":1}}',
    ]) {
      rejected(`{"event":"chat","data":${refused}}`);
      const other = mergeRealm();
      other.merge(other.target, JSON.parse(refused));
      assert.notEqual(other.damage().join('; '), '', refused);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('ignores the keys at the top level of the envelope and pollutes nothing', () => {
    const env = accepted(
      '{"event":"chat","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    );
    assert.equal(env.event, 'chat');
    assert.deepEqual(env.data, {});
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

function nested(depth: number, open = '[', close = ']', inner = ''): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

describe('decodeEnvelope: nesting depth', () => {
  it('answers the 24 KB frame that used to kill the server: 12,000 deep, with \\u and constructor', () => {
    for (const extra of ['"\\u0041"', '"constructor"', '{"constructor":{}}', '{"__proto__":1}']) {
      const text = `{"event":"chat","id":5,"data":${nested(12_000, '[', ']', extra)}}`;
      const r = rejected(text);
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.match(r.error.message, /deeper than 32/);
      assert.match(r.error.message, /maxDepth/);
      assert.equal(r.id, 5);
      assert.equal(r.event, 'chat');
    }
  });

  it('refuses 20,000 levels of objects too', () => {
    let data = '1';
    for (let i = 0; i < 20_000; i++) data = `{"a":${data}}`;
    const r = rejected(`{"event":"chat","data":${data}}`);
    assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
  });

  it('accepts data exactly at the limit and refuses one level more', () => {
    for (const [open, close] of [
      ['[', ']'],
      ['{"k":', '}'],
    ] as const) {
      accepted(`{"event":"chat","data":${nested(32, open, close, open === '[' ? '' : '0')}}`);
      const r = rejected(
        `{"event":"chat","id":"x","data":${nested(33, open, close, open === '[' ? '' : '0')}}`,
      );
      assert.equal(r.id, 'x');
      assert.match(r.error.message, /32/);
    }
  });

  it('counts depth as documented: a scalar is 0, {} is 1', () => {
    const limits = (maxDepth: number): DecodeLimits => ({ maxEventLength: 200, maxDepth });
    accepted('{"event":"e","data":5}', limits(0));
    accepted('{"event":"e","data":null}', limits(0));
    rejected('{"event":"e","data":{}}', limits(0));
    accepted('{"event":"e","data":{}}', limits(1));
    accepted('{"event":"e","data":[1,"x",null]}', limits(1));
    rejected('{"event":"e","data":{"a":[1]}}', limits(1));
    accepted('{"event":"e","data":{"a":[1]}}', limits(2));
    // The {} given for a missing data is the server's, not the client's: not measured.
    accepted('{"event":"e"}', limits(0));
  });

  it('measures data only: depth in an ignored field does not count', () => {
    accepted(`{"event":"chat","meta":${nested(100)},"data":{"a":1}}`);
  });

  it('is not fooled by brackets inside strings', () => {
    const data = { text: '['.repeat(500) + '"\\' + '{'.repeat(500), list: [']]]', '\\"[[['] };
    assert.deepEqual(accepted(frame({ event: 'chat', data })).data, data);
  });

  it('finds a deep branch after wide shallow ones', () => {
    const data = `[${'0,'.repeat(1000)}{"a":[]},${nested(40)}]`;
    rejected(`{"event":"chat","data":${data}}`);
    accepted(`{"event":"chat","data":[${'0,'.repeat(1000)}${nested(31)}]}`);
  });
});

describe('countValues', () => {
  it('counts every object, array and primitive, the root included', () => {
    assert.equal(countValues(5, 100), 1);
    assert.equal(countValues(null, 100), 1);
    assert.equal(countValues({}, 100), 1);
    assert.equal(countValues([], 100), 1);
    assert.equal(countValues([1, 2, 3], 100), 4);
    assert.equal(countValues({ a: 1, b: [true, null, { c: 'x' }] }, 100), 7);
  });

  it('stops past the limit and says limit + 1', () => {
    assert.equal(countValues([1, 2, 3], 4), 4);
    assert.equal(countValues([1, 2, 3], 3), 4);
    assert.equal(countValues([1, 2, 3], 0), 1);
    assert.equal(
      countValues(
        Array.from({ length: 1_000_000 }, () => [1]),
        10,
      ),
      11,
    );
  });

  it('walks 100,000 levels without a stack overflow and stops at the limit on a cycle', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(countValues(deep, 1_000_000), 100_001);
    const cycle: unknown[] = [];
    cycle.push(cycle);
    assert.equal(countValues(cycle, 50), 51);
  });
});

describe('toJson', () => {
  it('serializes values and turns undefined into null', () => {
    assert.equal(toJson(undefined), 'null');
    assert.equal(toJson(null), 'null');
    assert.equal(toJson({ a: [1, 'b'] }), '{"a":[1,"b"]}');
    assert.equal(toJson('x"y'), '"x\\"y"');
  });

  it('throws a TypeError rather than return undefined', () => {
    for (const value of [() => 1, Symbol('s'), { toJSON: () => undefined }]) {
      assert.throws(() => toJson(value), { name: 'TypeError', message: /not JSON/ });
    }
  });

  it('throws on BigInt, cycles, throwing getters and throwing toJSON', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const getter = {
      get boom(): never {
        throw new Error('getter');
      },
    };
    const toJSON = {
      toJSON(): never {
        throw new Error('toJSON');
      },
    };
    for (const value of [10n, { n: 1n }, cycle, getter, toJSON]) {
      assert.throws(() => toJson(value));
    }
  });
});

describe('encodeEvent', () => {
  it('builds a valid published envelope', () => {
    const text = encodeEvent(JSON.stringify('chat'), toJson({ text: 'hi' }), TS);
    assert.deepEqual(JSON.parse(text), { event: 'chat', data: { text: 'hi' }, timestamp: TS });
  });

  it('stays valid JSON with quotes, backslashes, newlines and non-ASCII', () => {
    const event = 'we"ird\\name\n';
    const data = { text: 'line1\nline2 "quoted" \\ é 😀 \u2028' };
    const parsed = JSON.parse(encodeEvent(JSON.stringify(event), toJson(data), TS));
    assert.deepEqual(parsed, { event, data, timestamp: TS });
  });

  it('carries null, arrays and scalars as data', () => {
    for (const data of [null, [1, 2], 0, 'str', false]) {
      assert.deepEqual(JSON.parse(encodeEvent('"e"', toJson(data), TS)).data, data);
    }
    assert.equal(JSON.parse(encodeEvent('"e"', toJson(undefined), TS)).data, null);
  });

  it('has no id', () => {
    assert.equal('id' in JSON.parse(encodeEvent('"e"', '{}', TS)), false);
  });
});

describe('encodeAck', () => {
  it('builds an ack with a numeric id', () => {
    assert.deepEqual(JSON.parse(encodeAck(7, toJson({ ok: true }), TS)), {
      event: 'ack',
      id: 7,
      data: { ok: true },
      timestamp: TS,
    });
  });

  it('keeps an id of 0 and null data', () => {
    assert.deepEqual(JSON.parse(encodeAck(0, toJson(undefined), TS)), {
      event: 'ack',
      id: 0,
      data: null,
      timestamp: TS,
    });
  });

  it('escapes a string id', () => {
    const id = 'req-"1"\\\n';
    assert.equal(JSON.parse(encodeAck(id, 'null', TS)).id, id);
  });
});

describe('encodeError', () => {
  it('carries code and message only, without id, when nothing else is known', () => {
    const parsed = JSON.parse(
      encodeError(
        new CaromError(ErrorCode.BAD_JSON, 'frame is not valid JSON'),
        undefined,
        undefined,
        TS,
      ),
    );
    assert.deepEqual(parsed, {
      event: 'error',
      data: { code: 'BAD_JSON', message: 'frame is not valid JSON' },
      timestamp: TS,
    });
    assert.equal('id' in parsed, false);
    assert.equal('event' in parsed.data, false);
    assert.equal('details' in parsed.data, false);
  });

  it('carries the id when given, 0 and "" included', () => {
    const err = new CaromError(ErrorCode.STALE, 'stale');
    assert.equal(JSON.parse(encodeError(err, 12, undefined, TS)).id, 12);
    assert.equal(JSON.parse(encodeError(err, 0, undefined, TS)).id, 0);
    assert.equal(JSON.parse(encodeError(err, '', undefined, TS)).id, '');
    assert.equal(JSON.parse(encodeError(err, 'a"b', undefined, TS)).id, 'a"b');
  });

  it('carries the event and details when present', () => {
    const details = [{ property: 'text', constraints: { isString: 'text must be a string' } }];
    const err = new CaromError(ErrorCode.VALIDATION_FAILED, 'payload failed validation', details);
    assert.deepEqual(JSON.parse(encodeError(err, 'r1', 'chat', TS)), {
      event: 'error',
      id: 'r1',
      data: {
        code: 'VALIDATION_FAILED',
        message: 'payload failed validation',
        event: 'chat',
        details,
      },
      timestamp: TS,
    });
  });

  it('carries a ClientError with its own code and details', () => {
    const err = new ClientError('room is full', {
      code: ErrorCode.FORBIDDEN,
      details: { max: 10 },
    });
    const parsed = JSON.parse(encodeError(err, undefined, 'join', TS));
    assert.deepEqual(parsed.data, {
      code: 'FORBIDDEN',
      message: 'room is full',
      event: 'join',
      details: { max: 10 },
    });
  });

  it('stays valid JSON with awkward messages and event names', () => {
    const err = new CaromError(ErrorCode.HANDLER_ERROR, 'bad "thing"\n\\ é \u2028');
    const parsed = JSON.parse(encodeError(err, 1, 'we"ird\n', TS));
    assert.equal(parsed.data.message, err.message);
    assert.equal(parsed.data.event, 'we"ird\n');
  });

  it('encodes a decoder rejection with what it knows', () => {
    const r = rejected(frame({ event: 'chat', id: 7, timestamp: 'nope' }));
    const parsed = JSON.parse(encodeError(r.error, r.id, r.event, TS));
    assert.equal(parsed.event, 'error');
    assert.equal(parsed.id, 7);
    assert.equal(parsed.data.code, 'BAD_ENVELOPE');
    assert.equal(parsed.data.event, 'chat');
    assert.equal(parsed.timestamp, TS);
  });
});

describe('encodeError: hostile errors', () => {
  function parsed(error: unknown): { data: Record<string, unknown>; id?: unknown } {
    const text = encodeError(error as CaromError, 3, 'chat', TS);
    return JSON.parse(text) as { data: Record<string, unknown> };
  }

  it('leaves out circular details and says so', () => {
    const details: Record<string, unknown> = { a: 1 };
    details.self = details;
    const out = parsed(new ClientError('room is full', { details }));
    assert.equal(out.data.message, `room is full${DETAILS_OMITTED}`);
    assert.equal('details' in out.data, false);
    assert.equal(out.data.code, 'HANDLER_ERROR');
    assert.equal(out.data.event, 'chat');
  });

  it('leaves out BigInt, function and throwing-toJSON details', () => {
    const throwing = {
      toJSON(): never {
        throw new Error('no');
      },
    };
    for (const details of [{ n: 10n }, 10n, () => 1, Symbol('s'), throwing]) {
      const out = parsed(new CaromError(ErrorCode.FORBIDDEN, 'no', details));
      assert.equal(out.data.message, `no${DETAILS_OMITTED}`);
      assert.equal(out.data.code, 'FORBIDDEN');
      assert.equal('details' in out.data, false);
    }
  });

  it('survives a Proxy whose every getter throws', () => {
    const hostile = new Proxy(
      {},
      {
        get(): never {
          throw new Error('trap');
        },
      },
    );
    const out = parsed(hostile);
    assert.equal(out.data.code, 'HANDLER_ERROR');
    assert.equal(typeof out.data.message, 'string');
    assert.equal(out.id, 3);
  });

  it('survives a subclass with throwing getters and values whose toString throws', () => {
    const hostile = new ClientError('x');
    for (const key of ['code', 'message', 'details']) {
      Object.defineProperty(hostile, key, {
        get(): never {
          throw new Error(key);
        },
      });
    }
    const out = parsed(hostile);
    assert.equal(out.data.code, 'HANDLER_ERROR');
    assert.ok(String(out.data.message).endsWith(DETAILS_OMITTED));
    const badCode = {
      code: {
        toString(): never {
          throw new Error('code');
        },
      },
      message: Object.create(null) as object,
    };
    const out2 = parsed(badCode);
    assert.equal(out2.data.code, 'HANDLER_ERROR');
    assert.equal(typeof out2.data.message, 'string');
  });

  it('survives null and undefined in place of an error', () => {
    for (const error of [null, undefined, 42, 'text']) {
      const out = parsed(error);
      assert.equal(typeof out.data.code, 'string');
    }
  });

  it('keeps lone surrogates and control characters valid JSON', () => {
    const err = new CaromError(ErrorCode.HANDLER_ERROR, 'a\ud800b\u0000\u009f', { s: '\udfff' });
    const out = JSON.parse(encodeError(err, '\ud800', 'e\udc00', TS)) as Record<string, unknown>;
    assert.equal(out.id, '\ud800');
  });
});

describe('Frame', () => {
  it('gives the UTF-8 bytes of its text', () => {
    for (const text of ['', '{"event":"e"}', 'héllo € 😀 日本 \u2028']) {
      const f = new Frame(text);
      assert.equal(f.text, text);
      assert.deepEqual(f.bytes, Buffer.from(text, 'utf8'));
      assert.equal(f.bytes.toString('utf8'), text);
    }
    assert.equal(new Frame('é😀').bytes.length, 6);
  });

  it('encodes once: the same Buffer on every access', () => {
    const f = new Frame(encodeEvent('"chat"', '{"text":"hi"}', TS));
    const first = f.bytes;
    assert.equal(f.bytes, first);
    assert.equal(f.bytes, first);
    const empty = new Frame('');
    assert.equal(empty.bytes, empty.bytes);
  });
});
