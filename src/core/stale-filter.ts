import type { StaleScope, StalenessOptions } from './options.js';

/** Per-connection watermarks live on the connection, so they go when it goes. */
export interface Watermarked {
  /** Newest handled timestamp per event; made with the first, as most connections never need one. */
  watermarks?: Watermarks | undefined;
}

/**
 * One connection's watermarks. Most connections that send timestamps mark one
 * event or two (their `subscribe`, say): the first is kept in the object
 * itself, a `Map` is made only for a second, as thousands of idle connections
 * each holding a `Map` of one entry cost several times more.
 */
export class Watermarks {
  private more: Map<string, number> | undefined = undefined;

  constructor(
    private readonly event: string,
    private at: number,
  ) {}

  /** Events marked. */
  get size(): number {
    return this.more === undefined ? 1 : 1 + this.more.size;
  }

  /** The newest timestamp handled for `event`, if any. */
  get(event: string): number | undefined {
    if (event === this.event) return this.at;
    return this.more?.get(event);
  }

  /** Sets the watermark of `event`. */
  set(event: string, at: number): void {
    if (event === this.event) this.at = at;
    else (this.more ??= new Map<string, number>()).set(event, at);
  }
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
    const marks = this.scope === 'connection' ? owner.watermarks : this.global;
    const newest = marks?.get(event);
    return newest !== undefined && timestamp < newest;
  }

  /**
   * Records that an envelope is being handled: its timestamp becomes the
   * watermark when newer. Called once the envelope passed the guard and
   * validation, so a refused envelope never makes later ones stale.
   */
  handled(owner: Watermarked, event: string, timestamp: number | undefined): void {
    if (timestamp === undefined || this.scope === 'off') return;
    let marks: Watermarks | Map<string, number>;
    if (this.scope === 'connection') {
      if (owner.watermarks === undefined) {
        owner.watermarks = new Watermarks(event, timestamp);
        return;
      }
      marks = owner.watermarks;
    } else {
      marks = this.global;
    }
    const newest = marks.get(event);
    if (newest === undefined || timestamp > newest) marks.set(event, timestamp);
  }

  /** Number of global watermarks held (one per event at most). */
  get globalWatermarks(): number {
    return this.global.size;
  }
}
