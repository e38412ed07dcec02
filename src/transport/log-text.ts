/**
 * Text from a client or from application code, made safe for one log line:
 * cut, quoted (so it cannot forge a line or a field), and never throwing.
 */
export function quote(value: string, max = 100): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** The message of anything thrown, for a log line; a hostile value cannot make it throw. */
export function describeError(err: unknown): string {
  try {
    return quote(err instanceof Error ? String(err.message) : String(err), 200);
  } catch {
    return 'an unprintable value';
  }
}
