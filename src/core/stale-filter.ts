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

/** The empty map every connection starts with; a map of its own comes with its first watermark. */
export const NO_MARKS: ReadonlyMap<string, number> = new Map<string, number>();

/** Per-connection watermarks live on the connection, so they go when it goes. */
export interface Watermarked {
  watermarks: Map<string, number>;
}

/**
 * Decides whether a client envelope is stale, and keeps the watermarks it is
 * judged against. Envelopes without a timestamp are never stale and move nothing.
 */
export class StaleFilter {
  private readonly scope: StaleScope;
  private readonly maxAgeMs: number;
  private readonly global = new Map<string, number>();

  /** `options` were checked by `resolveOptions`. */
  constructor(options: StalenessOptions = {}) {
    this.scope = options.scope ?? 'connection';
    this.maxAgeMs = options.maxAgeMs ?? Infinity;
  }

  /** True when the envelope must be dropped. `now` is the server clock in epoch ms. Moves nothing. */
  isStale(owner: Watermarked, event: string, timestamp: number | undefined, now: number): boolean {
    if (timestamp === undefined) return false;
    if (now - timestamp > this.maxAgeMs) return true;
    if (this.scope === 'off') return false;
    const newest = this.marks(owner).get(event);
    return newest !== undefined && timestamp < newest;
  }

  /**
   * Records that an envelope is being handled: its timestamp becomes the
   * watermark when newer. Called once the envelope passed the guard and
   * validation, so a refused envelope never makes later ones stale.
   */
  handled(owner: Watermarked, event: string, timestamp: number | undefined): void {
    if (timestamp === undefined || this.scope === 'off') return;
    if (this.scope === 'connection' && owner.watermarks === NO_MARKS) owner.watermarks = new Map();
    const marks = this.marks(owner);
    const newest = marks.get(event);
    if (newest === undefined || timestamp > newest) marks.set(event, timestamp);
  }

  private marks(owner: Watermarked): Map<string, number> {
    return this.scope === 'connection' ? owner.watermarks : this.global;
  }

  /** Number of global watermarks held (one per event at most). */
  get globalWatermarks(): number {
    return this.global.size;
  }
}
