/**
 * Timestamps on the wire. Parsed by hand rather than with `Date.parse`: bounce-ws
 * clients send up to six fractional digits and no offset (local time), and
 * staleness compares envelopes a few microseconds apart, so the fraction must
 * survive. Values are milliseconds since the epoch, fractional.
 */

const ZERO = 48;

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - ZERO;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Parses an ISO 8601 date-time (`YYYY-MM-DDTHH:MM[:SS[.f{1,9}]]` with `Z`,
 * `±HH:MM`, `±HHMM` or no offset, which means the server's local time) into
 * epoch milliseconds. Returns `NaN` when the text is not such a date-time.
 */
export function parseIsoTimestamp(s: string): number {
  const len = s.length;
  if (len < 16 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return NaN;
  const sep = s.charCodeAt(10);
  if ((sep !== 84 && sep !== 116 && sep !== 32) || s.charCodeAt(13) !== 58) return NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) return NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return NaN;
  let i = 16;
  let second = 0;
  let fraction = 0;
  if (i < len && s.charCodeAt(i) === 58) {
    second = digits(s, i + 1, 2);
    // No leap seconds: Python's isoformat never writes 60, and Date cannot hold one.
    if (second < 0 || second > 59 || i + 3 > len) return NaN;
    i += 3;
    if (i < len && (s.charCodeAt(i) === 46 || s.charCodeAt(i) === 44)) {
      i++;
      let scale = 100;
      const start = i;
      while (i < len) {
        const c = s.charCodeAt(i) - ZERO;
        if (c < 0 || c > 9) break;
        fraction += c * scale;
        scale /= 10;
        i++;
      }
      if (i === start || i - start > 9) return NaN;
    }
  }
  if (i === len) {
    // setFullYear, unlike the Date constructor, reads years 0-99 literally.
    const local = new Date(0);
    local.setFullYear(year, month - 1, day);
    local.setHours(hour, minute, second, 0);
    return local.getDate() === day ? local.getTime() + fraction : NaN;
  }
  let offsetMinutes = 0;
  const sign = s.charCodeAt(i);
  if ((sign === 90 || sign === 122) && i + 1 === len) {
    // Z: UTC, offset stays 0.
  } else if (sign === 43 || sign === 45) {
    const rest = len - i - 1;
    let oh: number;
    let om: number;
    if (rest === 5 && s.charCodeAt(i + 3) === 58) {
      oh = digits(s, i + 1, 2);
      om = digits(s, i + 4, 2);
    } else if (rest === 4) {
      oh = digits(s, i + 1, 2);
      om = digits(s, i + 3, 2);
    } else if (rest === 2) {
      oh = digits(s, i + 1, 2);
      om = 0;
    } else {
      return NaN;
    }
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offsetMinutes = (sign === 45 ? -1 : 1) * (oh * 60 + om);
  } else {
    return NaN;
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  if (utc.getUTCDate() !== day) return NaN;
  return utc.getTime() - offsetMinutes * 60_000 + fraction;
}

/**
 * Reads a client timestamp: an ISO 8601 string or a number of epoch
 * milliseconds. Returns `undefined` when absent and `NaN` when unparseable.
 */
export function readTimestamp(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : NaN;
  if (typeof value === 'string') return parseIsoTimestamp(value);
  return NaN;
}

/** How the server writes timestamps: UTC with `Z`, or bounce-ws's offset-less local form. */
export type TimestampFormat = 'utc' | 'local';

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Formats epoch milliseconds as the offset-less local ISO form Python's `isoformat()` writes. */
export function formatLocalTimestamp(ms: number): string {
  // Round once, in whole microseconds, then split: a fraction that rounds up carries
  // into the second instead of printing seven digits.
  const totalMicros = Math.round(ms * 1000);
  const secondMs = Math.floor(totalMicros / 1_000_000) * 1000;
  const d = new Date(secondMs);
  const micros = totalMicros - secondMs * 1000;
  return (
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)}` +
    `T${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(micros, 6)}`
  );
}

/**
 * Formats timestamps for outgoing envelopes, remembering the last one: a burst
 * of publishes within one millisecond formats the date once.
 */
export class TimestampWriter {
  private lastMs = NaN;
  private lastText = '';

  constructor(private readonly format: TimestampFormat) {}

  /** The timestamp for `ms`, as text without quotes. */
  write(ms: number): string {
    const whole = Math.floor(ms);
    if (whole !== this.lastMs) {
      this.lastMs = whole;
      this.lastText =
        this.format === 'utc' ? new Date(whole).toISOString() : formatLocalTimestamp(whole);
    }
    return this.lastText;
  }
}
