/** The label of the values past a bound: close codes outside the standard's, error codes past the 64th. */
export const OTHER_LABEL = '(other)';

/**
 * Label values the app chose but did not list beforehand (an exposed error's
 * code): each new one is kept until `limit` are, then the rest share
 * {@link OTHER_LABEL}, so that no series set grows without end.
 */
export class BoundedLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly limit: number) {}

  /** `value` itself while fewer than the limit are known, else {@link OTHER_LABEL}. */
  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.limit) return OTHER_LABEL;
    this.seen.add(value);
    return value;
  }
}

/** The close codes of the WebSocket standard, each its own label; others are grouped by thousand. */
export function closeCodeLabel(code: number): string {
  if (Number.isInteger(code) && code >= 1000 && code < 1016) return String(code);
  if (code >= 3000 && code < 4000) return '3xxx';
  if (code >= 4000 && code < 5000) return '4xxx';
  return OTHER_LABEL;
}
