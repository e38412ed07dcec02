/**
 * What the client learns when an attempt fails before the WebSocket opens:
 * the HTTP status of a refused upgrade where the WebSocket says it (`ws` in
 * Node), and, where nothing says it (browsers), a count of attempts in a row
 * that never opened.
 */

/** `ws`'s message for an upgrade answered with anything but 101, and the status in it. */
const UNEXPECTED_RESPONSE = /^Unexpected server response: ([1-5]\d\d)$/;

/**
 * The HTTP status of a refused upgrade, read from an `error` event of `ws`
 * (its `message` is `Unexpected server response: 404`); `undefined` for any
 * other event, and always in browsers, which do not show it. Read once per
 * failed attempt, never per message.
 */
export function upgradeStatus(event: unknown): number | undefined {
  try {
    const message = (event as { message?: unknown } | null)?.message;
    const found = typeof message === 'string' ? UNEXPECTED_RESPONSE.exec(message) : null;
    return found ? Number(found[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** What a refused upgrade is reported with. */
export function upgradeMessage(status: number): string {
  return `the server refused the WebSocket upgrade with HTTP ${status}${status === 404 ? ': is the path right?' : ''}`;
}

/** 4xx statuses a later attempt may pass. */
const PASSING_4XX: ReadonlySet<number> = new Set([
  408, // the request timed out
  426, // upgrade required: a server closing has stopped taking upgrades on its path
  429, // too many connections from one address
]);

/**
 * True for a status retrying cannot change: a 4xx (404 wrong path, 403 origin
 * not allowed, 401, 400...) but 408, 426 and 429. 5xx (503: full or shutting
 * down) are retried.
 */
export function isFinalStatus(status: number): boolean {
  return status >= 400 && status < 500 && !PASSING_4XX.has(status);
}

/** Attempts in a row that never opened before `onError` hears `UNREACHABLE`. */
export const UNREACHABLE_AFTER = 5;

/**
 * Counts attempts in a row that ended before the socket opened. Where the
 * status of a refusal is not visible (browsers), a wrong URL and a server that
 * is down look the same: the client keeps retrying with backoff, and reports
 * once per streak that it cannot get through.
 */
export class UnopenedStreak {
  private count = 0;
  private openedNow = false;

  /** An attempt begins. */
  attempt(): void {
    this.openedNow = false;
  }

  /** The attempt's socket opened: the streak is over. */
  opened(): void {
    this.openedNow = true;
    this.count = 0;
  }

  /** The attempt ended; true exactly when it is the one that brings the streak to the threshold. */
  ended(): boolean {
    if (this.openedNow) return false;
    return ++this.count === UNREACHABLE_AFTER;
  }

  /** Attempts in a row that never opened. */
  get length(): number {
    return this.count;
  }
}
