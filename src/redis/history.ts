import { randomBytes } from 'node:crypto';
import type { RelayScope } from '../core/broker.js';
import type {
  HistoryEntry,
  HistoryOptions,
  HistoryRead,
  HistoryStore,
  Position,
} from '../core/history.js';
import type { Frame } from '../protocol/frame.js';
import type { RedisLink } from './link.js';
import { decodeScope, encodeMessage, encodeScope, Kind } from './message.js';
import type { RedisNames } from './names.js';
import { tagOfSlot } from './slot.js';

/**
 * Lua shared by both scripts. A history's stream holds one entry per offset,
 * ID `<offset>-0`, fields `t` (Redis's clock, ms), `d` (the frame), then `s`
 * (its scope) if it had one; its offsets run without a hole from its head to
 * the meta's `offset`, as entries only ever leave from the head (`MAXLEN`,
 * `MINID`).
 */
const COMMON = `local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function id(offset) return string.format('%d-0', offset) end
local function offsetOf(entryId) return tonumber(string.sub(entryId, 1, string.find(entryId, '-', 1, true) - 1)) end
local function head(log)
  local e = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)[1]
  if e then return offsetOf(e[1]) end
  return nil
end
local function timeAt(log, offset)
  local e = redis.call('XRANGE', log, id(offset), '+', 'COUNT', 1)[1]
  if e then return tonumber(e[2][2]) end
  return math.huge
end
-- The first offset, from first to last, whose entry is younger than cutoff (last + 1: none), by bisection.
local function firstLive(log, first, last, cutoff)
  if first > last or timeAt(log, first) >= cutoff then return first end
  if timeAt(log, last) < cutoff then return last + 1 end
  local lo, hi = first, last
  while hi - lo > 1 do
    local mid = math.floor((lo + hi) / 2)
    if timeAt(log, mid) >= cutoff then hi = mid else lo = mid end
  end
  return hi
end
`;

/**
 * KEYS: meta, log. ARGV: epoch if none yet, size, ttl (0: none), '1' to
 * SPUBLISH, channel, message head, frame text, scope ('' for none). A new epoch starts an empty
 * stream (Redis lost the meta: what the stream holds is of another epoch).
 * Returns the offset.
 */
const PUBLISH = `${COMMON}
local meta, log = KEYS[1], KEYS[2]
local ttl = tonumber(ARGV[3])
if redis.call('HSETNX', meta, 'epoch', ARGV[1]) == 1 then redis.call('DEL', log) end
local epoch = redis.call('HGET', meta, 'epoch')
local offset = redis.call('HINCRBY', meta, 'offset', 1)
local t = now()
if ARGV[8] == '' then
  redis.call('XADD', log, 'MAXLEN', ARGV[2], id(offset), 't', string.format('%d', t), 'd', ARGV[7])
else
  redis.call('XADD', log, 'MAXLEN', ARGV[2], id(offset), 't', string.format('%d', t), 'd', ARGV[7], 's', ARGV[8])
end
if ttl > 0 then
  local cutoff = t - ttl
  local first = head(log)
  if first and timeAt(log, first) < cutoff then
    redis.call('XTRIM', log, 'MINID', id(firstLive(log, first, offset, cutoff)))
  end
  redis.call('PEXPIRE', meta, ttl)
  redis.call('PEXPIRE', log, ttl)
elseif offset == 1 then
  -- A read may have made the meta, with an expiry: published to, it stays.
  redis.call('PERSIST', meta)
end
local message = ARGV[6] .. epoch .. ' ' .. string.format('%d', offset) .. ' ' .. ARGV[7]
if ARGV[4] == '1' then redis.call('SPUBLISH', ARGV[5], message) else redis.call('PUBLISH', ARGV[5], message) end
return offset`;

/**
 * KEYS: meta, log. ARGV: epoch if none yet, epoch asked for ('' for the
 * newest entries), offset asked for, limit, ttl (0: none), '1' to
 * SPUBLISH, channel, the reading node's mark (see {@link RedisHistory.read}),
 * how long a meta never published to lives. A history never published to
 * gets its epoch now, so the position read is the one the next publish
 * continues (if it comes before the meta expires). Returns epoch, newest
 * offset, complete (1/0), then offset, text and scope ('' for none) of each
 * entry, oldest first: none when incomplete (another epoch, or a position the
 * history no longer follows on from).
 */
