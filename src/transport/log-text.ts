import { describe } from '../core/guard.js';

/**
 * Text from a client or from application code, made safe for one log line:
 * cut, quoted (so it cannot forge a line or a field), and never throwing.
 */
export function quote(value: string, max = 100): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** Anything thrown, described by the core's guarded `describe` and quoted for a log line. */
export function describeError(err: unknown): string {
  return quote(describe(err), 200);
}
