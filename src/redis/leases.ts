import type { LeaseStore } from '../core/broker.js';
import type { RedisLink } from './link.js';
import type { RedisNames } from './names.js';

/** KEYS: the lease. ARGV: node, ttl. Takes a free lease, or renews one this node holds. */
const ACQUIRE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** KEYS: the lease. ARGV: node. Deletes it only when this node holds it. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const held = (reply: unknown): boolean => reply === 1;
const notHeld = (): boolean => false;
const ignore = (): void => undefined;

/**
 * Leases in Redis: the key `<prefix>:lease:<name>` holds the holder's node id
 * and expires after the lease's time to live. Taking, renewing and releasing
 * each compare the holder in one script, so a node never renews or deletes a
 * lease another node took after its own ran out. Any failure reads as not held.
 */
export class RedisLeases implements LeaseStore {
  constructor(
    private readonly link: RedisLink,
    private readonly names: RedisNames,
    private readonly nodeId: string,
  ) {}

  acquire(name: string, ttlMs: number): Promise<boolean> {
    const ttl = String(Math.max(1, Math.ceil(ttlMs)));
    try {
      return this.link
        .script(ACQUIRE, [this.names.lease(name)], [this.nodeId, ttl])
        .then(held, notHeld);
    } catch {
      return Promise.resolve(false);
    }
  }

  release(name: string): void {
    try {
      this.link.script(RELEASE, [this.names.lease(name)], [this.nodeId]).then(undefined, ignore);
    } catch {
      // Unreachable: the lease runs out by itself.
    }
  }
}