const READ = `${COMMON}
local meta, log = KEYS[1], KEYS[2]
local ttl, limit = tonumber(ARGV[5]), tonumber(ARGV[4])
local function read()
  local epoch = redis.call('HGET', meta, 'epoch')
  if not epoch then
    redis.call('DEL', log)
    redis.call('HSET', meta, 'epoch', ARGV[1], 'offset', 0)
    epoch = ARGV[1]
  end
  local last = tonumber(redis.call('HGET', meta, 'offset')) or 0
  -- Made by reads alone (a client can name events without end): kept a while after the last.
  if last == 0 then redis.call('PEXPIRE', meta, ARGV[9]) end
  local live = head(log) or (last + 1)
  if ttl > 0 then live = firstLive(log, live, last, now() - ttl) end
  local reply = {epoch, last, 0}
  local from, since
  if ARGV[2] == '' then
    from = math.max(live, last - limit + 1)
    reply[3] = 1
  else
    since = tonumber(ARGV[3])
    if ARGV[2] ~= epoch or since > last then return reply end
    if since == last then
      reply[3] = 1
      return reply
    end
    -- Rolled over or expired past it: nothing to replay, the client reloads instead.
    if live > since + 1 then return reply end
    from = since + 1
    reply[3] = 1
  end
  if limit > 0 and from <= last then
    local entries = redis.call('XRANGE', log, id(from), '+', 'COUNT', limit)
    for _, e in ipairs(entries) do
      reply[#reply + 1] = offsetOf(e[1])
      reply[#reply + 1] = e[2][4]
      reply[#reply + 1] = e[2][6] or ''
    end
  end
  if since and reply[4] ~= since + 1 then return {epoch, last, 0} end
  return reply
end
local reply = read()
-- Behind every recorded message of the event on its channel: once the reading node hears it,
-- it has delivered all that this read covers.
if ARGV[6] == '1' then redis.call('SPUBLISH', ARGV[7], ARGV[8]) else redis.call('PUBLISH', ARGV[7], ARGV[8]) end
return reply`;

/** Where one event's history lives, worked out once per event. */
interface Place {
  readonly keys: readonly [meta: string, log: string];
  readonly channel: string;
  /** The start of the relay message: kind, origin, the event as subject. */
  readonly head: string;
}

/**
 * How long the meta a read made for an event never published to lives after
 * the last read (its `ttlMs` when it has one): a client can name events
 * without end, and a Redis key is not free.
 */
const UNPUBLISHED_MS = 60_000;

/** How long a read waits for its mark to come back through the subscription. */
const MARK_MS = 5000;

/** Events whose places are remembered; past it the memo starts over (families make many events). */
const PLACES = 10_000;

/** The broker's accounting of what the history's publishes did. */
export interface RecordingTally {
  /** A publish recorded and relayed. */
  relayed(): void;
  /** A publish Redis could not take: lost, counted and logged. */
  failed(error: unknown): void;
}

/**
 * Histories in Redis, for the nodes of one application. Each event with a
 * history has a stream, `<prefix>:history:{<tag>}:log:<event>`, of at most
 * `size` entries, and a hash, `<prefix>:history:{<tag>}:meta:<event>`, with
 * its `epoch` and newest `offset`; with a `ttlMs`, entries older than it are
 * trimmed (on Redis's clock) and both keys expire once the event has not been
 * published to for that long. The tag is the hash part of the topic's
 * sharded channel, so on a Redis Cluster the keys and the channel share a
 * slot.
 *
 * One script per publish sets the epoch when there is none (a random one: a
 * Redis that lost its data starts a new epoch), takes the next offset, appends
 * the frame, trims, and publishes a `Kind.RECORDED` message on the bus
 * (or `SPUBLISH`es it on the topic's channel), atomically: every node, the
 * publishing one too, delivers in offset order as the messages arrive.
 */
export class RedisHistory implements HistoryStore {
  private readonly places = new Map<string, Place>();
  /** Epochs this node proposes: a random stem and a count, so that no two are ever the same. */
  private readonly stem = randomBytes(9).toString('base64url');
  private proposed = 0;
  /** Reads waiting for their mark to come back, by mark. */
  private readonly marks = new Map<string, (back: boolean) => void>();
  private marked = 0;
  private topicOf: (event: string) => string | undefined = () => undefined;
  private readonly onRecorded = (): void => this.tally.relayed();
  private readonly onFailed = (error: unknown): void => this.tally.failed(error);

  /** @internal the Redis broker makes it. */
  constructor(
    private readonly link: RedisLink,
    private readonly names: RedisNames,
    private readonly nodeId: string,
    private readonly tally: RecordingTally,
  ) {}

  /** Learns the topics of the node's events (whose channels carry their histories' messages). */
  start(topicOf: (event: string) => string | undefined): void {
    this.topicOf = topicOf;
    this.places.clear();
  }

