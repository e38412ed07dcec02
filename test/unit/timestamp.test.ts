import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  TimestampWriter,
  formatLocalTimestamp,
  parseIsoTimestamp,
  readTimestamp,
} from '../../src/protocol/timestamp.js';

/** 2026-11-24T11:39:58Z, the instant most cases below describe. */
const T = Date.UTC(2026, 10, 24, 11, 39, 58);

/** Runs `fn` with the process in another time zone, then restores the zone. */
function inZone(zone: string, fn: () => void): void {
  const saved = process.env.TZ;
  process.env.TZ = zone;
  try {
    fn();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

/** Zones with whole-hour, half-hour, negative and DST offsets; UTC is the host's own. */
const ZONES = ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Berlin', 'Pacific/Auckland'];

/** Asserts two epoch-millisecond values agree to well under a microsecond. */
function near(actual: number, expected: number, tolerance = 1e-4): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `expected ${expected}, got ${actual} (difference ${actual - expected})`,
  );
}

const LOCAL_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

describe('parseIsoTimestamp: offsets', () => {
  it('reads Z (either case) as UTC', () => {
    assert.equal(parseIsoTimestamp('2026-11-24T11:39:58Z'), T);
    assert.equal(parseIsoTimestamp('2026-11-24T11:39:58z'), T);
  });

  it('reads +HH:MM', () => {
    assert.equal(parseIsoTimestamp('2026-11-24T13:09:58+01:30'), T);
    assert.equal(parseIsoTimestamp('2026-11-24T11:39:58+00:00'), T);
  });

  it('reads -HHMM', () => {
    assert.equal(parseIsoTimestamp('2026-11-24T06:39:58-0500'), T);
    assert.equal(parseIsoTimestamp('2026-11-24T08:09:58-0330'), T);
    assert.equal(parseIsoTimestamp('2026-11-24T11:39:58-0000'), T);
  });

  it('reads +HH and -HH', () => {
    assert.equal(parseIsoTimestamp('2026-11-24T14:39:58+03'), T);
    assert.equal(parseIsoTimestamp('2026-11-24T01:39:58-10'), T);
  });

  it('applies an offset that moves the instant to another day, month and year', () => {
    assert.equal(parseIsoTimestamp('2026-11-24T23:30:00-01:00'), Date.UTC(2026, 10, 25, 0, 30));
    assert.equal(parseIsoTimestamp('2027-01-01T00:30:00+02:00'), Date.UTC(2026, 11, 31, 22, 30));
  });

  it('reads a time without an offset as the server local time', () => {
    for (const zone of ZONES) {
      inZone(zone, () => {
        assert.equal(
          parseIsoTimestamp('2026-11-24T11:39:58'),
          new Date(2026, 10, 24, 11, 39, 58).getTime(),
          zone,
        );
        assert.equal(
          parseIsoTimestamp('2026-07-01T00:00:00'),
          new Date(2026, 6, 1, 0, 0, 0).getTime(),
          zone,
        );
      });
    }
  });

  it('gives different instants for the same offset-less text in different zones', () => {
    let kolkata = NaN;
    let stJohns = NaN;
    inZone('Asia/Kolkata', () => (kolkata = parseIsoTimestamp('2026-11-24T11:39:58')));
    inZone('America/St_Johns', () => (stJohns = parseIsoTimestamp('2026-11-24T11:39:58')));
    assert.equal(kolkata, T - 330 * 60_000);
    assert.equal(stJohns, T + 210 * 60_000);
  });
});

