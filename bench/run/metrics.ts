/**
 * What each scenario measures: the metric keys a run records, their labels in
 * the tables and how a value is printed, and each scenario's table title.
 */
import type { Scenario } from './settings.js';

/** One metric: its key in `RunRecord.metrics`, its row label, its printed form. */
export interface MetricSpec {
  key: string;
  label: string;
  format: (v: number) => string;
}

function sig(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Number(v.toPrecision(digits)).toString();
}
const fmtRate = (v: number): string =>
  !Number.isFinite(v)
    ? 'n/a'
    : v >= 1e6
      ? `${sig(v / 1e6)}M`
      : v >= 1e3
        ? `${sig(v / 1e3)}k`
        : sig(v);
const fmtUs = (v: number): string => (Number.isFinite(v) ? `${sig(v)}µs` : 'n/a');
const fmtRatio = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a');
const fmtMs = (v: number): string => (Number.isFinite(v) ? `${sig(v)}ms` : 'n/a');
const fmtBytes = (v: number): string =>
  !Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 1024 ? `${sig(v / 1024)}KiB` : `${Math.round(v)}B`;

const FANOUT_METRICS: MetricSpec[] = [
  { key: 'deliveriesPerSec', label: 'deliveries/s', format: fmtRate },
  { key: 'cpuUsPerDelivery', label: 'server CPU/delivery', format: fmtUs },
];

/** The inbound figures, once without and once with the DTO (`plain…` and `dto…` keys). */
const inboundMetrics = (prefix: 'plain' | 'dto', label: string): MetricSpec[] => [
  { key: `${prefix}PerSec`, label: `${label}handled/s`, format: fmtRate },
  { key: `${prefix}CpuUsPerRequest`, label: `${label}server CPU/request`, format: fmtUs },
  { key: `${prefix}P50Ms`, label: `${label}p50 latency`, format: fmtMs },
  { key: `${prefix}P99Ms`, label: `${label}p99 latency`, format: fmtMs },
  { key: `${prefix}P999Ms`, label: `${label}p99.9 latency`, format: fmtMs },
];

/** The slow-readers figures of one setup (`baseline`, `all`, `latest`, `drop`). */
const slowSetupMetrics = (setup: string): MetricSpec[] => [
  { key: `${setup}FastPerSec`, label: `${setup}: fast deliveries/s`, format: fmtRate },
  ...(setup === 'baseline'
    ? []
    : [{ key: `${setup}FastRatio`, label: `${setup}: ×baseline deliveries/s`, format: fmtRatio }]),
  { key: `${setup}FastP50Ms`, label: `${setup}: fast p50 latency`, format: fmtMs },
  { key: `${setup}FastP99Ms`, label: `${setup}: fast p99 latency`, format: fmtMs },
  ...(setup === 'baseline'
    ? []
    : [{ key: `${setup}P99Ratio`, label: `${setup}: ×baseline p99 latency`, format: fmtRatio }]),
  { key: `${setup}HeapBytes`, label: `${setup}: server heap`, format: fmtBytes },
  { key: `${setup}RssBytes`, label: `${setup}: server RSS`, format: fmtBytes },
  { key: `${setup}SlowGotPerReader`, label: `${setup}: slow reader got`, format: (v) => sig(v) },
  {
    key: `${setup}SlowClosed`,
    label: `${setup}: slow readers closed (1013)`,
    format: (v) => sig(v),
  },
  {
    key: `${setup}SlowNewestSeq`,
    label: `${setup}: slow readers' newest seq (min)`,
    format: (v) => sig(v),
  },
];

