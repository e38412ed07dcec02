import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
import { CaromError, ClientError, ErrorCode } from '../../src/index.js';
import { Frame } from '../../src/protocol/frame.js';

const LIMITS: DecodeLimits = { maxEventLength: 200 };
const TS = '2026-11-24T11:39:58.733Z';

function rejected(text: string, limits: DecodeLimits = LIMITS): Rejection {
  const result = decodeEnvelope(text, limits);
  assert.ok(isRejection(result), `expected a rejection for ${text}, got ${JSON.stringify(result)}`);
  assert.ok(result.error instanceof CaromError);
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
    const limits: DecodeLimits = { maxEventLength: 5 };
    accepted(frame({ event: 'abcde' }), limits);
    const r = rejected(frame({ event: 'abcdef' }), limits);
    assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
    assert.match(r.error.message, /5/);
    const wide: DecodeLimits = { maxEventLength: 1000 };
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
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    it(`refuses ${key} at the top level of data, naming the path`, () => {
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
      const r = rejected(`{"event":"chat","data":[0,[{"${key}":1}]]}`);
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.ok(r.error.message.includes(`data[1][0].${key}`), r.error.message);
    });

    it(`refuses ${key} deep down`, () => {
      const r = rejected(`{"event":"chat","data":{"a":{"b":{"c":{"d":[{"e":{"${key}":null}}]}}}}}`);
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE);
      assert.ok(r.error.message.includes(`data.a.b.c.d[0].e.${key}`), r.error.message);
    });
  }

  it('refuses a forbidden key spelled with JSON unicode escapes', () => {
    // JSON.parse turns "\u005f_proto__" into the key "__proto__"; the raw text never says so.
    for (const spelled of ['\\u005f_proto__', 'constructo\\u0072', '\\u0070rototype']) {
      const r = rejected(`{"event":"chat","data":{"${spelled}":{"polluted":true}}}`);
      assert.equal(r.error.code, ErrorCode.BAD_ENVELOPE, spelled);
    }
  });

  it('accepts the words as string values and inside longer keys', () => {
    const data = {
      text: 'constructor',
      list: ['__proto__', 'prototype', 'constructor'],
      constructors: 1,
      my_prototype: 2,
      __proto__x: 3,
      nested: { note: 'the constructor of prototype __proto__' },
    };
    const env = accepted(frame({ event: 'chat', data }));
    assert.deepEqual(env.data, data);
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

describe('toJson', () => {
  it('serializes values and turns undefined into null', () => {
    assert.equal(toJson(undefined), 'null');
    assert.equal(toJson(null), 'null');
    assert.equal(toJson({ a: [1, 'b'] }), '{"a":[1,"b"]}');
    assert.equal(toJson('x"y'), '"x\\"y"');
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
