/**
 * The chat's names, unique across every node of the application, through the
 * broker's leases: a name is held by the lease `chat.name:<name>` of the node
 * whose connection took it, and, within that node, by one connection.
 */
import type { Connection, LeaseStore } from '../../src/index.js';

/** How long a name's lease lasts unless renewed: a node that dies frees its names within it. */
export const NAME_LEASE_MS = 30_000;

/**
 * Who holds each name. The lease is per node, so the node itself decides
 * between its own connections, and reserves a name before asking for the
 * lease: two joins racing on one node cannot both wait for it and both win.
 * Between nodes the lease decides, atomically. A held name's lease is renewed
 * every third of its life while its connection lives, so one failed renewal
 * (Redis away for a moment) does not free it.
 */
export class ChatNames {
  /** Lowercased names to the connection that holds or is claiming each. */
  private readonly holders = new Map<string, Connection>();
  private renewal: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly leases: LeaseStore,
    private readonly leaseMs: number = NAME_LEASE_MS,
  ) {}

  /**
   * Takes `name` for `connection`, across nodes. Resolves false when another
   * connection, here or on another node, has it (or when the lease store
   * cannot be reached: a name nobody can check is not given out).
   */
  async claim(name: string, connection: Connection): Promise<boolean> {
    const key = name.toLowerCase();
    const holder = this.holders.get(key);
    if (holder !== undefined && holder !== connection && holder.open) return false;
    this.holders.set(key, connection);
    const ours = await this.leases.acquire(leaseOf(key), this.leaseMs);
    if (ours && connection.open && this.holders.get(key) === connection) {
      this.renewal ??= setInterval(() => this.renew(), this.leaseMs / 3).unref();
      return true;
    }
    // Refused, or the connection closed while the lease was asked for.
    this.drop(key, connection, ours);
    return false;
  }

  /** Frees `name` when `connection` holds it (it closed). */
  release(name: string, connection: Connection): void {
    this.drop(name.toLowerCase(), connection, true);
  }

  private drop(key: string, connection: Connection, leased: boolean): void {
    if (this.holders.get(key) !== connection) return;
    this.holders.delete(key);
    if (leased) this.leases.release(leaseOf(key));
    if (this.holders.size === 0 && this.renewal !== undefined) {
      clearInterval(this.renewal);
      this.renewal = undefined;
    }
  }

  private renew(): void {
    // A renewal that fails keeps the name here: the next one tries again, and the
    // lease only lapses after three in a row have failed.
    for (const key of this.holders.keys()) void this.leases.acquire(leaseOf(key), this.leaseMs);
  }
}

function leaseOf(key: string): string {
  return `chat.name:${key}`;
}