/** Each scenario's metrics, in table order. */
export const METRICS: Readonly<Record<Scenario, readonly MetricSpec[]>> = {
  fanout: FANOUT_METRICS,
  'fanout-timed': FANOUT_METRICS,
  inbound: [...inboundMetrics('plain', ''), ...inboundMetrics('dto', 'DTO ')],
  idle: [
    { key: 'heapPerConn', label: 'heap/connection', format: fmtBytes },
    { key: 'rssPerConn', label: 'RSS/connection', format: fmtBytes },
    { key: 'connectsPerSec', label: 'connects/s', format: fmtRate },
  ],
  // The ×one rows are each run's two-node figure over its one-node figure.
  'cross-node': [
    { key: 'oneDeliveriesPerSec', label: 'one node deliveries/s', format: fmtRate },
    { key: 'crossDeliveriesPerSec', label: 'A+B deliveries/s', format: fmtRate },
    { key: 'deliveriesRatio', label: '×one deliveries/s', format: fmtRatio },
    { key: 'oneCpuUsPerDelivery', label: 'one node CPU/delivery', format: fmtUs },
    { key: 'crossCpuUsPerDelivery', label: 'A+B CPU/delivery', format: fmtUs },
    { key: 'cpuRatio', label: '×one CPU/delivery', format: fmtRatio },
    { key: 'redisCpuUsPerDelivery', label: 'Redis CPU/delivery', format: fmtUs },
    { key: 'oneP50Ms', label: 'one node p50 latency', format: fmtMs },
    { key: 'oneP99Ms', label: 'one node p99 latency', format: fmtMs },
    { key: 'crossP50Ms', label: 'A->B p50 latency', format: fmtMs },
    { key: 'crossP99Ms', label: 'A->B p99 latency', format: fmtMs },
    { key: 'p99Ratio', label: '×one p99 latency', format: fmtRatio },
  ],
  // Medians over the rounds for the times; mean and max over the nodes for the memory.
  scale: [
    { key: 'lastMs', label: 'publish to last receipt', format: fmtMs },
    { key: 'localLastMs', label: 'to the last on the publishing node', format: fmtMs },
    { key: 'remoteLastMs', label: 'to the last on the other nodes', format: fmtMs },
    { key: 'rssPerConn', label: 'RSS/connection (mean of nodes)', format: fmtBytes },
    { key: 'maxRssPerConn', label: 'RSS/connection (worst node)', format: fmtBytes },
    { key: 'heapPerConn', label: 'heap/connection (mean of nodes)', format: fmtBytes },
    { key: 'connectsPerSec', label: 'connects/s (all loads at once)', format: fmtRate },
  ],
  'slow-readers': ['baseline', 'all', 'latest', 'drop'].flatMap(slowSetupMetrics),
  crowd: [
    { key: 'heapPerConn', label: 'heap/connection', format: fmtBytes },
    { key: 'rssPerConn', label: 'RSS/connection', format: fmtBytes },
    { key: 'connectsPerSec', label: 'connects/s', format: fmtRate },
    { key: 'lastMs', label: 'publish to last receipt', format: fmtMs },
  ],
  storm: [
    { key: 'resubscribeMs', label: 'cut to last resubscribed', format: fmtMs },
    { key: 'resubscribesPerSec', label: 'resubscribes/s', format: fmtRate },
    { key: 'stormPingP99Ms', label: 'observer ping p99, storm', format: fmtMs },
    { key: 'stormPingP50Ms', label: 'observer ping p50, storm', format: fmtMs },
    { key: 'stormPingMaxMs', label: 'observer ping max, storm', format: fmtMs },
    { key: 'quietPingP99Ms', label: 'observer ping p99, quiet', format: fmtMs },
    { key: 'connectsPerSec', label: 'connects/s (before)', format: fmtRate },
  ],
};

/** The line above each scenario's table. */
export const TITLES: Readonly<Record<Scenario, string>> = {
  fanout:
    'fan-out: one event to N subscribers, ~100-byte payloads (B=: bytes of the body) in bursts',
  'fanout-timed':
    'fan-out by timer (TimedSender / setInterval): one message per period, max(2, N/100) ms',
  inbound: 'inbound: requests with an id to a trivial handler, acked',
  idle: 'idle memory: subscribed connections doing nothing, after forced GC',
  'cross-node':
    'cross-node fan-out: carom on one node vs nodes A+B over Redis, publisher on A, N split',
  scale:
    'scale-out: N idle subscribed connections split over carom nodes on one Redis, one publish to all',
  'slow-readers':
    'slow readers: paced fan-out, some readers at a tenth of the rate, by delivery policy (carom only)',
  crowd:
    'crowd: N idle subscribed connections to one server process, after forced GC; one publish to all',
  storm:
    'reconnect storm: N subscribed connections cut at once, each reconnecting and resubscribing at once',
};
