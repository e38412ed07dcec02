import { appError } from './errors.js';
import { TopicMap } from './topic-map.js';

/**
 * What a connection that reads slower than the server publishes gets of an event:
 *
 * - `all` (the default): every message, in order; past `maxBufferedBytes` the
 *   connection is closed with 1013.
 * - `latest`: while the connection is backlogged, only the newest message waits
 *   for it (per key, with a `key` function); older waiting ones are replaced.
 * - `drop`: while the connection is backlogged, messages are skipped.
 */
export type DeliveryMode = 'all' | 'latest' | 'drop';

/**
 * For `latest`: the key a message is conflated under (a ticker symbol, a
 * player id), read from the published data; each key keeps its own newest value.
 */
export type DeliveryKey = (data: any) => string | number;

/** How an event is delivered to backlogged connections; declared with its topic. */
export interface DeliveryOptions {
  /** `all` (default), `latest` or `drop`; see {@link DeliveryMode}. */
  readonly delivery?: DeliveryMode;
  /** With `latest` only: conflate per key of the data rather than per event. */
  readonly key?: DeliveryKey;
}

/** The counters of one topic with a `latest` or `drop` policy, since the app started. */
export interface DeliveryCounts {
  /** The policy the topic was declared with. */
  readonly delivery: DeliveryMode;
  /** Messages replaced by a newer one while waiting for a backlogged connection (never sent to it). */
  readonly conflated: number;
  /** Messages a backlogged connection skipped (`drop`). */
  readonly dropped: number;
  /** Messages that waited for a backlogged connection and were sent once it drained. */
  readonly deferred: number;
  /** Messages whose `key` function threw or returned neither a string nor a number; sent unconflated. */
  readonly keyFailures: number;
}

/** What `app.deliveryStats()` returns. */
export interface DeliveryStats {
  /** Connections backlogged now: with messages waiting for their socket to drain. */
  readonly backlogged: number;
  /** Messages waiting now, over all connections (at most one per event and key per connection). */
  readonly waiting: number;
  /** Counters by topic (an exact name, a family such as `ticker.*`, a channel). */
  readonly topics: Readonly<Record<string, DeliveryCounts>>;
}

/** The policy of one topic, with its counters; the write path updates them in place. */
export class DeliveryPolicy {
  conflated = 0;
  dropped = 0;
  deferred = 0;
  keyFailures = 0;

  constructor(
    /** The topic that declared it: an exact name or a family pattern (`ticker.*`). */
    readonly topic: string,
    readonly mode: 'latest' | 'drop',
    readonly key: DeliveryKey | undefined,
  ) {}

  /** A copy of the counters. */
  counts(): DeliveryCounts {
    const { mode, conflated, dropped, deferred, keyFailures } = this;
    return { delivery: mode, conflated, dropped, deferred, keyFailures };
  }
}

const MODES: ReadonlySet<unknown> = new Set(['all', 'latest', 'drop']);

/**
 * Checks a topic's delivery options; `where` names the declaration for the
 * error (`@Topic('price') on PriceSender`). Throws `CAROM_ERR_BAD_DELIVERY`.
 */
export function checkDelivery(where: string, options: DeliveryOptions): void {
  const { delivery, key } = options;
  if (delivery !== undefined && !MODES.has(delivery)) {
    throw appError('CAROM_ERR_BAD_DELIVERY', where, "delivery must be 'all', 'latest' or 'drop'");
  }
  if (key !== undefined) {
    if (typeof key !== 'function') {
      throw appError('CAROM_ERR_BAD_DELIVERY', where, 'key must be a function of the data');
    }
    if (delivery !== 'latest') {
      throw appError('CAROM_ERR_BAD_DELIVERY', where, "key applies only to delivery 'latest'");
    }
  }
}

/**
 * The delivery policy of each topic that is not `all`: exact names and
 * families (`ticker.*`, which covers channels made under it on any node). Read
 * once per publish of an event, only when some policy exists.
 */
export class DeliveryPolicies {
  private readonly map = new TopicMap<DeliveryPolicy>();

  /** How many topics have a policy; 0 keeps every publish on the plain path. */
  get size(): number {
    return this.map.size;
  }

  /** Records `topic`'s policy (checked first); `all` records nothing. */
  set(topic: string, options: DeliveryOptions, where: string): void {
    checkDelivery(where, options);
    const mode = options.delivery;
    if (mode === undefined || mode === 'all') return;
    this.map.set(topic, new DeliveryPolicy(topic, mode, options.key));
  }

  /** Forgets an exact name's policy (a deleted channel). */
  remove(topic: string): void {
    this.map.remove(topic);
  }

  /** The policy `event` is delivered by: its own, else the shortest family's covering it. */
  of(event: string): DeliveryPolicy | undefined {
    return this.map.of(event);
  }

  /** Every policy's counters, by topic. */
  counts(): Record<string, DeliveryCounts> {
    const out: Record<string, DeliveryCounts> = {};
    for (const p of this.map.values()) out[p.topic] = p.counts();
    return out;
  }
}
