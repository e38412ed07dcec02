import type { Claim, FirstAnswer, OnceStore } from '../core/once.js';
import type { RedisLink } from './link.js';
import type { RedisNames } from './names.js';

/** Requests keys whose count per identity is not bounded by the caller are bounded by this. */
export const DEFAULT_MAX_KEYS = 1000;

/**
 * KEYS: the key, the identity's set. ARGV: window, max keys, the request key,
 * the identity's key base. Takes the key when free (`p`: being handled), notes
 * it in the identity's set, and drops the identity's oldest keys past max;
 * else returns what the key holds.
 */
const CLAIM = `if redis.call('SET', KEYS[1], 'p', 'NX', 'PX', ARGV[1]) then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local window, max = tonumber(ARGV[1]), tonumber(ARGV[2])
  redis.call('ZADD', KEYS[2], now, ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  local over = redis.call('ZCARD', KEYS[2]) - max
  if over > 0 then
    local oldest = redis.call('ZPOPMIN', KEYS[2], over)
    for i = 1, #oldest, 2 do redis.call('DEL', ARGV[4] .. oldest[i]) end
  end
  redis.call('PEXPIRE', KEYS[2], window)
  return false
end
return redis.call('GET', KEYS[1])`;

/** KEYS: the key. ARGV: answer, window. Only a key still there: one evicted stays gone. */
const SETTLE = `return redis.call('SET', KEYS[1], ARGV[1], 'XX', 'PX', ARGV[2])`;

/** KEYS: the key, the identity's set. ARGV: the request key. Only while it is still being handled. */
const RELEASE = `if redis.call('GET', KEYS[1]) == 'p' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1`;

const FIRST: Claim = { state: 'first' };
const PENDING: Claim = { state: 'pending' };

/**
 * Request keys in Redis, so that a request retried on another node is
 * recognised. A key lives at `<prefix>:once:{<identity>}:<identity>:<key>`:
 * `p` while its first attempt is handled, then `a` or `e` and the first
 * answer's JSON, for the window (counted again from the answer). Each
 * identity's keys are listed, by when they were claimed, in the sorted set
 * `<prefix>:oncekeys:{<identity>}:<identity>`; claiming one past `maxKeys`
 * deletes the oldest, so one identity holds at most `maxKeys` answers in Redis
 * (each as large as the answer it keeps). The hash tag keeps all of one
 * identity's keys in one slot of a Cluster.
 *
 * A key whose node died while handling it stays `p` until the window ends:
 * the request may or may not have run, so its repeats wait for an answer that
 * never comes (they end with `HANDLER_TIMEOUT`) rather than run it twice.
 */
export class RedisOnce implements OnceStore {
  private readonly ignore = (): void => undefined;

  /** @internal the Redis broker makes it. */
  constructor(
    private readonly link: RedisLink,
    private readonly names: RedisNames,
    private readonly failed: (error: unknown) => void,
  ) {}

  async claim(
    identity: string,
    key: string,
    windowMs: number,
    maxKeys = DEFAULT_MAX_KEYS,
  ): Promise<Claim> {
    const reply = await this.link.script(
      CLAIM,
      [this.names.once(identity, key), this.names.onceKeys(identity)],
      [ms(windowMs), String(Math.max(1, Math.floor(maxKeys))), key, this.names.onceBase(identity)],
    );
    // Lua's false comes back as a nil reply.
    if (reply === null) return FIRST;
    if (reply === 'p') return PENDING;
    if (typeof reply === 'string' && (reply[0] === 'a' || reply[0] === 'e')) {
      return {
        state: 'answered',
        answer: { kind: reply[0] === 'a' ? 'ack' : 'error', json: reply.slice(1) },
      };
    }
    throw new Error('carom/redis: a request key Redis holds is not one carom wrote');
  }

  settle(identity: string, key: string, answer: FirstAnswer, windowMs: number): void {
    const value = `${answer.kind === 'ack' ? 'a' : 'e'}${answer.json}`;
    this.run(SETTLE, [this.names.once(identity, key)], [value, ms(windowMs)]);
  }

  release(identity: string, key: string): void {
    this.run(RELEASE, [this.names.once(identity, key), this.names.onceKeys(identity)], [key]);
  }

  private run(script: string, keys: string[], args: string[]): void {
    try {
      this.link.script(script, keys, args).then(this.ignore, this.failed);
    } catch (err) {
      this.failed(err);
    }
  }
}

function ms(value: number): string {
  return String(Math.max(1, Math.ceil(value)));
}
