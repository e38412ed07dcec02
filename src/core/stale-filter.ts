/** Where staleness is judged. */
export type StaleScope = 'connection' | 'global' | 'off';

/** Options for dropping stale envelopes. */
export interface StalenessOptions {
  /**
   * `connection` (default): an envelope is stale when older than the newest
   * handled envelope of the same event from the same connection. `global`: one
   * watermark per event across all connections, as bounce-ws's orchestrator
   * keeps. `off`: no watermark.
   */
  readonly scope?: StaleScope;
  /** Also stale when older than this many milliseconds by the server's clock. Off by default. */
  readonly maxAgeMs?: number;
}

/** Per-connection watermarks live on the connection, so they go when it goes. */
export interface Watermarked {
  readonly watermarks: Map<string, number>;
}

/**
 * Decides whether a client envelope is stale, and moves the watermark when it
 * is not. Envelopes without a timestamp are never stale and move nothing.
 */
export class StaleFilter {
  private readonly scope: StaleScope;
  private readonly maxAgeMs: number;
  private readonly global = new Map<string, number>();

  constructor(options: StalenessOptions = {}) {
    this.scope = options.scope ?? 'connection';
    this.maxAgeMs = options.maxAgeMs ?? Infinity;
    if (!['connection', 'global', 'off'].includes(this.scope)) {
      throw new TypeError(
        `staleness.scope must be 'connection', 'global' or 'off', not '${this.scope}'`,
      );
    }
    if (!(this.maxAgeMs > 0)) throw new TypeError('staleness.maxAgeMs must be a positive number');
  }

  /** True when the envelope must be dropped. `now` is the server clock in epoch ms. */
  isStale(owner: Watermarked, event: string, timestamp: number | undefined, now: number): boolean {
    if (timestamp === undefined) return false;
    if (now - timestamp > this.maxAgeMs) return true;
    if (this.scope === 'off') return false;
    const marks = this.scope === 'connection' ? owner.watermarks : this.global;
    const newest = marks.get(event);
    if (newest !== undefined && timestamp < newest) return true;
    if (newest === undefined || timestamp > newest) marks.set(event, timestamp);
    return false;
  }

  /** Number of global watermarks held (one per event at most). */
  get globalWatermarks(): number {
    return this.global.size;
  }
}
