/** Which limit a reservation ran into. */
export type LimitReached = 'maxConnections' | 'maxConnectionsPerAddress';

/**
 * Sockets held, in all and per client address, against `maxConnections` and
 * `maxConnectionsPerAddress`. A socket counts from the moment its handshake is
 * let through until it closes, so handshakes waiting on `authenticate` count as
 * much as open WebSockets: a flood of slow handshakes hits the same limits.
 */
export class ConnectionCounts {
  private total = 0;
  // Only addresses holding a socket are kept: the map is bounded by `max`.
  private readonly perAddress = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly maxPerAddress: number,
  ) {}

  /** Sockets held now, handshakes included. */
  get open(): number {
    return this.total;
  }

  /** Sockets held now by one address. */
  of(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /**
   * Takes a place for one socket from `address`; undefined when taken, else
   * the limit that is reached. Each place taken is given back by one {@link release}.
   */
  reserve(address: string): LimitReached | undefined {
    if (this.total >= this.max) return 'maxConnections';
    const held = this.perAddress.get(address) ?? 0;
    if (held >= this.maxPerAddress) return 'maxConnectionsPerAddress';
    this.total++;
    this.perAddress.set(address, held + 1);
    return undefined;
  }

  /** Gives back a place {@link reserve} took for `address`; nothing when the address holds none. */
  release(address: string): void {
    const held = this.perAddress.get(address);
    if (held === undefined) return;
    this.total--;
    if (held > 1) this.perAddress.set(address, held - 1);
    else this.perAddress.delete(address);
  }
}