  publish(
    event: string,
    frame: Frame,
    history: HistoryOptions,
    scope: RelayScope | undefined,
  ): void {
    try {
      const place = this.placeOf(event);
      const scoped = scope === undefined ? '' : encodeScope(event, scope.except, scope.topics);
      const head =
        scope === undefined
          ? place.head
          : encodeMessage(Kind.RECORDED_SCOPED, this.nodeId, scoped, '');
      this.link
        .script(PUBLISH, place.keys, [
          this.epoch(),
          String(history.size),
          String(history.ttlMs ?? 0),
          this.link.sharded ? '1' : '0',
          place.channel,
          head,
          frame.text,
          scoped,
        ])
        .then(this.onRecorded, this.onFailed);
    } catch (err) {
      // A client that throws instead of rejecting (closed) loses the publish the same way.
      this.onFailed(err);
    }
  }

  /**
   * Reads in one script, which then publishes a mark of this node's behind
   * the event's recorded messages on their channel; resolves once the mark is
   * back. Redis keeps the order of one channel, so by then this node has
   * delivered every message the read covers: a message the read holds never
   * arrives live after it (it would be a duplicate at the seam). Rejects when
   * Redis cannot be reached, or the mark is not back within `MARK_MS` (the
   * subscription is down).
   */
  async read(
    event: string,
    history: HistoryOptions,
    since: Position | undefined,
    limit: number,
  ): Promise<HistoryRead> {
    const place = this.placeOf(event);
    const mark = (this.marked++).toString(36);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const back = new Promise<boolean>((resolve) => {
      this.marks.set(mark, resolve);
      timer = setTimeout(resolve, MARK_MS, false);
      timer.unref();
    });
    try {
      const reply = await this.link.script(READ, place.keys, [
        this.epoch(),
        since?.epoch ?? '',
        String(since?.offset ?? 0),
        String(Math.max(0, Math.floor(limit))),
        String(history.ttlMs ?? 0),
        this.link.sharded ? '1' : '0',
        place.channel,
        encodeMessage(Kind.MARK, this.nodeId, mark, ''),
        String(history.ttlMs ?? UNPUBLISHED_MS),
      ]);
      const read = readOf(reply);
      if (!(await back)) {
        throw new Error(
          `carom/redis: the history of '${event}' was read, but its messages did not reach this node (no subscription within ${MARK_MS} ms, or the broker closed)`,
        );
      }
      return read;
    } finally {
      clearTimeout(timer);
      this.marks.delete(mark);
    }
  }

  /** The broker is closing: reads still waiting for their mark reject now. */
  close(): void {
    for (const done of this.marks.values()) done(false);
    this.marks.clear();
  }

  /** This node's mark `mark` came back on its event's channel: the read that sent it may resolve. */
  heard(mark: string): void {
    this.marks.get(mark)?.(true);
  }

  private epoch(): string {
    return `${this.stem}${(this.proposed++).toString(36)}`;
  }

  private placeOf(event: string): Place {
    let place = this.places.get(event);
    if (place !== undefined) return place;
    const topic = this.topicOf(event);
    const topicChannel = topic === undefined ? this.names.undeclared : this.names.topic(topic);
    // Named the same with or without a cluster, so that keys never depend on the deployment.
    const tag = tagOfSlot(topicChannel);
    place = {
      keys: [this.names.historyMeta(tag, event), this.names.historyLog(tag, event)],
      channel: this.link.sharded ? topicChannel : this.names.bus,
      head: encodeMessage(Kind.RECORDED, this.nodeId, event, ''),
    };
    if (this.places.size >= PLACES) this.places.clear();
    this.places.set(event, place);
    return place;
  }
}

/** The read script's reply as a {@link HistoryRead}; rejects one carom did not write. */
function readOf(reply: unknown): HistoryRead {
  if (!Array.isArray(reply) || reply.length < 3 || reply.length % 3 !== 0) throw unreadable();
  const [epoch, offset, complete] = reply as unknown[];
  if (typeof epoch !== 'string' || typeof offset !== 'number') throw unreadable();
  const entries: HistoryEntry[] = [];
  for (let i = 3; i < reply.length; i += 3) {
    const at: unknown = reply[i];
    const text: unknown = reply[i + 1];
    const scoped: unknown = reply[i + 2];
    if (typeof at !== 'number' || typeof text !== 'string' || typeof scoped !== 'string')
      throw unreadable();
    if (scoped === '') {
      entries.push({ offset: at, text });
      continue;
    }
    const scope = decodeScope(scoped);
    if (scope === undefined) throw unreadable();
    entries.push({ offset: at, text, scope: { topics: scope.topics, except: scope.except } });
  }
  return { epoch, offset, entries, complete: complete === 1 };
}

function unreadable(): Error {
  return new Error('carom/redis: a history read Redis answered is not one carom wrote');
}
