/**
 * Timestamps in bounce-ws's form: local wall-clock time with no offset, as
 * Python's `datetime.now().isoformat()` writes them and carom's `'local'`
 * format writes them back.
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Local wall-clock time of epoch `ms` to the second, no offset: `2026-01-01T17:30:00`. */
function localSeconds(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** The microseconds of the second: those of `ms`'s milliseconds plus `extraMicros`. */
function microsOf(ms: number, extraMicros: number): number {
  if (!Number.isInteger(extraMicros) || extraMicros < 0 || extraMicros > 999) {
    throw new RangeError(`extraMicros must be an integer in 0..999, not ${extraMicros}`);
  }
  return new Date(ms).getMilliseconds() * 1000 + extraMicros;
}

/**
 * Epoch `ms` (plus `extraMicros`, 0 to 999) as local time with no offset and
 * always six fractional digits: `2026-01-01T17:30:00.100456`. What carom's
 * `'local'` format writes, and what a Python client sends whenever the
 * microseconds are not zero.
 */
export function localIsoformat(ms: number, extraMicros = 0): string {
  return `${localSeconds(ms)}.${pad(microsOf(ms, extraMicros), 6)}`;
}

/**
 * Python's `isoformat()` of a naive local datetime: as {@link localIsoformat},
 * but with no fraction at all when the microseconds are zero, as Python writes it.
 */
export function pythonIsoformat(ms: number, extraMicros = 0): string {
  const micros = microsOf(ms, extraMicros);
  return micros === 0 ? localSeconds(ms) : `${localSeconds(ms)}.${pad(micros, 6)}`;
}
