import type { PresenceEntry, PresenceStore } from '../core/broker.js';
import type { CaromLogger } from '../core/logger.js';
import type { RedisLink } from './link.js';
import type { RedisNames } from './names.js';
import { Outage } from './outage.js';

// Every expiry is reckoned on the Redis server's clock, so nodes whose clocks disagree still agree on who is gone.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// Scores node ARGV[2] on the topic's node set until now + ttl, and keeps the set at least that long.
const STAMP = `${NOW}
redis.call('ZADD', KEYS[2], now + ttl, ARGV[2])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end`;

/** KEYS: the node's hash, the topic's node set. ARGV: ttl, node, connection id, user JSON. */
const JOIN = `local ttl = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
${STAMP}
return 1`;

/** KEYS: the node's hash, the topic's node set. ARGV: node, connection id. */
const LEAVE = `redis.call('HDEL', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
return 1`;

/** The heartbeat. KEYS as JOIN; ARGV: ttl, node. 0 when the hash is gone (Redis restarted): the node writes it again. */
const RENEW = `local ttl = tonumber(ARGV[1])
if redis.call('PEXPIRE', KEYS[1], ttl) == 0 then return 0 end
${STAMP}
return 1`;

/** Writes the node's entries on a topic anew. KEYS as JOIN; ARGV: ttl, node, then id, JSON pairs. */
const REPLACE = `local ttl = tonumber(ARGV[1])
redis.call('DEL', KEYS[1])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ttl)
${STAMP}
return 1`;

/** A node closing. KEYS as JOIN; ARGV: node. */
const DROP = `redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`;

/** KEYS: the topic's node set. The nodes whose entries have not expired; the others are removed. */
const LIVE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

/** KEYS: node hashes of one topic (one slot). Each one's fields and values, flat. */
const READ = `local all = {}
for i, key in ipairs(KEYS) do all[i] = redis.call('HGETALL', key) end
return all`;

/**
 * Presence in Redis. Each node keeps its own entries of a topic in a hash of
 * its own, `<prefix>:presence:{<topic>}:node:<nodeId>`, and scores itself in
 * the topic's set `<prefix>:presence:{<topic>}:nodes` by when they expire.
 * Both live `ttlMs`, renewed by a heartbeat every third of it, so the entries
 * of a node that dies without closing expire by themselves within `ttlMs`.
 * A node that closes removes its own at once.
 *
 * Joins and leaves are written without waiting; one Redis cannot take is
 * counted and logged once per outage, and the node writes its entries again,
 * from the copy it keeps, at the next heartbeat (and at once after a
 * reconnection): Redis may have restarted empty, and the core does not say
 * them twice.
 */
export class RedisPresence implements PresenceStore {
  /** This node's entries: topic, then connection id to the user's JSON. */
  private readonly mine = new Map<string, Map<string, string>>();
  private readonly outage: Outage;
  private readonly ttl: string;
  /** A write failed: the next heartbeat rewrites every topic instead of renewing it. */
  private stale = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  private readonly onWritten = (): void => this.outage.relayed();
  private readonly onFailed = (error: unknown): void => {
    this.stale = true;
    this.outage.failed(error);
  };

  constructor(
    private readonly link: RedisLink,
    private readonly names: RedisNames,
    private readonly nodeId: string,
    private readonly ttlMs: number,
    private readonly logger: CaromLogger,
  ) {
    this.ttl = String(ttlMs);
    this.outage = new Outage(logger, {
      down: 'presence changes are kept on this node and written again once it is back',
      counted: 'presence writes failed',
    });
  }

  /** Presence writes Redis could not take (each one rewritten later). */
  get failures(): number {
    return this.outage.lost;
  }

  /** Starts the heartbeat; after each reconnection, rewrites every entry. */
  start(): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setInterval(() => this.beat(), Math.max(1, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
    this.link.onReconnect(() => {
      this.stale = true;
      this.beat();
    });
  }

  join(topic: string, entry: PresenceEntry): void {
    if (this.closed) return;
    let entries = this.mine.get(topic);
    if (entries === undefined) this.mine.set(topic, (entries = new Map<string, string>()));
    const json = this.userJson(topic, entry);
    entries.set(entry.connectionId, json);
    this.write(JOIN, topic, [this.ttl, this.nodeId, entry.connectionId, json]);
  }

  leave(topic: string, connectionId: string): void {
    const entries = this.mine.get(topic);
    if (this.closed || entries?.delete(connectionId) !== true) return;
    if (entries.size === 0) this.mine.delete(topic);
    this.write(LEAVE, topic, [this.nodeId, connectionId]);
  }

  /** Every node's entries on `topic`; rejects while Redis cannot be reached. */
  async list(topic: string): Promise<PresenceEntry[]> {
    const nodes = strings(await this.link.script(LIVE, [this.names.presenceNodes(topic)], []));
    if (nodes.length === 0) return [];
    const keys = nodes.map((n) => this.names.presence(topic, n));
    const hashes = await this.link.script(READ, keys, []);
    const entries: PresenceEntry[] = [];
    if (!Array.isArray(hashes)) return entries;
    nodes.forEach((node, i) => {
      const flat = strings(hashes[i]);
      for (let f = 0; f + 1 < flat.length; f += 2) {
        entries.push({ connectionId: flat[f]!, node, user: parsed(flat[f + 1]!) });
      }
    });
    return entries;
  }

  /** Stops the heartbeat and removes this node's entries from Redis. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.outage.stop();
    const drops = [...this.mine.keys()].map((topic) =>
      this.call(DROP, topic, [this.nodeId]).then(undefined, () => undefined),
    );
    this.mine.clear();
    await Promise.all(drops);
  }

  /** Renews each topic's entries, or rewrites them when a write failed or Redis lost them. */
  private beat(): void {
    if (this.closed) return;
    const rewrite = this.stale;
    this.stale = false;
    for (const topic of this.mine.keys()) {
      if (rewrite) {
        this.replace(topic);
        continue;
      }
      this.call(RENEW, topic, [this.ttl, this.nodeId]).then((renewed) => {
        if (renewed === 0) this.replace(topic);
        else this.outage.relayed();
      }, this.onFailed);
    }
  }

  private replace(topic: string): void {
    const entries = this.mine.get(topic);
    if (entries === undefined || this.closed) return;
    const args = [this.ttl, this.nodeId];
    for (const [id, json] of entries) args.push(id, json);
    this.write(REPLACE, topic, args);
  }

  private write(script: string, topic: string, args: string[]): void {
    this.call(script, topic, args).then(this.onWritten, this.onFailed);
  }

  private call(script: string, topic: string, args: string[]): Promise<unknown> {
    const keys = [this.names.presence(topic, this.nodeId), this.names.presenceNodes(topic)];
    try {
      return this.link.script(script, keys, args);
    } catch (err) {
      // A client that throws instead of rejecting (closed) fails the same way.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private userJson(topic: string, entry: PresenceEntry): string {
    try {
      return JSON.stringify(entry.user) ?? 'null';
    } catch (err) {
      // It cannot travel to the other nodes: they list it, with no user.
      this.logger.warn(
        `carom/redis: the user of ${entry.connectionId} on '${topic}' is not JSON; presence lists it as null`,
        err,
      );
      return 'null';
    }
  }
}

function strings(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.filter((v): v is string => typeof v === 'string') : [];
}

function parsed(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return null; // Not written by carom.
  }
}