describe('parseIsoTimestamp: fractions and layout', () => {
  it('reads 1 to 6 fractional digits', () => {
    near(parseIsoTimestamp('2026-11-24T11:39:58.7Z'), T + 700);
    near(parseIsoTimestamp('2026-11-24T11:39:58.73Z'), T + 730);
    near(parseIsoTimestamp('2026-11-24T11:39:58.733Z'), T + 733);
    near(parseIsoTimestamp('2026-11-24T11:39:58.7334Z'), T + 733.4);
    near(parseIsoTimestamp('2026-11-24T11:39:58.73345Z'), T + 733.45);
    near(parseIsoTimestamp('2026-11-24T11:39:58.733451Z'), T + 733.451);
    near(parseIsoTimestamp('2026-11-24T11:39:58.000001Z'), T + 0.001);
  });

  it('reads up to 9 fractional digits and refuses a tenth', () => {
    near(parseIsoTimestamp('2026-11-24T11:39:58.7334512Z'), T + 733.4512, 1e-3);
    near(parseIsoTimestamp('2026-11-24T11:39:58.123456789Z'), T + 123.456789, 1e-3);
    near(
      parseIsoTimestamp('2026-11-24T11:39:58.123456789+01:00'),
      T - 3_600_000 + 123.456789,
      1e-3,
    );
    assert.ok(Number.isNaN(parseIsoTimestamp('2026-11-24T11:39:58.1234567890Z')));
  });

  it('reads a fraction on a local (offset-less) time, as bounce-ws sends it', () => {
    near(
      parseIsoTimestamp('2026-11-24T11:39:58.733451'),
      new Date(2026, 10, 24, 11, 39, 58).getTime() + 733.451,
    );
  });

  it('accepts a comma as the decimal sign', () => {
    near(parseIsoTimestamp('2026-11-24T11:39:58,5Z'), T + 500);
  });

  it('keeps microseconds: stamps 1µs apart compare in order', () => {
    const pairs: [string, string][] = [
      ['2026-11-24T11:39:58.733451Z', '2026-11-24T11:39:58.733452Z'],
      ['2026-11-24T11:39:58.733451', '2026-11-24T11:39:58.733452'],
      ['2026-11-24T11:39:58.000000', '2026-11-24T11:39:58.000001'],
      ['2026-11-24T11:39:58.999999Z', '2026-11-24T11:39:59.000000Z'],
      ['2026-11-24T11:39:58.999999', '2026-11-24T11:39:59'],
      ['2026-11-24T12:39:58.100000+01:00', '2026-11-24T11:39:58.100001Z'],
    ];
    for (const [earlier, later] of pairs) {
      const a = parseIsoTimestamp(earlier);
      const b = parseIsoTimestamp(later);
      assert.ok(a < b, `${earlier} should be before ${later} (${a} vs ${b})`);
      near(b - a, 0.001, 2e-4);
    }
    assert.equal(
      parseIsoTimestamp('2026-11-24T11:39:58.733451Z'),
      parseIsoTimestamp('2026-11-24T11:39:58.733451Z'),
    );
  });

  it('accepts a space (or lowercase t) between date and time', () => {
    assert.equal(parseIsoTimestamp('2026-11-24 11:39:58Z'), T);
    assert.equal(parseIsoTimestamp('2026-11-24t11:39:58Z'), T);
    near(parseIsoTimestamp('2026-11-24 11:39:58.733451+00:00'), T + 733.451);
    assert.equal(
      parseIsoTimestamp('2026-11-24 11:39:58'),
      new Date(2026, 10, 24, 11, 39, 58).getTime(),
    );
  });

  it('accepts a time without seconds', () => {
    assert.equal(parseIsoTimestamp('2026-11-24T11:39Z'), Date.UTC(2026, 10, 24, 11, 39));
    assert.equal(parseIsoTimestamp('2026-11-24T12:39+01:00'), Date.UTC(2026, 10, 24, 11, 39));
    assert.equal(parseIsoTimestamp('2026-11-24T11:39'), new Date(2026, 10, 24, 11, 39).getTime());
  });

  it('accepts leap days only in leap years', () => {
    assert.equal(parseIsoTimestamp('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
    assert.equal(parseIsoTimestamp('2000-02-29T00:00:00Z'), Date.UTC(2000, 1, 29));
    assert.ok(Number.isNaN(parseIsoTimestamp('2026-02-29T00:00:00Z')));
    assert.ok(Number.isNaN(parseIsoTimestamp('1900-02-29T00:00:00Z')));
    assert.ok(Number.isNaN(parseIsoTimestamp('2026-02-29T00:00:00')));
  });

  it('reads the extremes of each field', () => {
    assert.equal(parseIsoTimestamp('1970-01-01T00:00:00Z'), 0);
    assert.equal(parseIsoTimestamp('2026-12-31T23:59:59Z'), Date.UTC(2026, 11, 31, 23, 59, 59));
    assert.equal(parseIsoTimestamp('2026-01-31T00:00:00Z'), Date.UTC(2026, 0, 31));
    assert.equal(parseIsoTimestamp('9999-12-31T23:59:59Z'), Date.UTC(9999, 11, 31, 23, 59, 59));
  });

  it('reads four-digit years below 100 literally (not as 19xx)', () => {
    assert.equal(parseIsoTimestamp('0050-01-01T00:00:00Z'), Date.parse('0050-01-01T00:00:00Z'));
    assert.equal(parseIsoTimestamp('0001-06-15T12:00:00Z'), Date.parse('0001-06-15T12:00:00Z'));
  });
});

describe('parseIsoTimestamp: invalid text gives NaN', () => {
  const invalid: [string, string][] = [
    ['February 30', '2026-02-30T00:00:00Z'],
    ['February 30, local', '2026-02-30T00:00:00'],
    ['April 31', '2026-04-31T12:00:00Z'],
    ['April 31 with offset', '2026-04-31T12:00:00+02:00'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['month 00', '2026-00-10T00:00:00Z'],
    ['day 00', '2026-11-00T00:00:00Z'],
    ['day 32', '2026-01-32T00:00:00Z'],
    ['hour 24', '2026-11-24T24:00:00Z'],
    ['minute 60', '2026-11-24T11:60:00Z'],
    ['second 61', '2026-11-24T11:39:61Z'],
    ['garbage', 'hello'],
    ['garbage of the right length', 'abcd-ef-ghTij:kl:mnZ'],
    ['empty', ''],
    ['a sentence', 'not a timestamp at all, really'],
    ['date only', '2026-11-24'],
    ['hour only', '2026-11-24T11Z'],
    ['digits only', '1795520398733'],
    ['slashes', '2026/11/24T11:39:58Z'],
    ['bad separator', '2026-11-24X11:39:58Z'],
    ['letter in month', '2026-1a-24T11:39:58Z'],
    ['signed month', '2026-+1-24T11:39:58Z'],
    ['one-digit second', '2026-11-24T11:39:5'],
    ['dot without digits', '2026-11-24T11:39:58.'],
    ['dot without digits before Z', '2026-11-24T11:39:58.Z'],
    ['trailing junk after Z', '2026-11-24T11:39:58Zjunk'],
    ['trailing junk after fraction', '2026-11-24T11:39:58.123abc'],
    ['trailing junk after offset', '2026-11-24T11:39:58+01:00x'],
    ['trailing space', '2026-11-24T11:39:58 '],
    ['leading space', ' 2026-11-24T11:39:58'],
    ['trailing newline', '2026-11-24T11:39:58Z\n'],
    ['double Z', '2026-11-24T11:39:58ZZ'],
    ['offset hour 24', '2026-11-24T11:39:58+24:00'],
    ['offset minute 60', '2026-11-24T11:39:58+01:60'],
    ['one-digit offset', '2026-11-24T11:39:58+1'],
    ['three-digit offset', '2026-11-24T11:39:58+010'],
    ['offset with letters', '2026-11-24T11:39:58+ab:cd'],
    ['offset with wrong separator', '2026-11-24T11:39:58+01-00'],
    ['offset sign only', '2026-11-24T11:39:58+'],
    ['named zone', '2026-11-24T11:39:58 UTC'],
  ];
  for (const [name, text] of invalid) {
    it(`refuses ${name}: ${JSON.stringify(text)}`, () => {
      assert.ok(Number.isNaN(parseIsoTimestamp(text)), `parsed ${JSON.stringify(text)}`);
    });
  }
});

describe('readTimestamp', () => {
  it('reads ISO strings like parseIsoTimestamp', () => {
    assert.equal(readTimestamp('2026-11-24T11:39:58Z'), T);
    near(readTimestamp('2026-11-24T11:39:58.733451+00:00') as number, T + 733.451);
    assert.equal(
      readTimestamp('2026-11-24T11:39:58'),
      new Date(2026, 10, 24, 11, 39, 58).getTime(),
    );
  });

  it('takes numbers as epoch milliseconds, fraction included', () => {
    assert.equal(readTimestamp(T), T);
    assert.equal(readTimestamp(T + 0.5), T + 0.5);
    assert.equal(readTimestamp(0), 0);
    assert.equal(readTimestamp(-1000), -1000);
  });

  it('gives NaN for non-finite numbers', () => {
    assert.ok(Number.isNaN(readTimestamp(NaN)));
    assert.ok(Number.isNaN(readTimestamp(Infinity)));
    assert.ok(Number.isNaN(readTimestamp(-Infinity)));
  });

  it('gives NaN for unparseable strings', () => {
    for (const text of ['', 'garbage', '2026-02-30T00:00:00Z', '2026-11-24T11:39:58Zjunk']) {
      assert.ok(Number.isNaN(readTimestamp(text)), JSON.stringify(text));
    }
  });

  it('gives NaN for objects, arrays and booleans', () => {
    for (const value of [{}, { ms: T }, [], [T], true, false]) {
      assert.ok(Number.isNaN(readTimestamp(value)), JSON.stringify(value));
    }
  });

  it('gives undefined for null and undefined (no timestamp: never stale)', () => {
    assert.equal(readTimestamp(null), undefined);
    assert.equal(readTimestamp(undefined), undefined);
  });
});

describe('TimestampWriter', () => {
  const ms = Date.UTC(2026, 10, 24, 11, 39, 58, 733);

  it("writes 'utc' as ISO 8601 with Z and milliseconds", () => {
    const w = new TimestampWriter('utc');
    assert.equal(w.write(ms), '2026-11-24T11:39:58.733Z');
    assert.equal(w.write(0), '1970-01-01T00:00:00.000Z');
    assert.equal(parseIsoTimestamp(w.write(ms)), ms);
  });

  it("writes 'utc' the same in every server zone", () => {
    for (const zone of ZONES) {
      inZone(zone, () => {
        assert.equal(new TimestampWriter('utc').write(ms), '2026-11-24T11:39:58.733Z', zone);
      });
    }
  });

  it("writes 'local' as offset-less local time with six fractional digits", () => {
    inZone('UTC', () => {
      assert.equal(new TimestampWriter('local').write(ms), '2026-11-24T11:39:58.733000');
    });
    inZone('Asia/Kolkata', () => {
      assert.equal(new TimestampWriter('local').write(ms), '2026-11-24T17:09:58.733000');
    });
    inZone('America/St_Johns', () => {
      assert.equal(new TimestampWriter('local').write(ms), '2026-11-24T08:09:58.733000');
    });
  });

  it("'local' output parses back to the same millisecond in the same zone", () => {
    for (const zone of ZONES) {
      inZone(zone, () => {
        const w = new TimestampWriter('local');
        for (const t of [
          ms,
          0,
          Date.UTC(2026, 2, 29, 1, 30),
          Date.UTC(2026, 9, 25, 0, 59, 59, 999),
        ]) {
          const text = w.write(t);
          assert.match(text, LOCAL_FORM, `${zone}: ${text}`);
          assert.equal(parseIsoTimestamp(text), t, `${zone}: ${text}`);
        }
      });
    }
  });

  it('drops sub-millisecond fractions (a burst within one millisecond shares a text)', () => {
    for (const format of ['utc', 'local'] as const) {
      const w = new TimestampWriter(format);
      const first = w.write(ms);
      assert.equal(w.write(ms + 0.25), first, format);
      assert.equal(w.write(ms + 0.999), first, format);
      assert.equal(parseIsoTimestamp(w.write(ms + 0.5)), ms, format);
    }
  });

  it('writes the right text when the time changes, including going backwards', () => {
    for (const format of ['utc', 'local'] as const) {
      const w = new TimestampWriter(format);
      const fresh = (t: number): string => new TimestampWriter(format).write(t);
      const a = w.write(ms);
      const b = w.write(ms + 1);
      assert.notEqual(a, b, format);
      assert.equal(b, fresh(ms + 1), format);
      assert.equal(w.write(ms), a, format);
      assert.equal(w.write(ms + 86_400_000), fresh(ms + 86_400_000), format);
      assert.equal(w.write(ms), a, format);
    }
  });
});

describe('formatLocalTimestamp', () => {
  const samples = [
    0,
    T,
    T + 733.451,
    T + 0.001,
    T + 999.999,
    Date.UTC(2000, 1, 29, 23, 59, 59, 500),
    Date.UTC(2026, 2, 29, 1, 30) + 0.25,
    Date.UTC(2026, 9, 25, 0, 30) + 0.75,
    Date.UTC(2026, 11, 31, 23, 59, 59, 999) + 0.123,
  ];

  it('writes the offset-less form with six fractional digits', () => {
    inZone('UTC', () => {
      assert.equal(formatLocalTimestamp(T + 733.451), '2026-11-24T11:39:58.733451');
      assert.equal(formatLocalTimestamp(T), '2026-11-24T11:39:58.000000');
      assert.equal(formatLocalTimestamp(T + 0.001), '2026-11-24T11:39:58.000001');
    });
    inZone('Asia/Kolkata', () => {
      assert.equal(formatLocalTimestamp(T + 733.451), '2026-11-24T17:09:58.733451');
    });
  });

  it('round-trips through parseIsoTimestamp to the microsecond, in several zones', () => {
    for (const zone of ZONES) {
      inZone(zone, () => {
        for (const t of samples) {
          const text = formatLocalTimestamp(t);
          assert.match(text, LOCAL_FORM, `${zone}: ${t} -> ${text}`);
          near(parseIsoTimestamp(text), t, 5e-4);
        }
      });
    }
  });

  it('keeps the order of instants 1µs apart through a round trip', () => {
    const a = T + 733.451;
    const b = T + 733.452;
    assert.ok(
      parseIsoTimestamp(formatLocalTimestamp(a)) < parseIsoTimestamp(formatLocalTimestamp(b)),
    );
  });

  it('writes six fractional digits when the microseconds round up to the next millisecond', () => {
    inZone('UTC', () => {
      const t = T + 999.9996;
      const text = formatLocalTimestamp(t);
      assert.match(text, LOCAL_FORM, text);
      assert.equal(text, '2026-11-24T11:39:59.000000');
      near(parseIsoTimestamp(text), t, 5e-4);
    });
  });

  it('formats fractional instants before 1970', () => {
    inZone('UTC', () => {
      assert.equal(formatLocalTimestamp(-0.5), '1969-12-31T23:59:59.999500');
      assert.equal(formatLocalTimestamp(-1.25), '1969-12-31T23:59:59.998750');
      near(parseIsoTimestamp(formatLocalTimestamp(-1000.25)), -1000.25, 5e-4);
    });
  });
});
