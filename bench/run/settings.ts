/**
 * What a bench run measures and at what sizes: the scenarios, the three modes
 * (full, `--quick`, `--smoke`) and the cases (sizes) of each scenario.
 */

/** The size of a run: the full run, `--quick` or `--smoke`. */
export type Mode = 'full' | 'quick' | 'smoke';

/** The scenarios, in the order they run and are printed. */
export const SCENARIOS = [
  'fanout',
  'fanout-timed',
  'inbound',
  'idle',
  'cross-node',
  'scale',
  'slow-readers',
  'crowd',
  'storm',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Every size and duration of a run; written as is into the JSON's `settings`. */
export interface Settings {
  mode: Mode;
  reps: number;
  fanout: { sizes: number[]; burst: number; deliveries: number; maxMessages: number };
  timed: { sizes: number[]; deliveries: number; minMessages: number; maxMessages: number };
  inbound: {
    clients: number;
    window: number;
    warmupMs: number;
    throughputMs: number;
    rate: number;
    latencyMs: number;
  };
  idle: { sizes: number[]; concurrency: number; settleMs: number };
  /**
   * Cross-node fan-out: subscribers, deliveries of the measured round (bursts
   * of `fanout.burst`), and the paced latency round's messages and rate.
   */
  crossNode: {
    sizes: number[];
    deliveries: number;
    latencyMessages: number;
    pacedDeliveriesPerSec: number;
  };
  /**
   * Scale-out: `nodes` carom nodes over one Redis, each holding sizes/nodes
   * idle subscribed connections, from load processes of at most `maxPerLoad`
   * sockets each, `concurrency` handshakes at a time each; `rounds` single
   * publishes from the first node to all.
   */
  scale: {
    nodes: number;
    sizes: number[];
    maxPerLoad: number;
    concurrency: number;
    rounds: number;
    settleMs: number;
  };
  /**
   * Slow readers: `subscribers` in all, `slow` of them reading at a tenth of
   * `rate` (messages a second, paced), `messages` of `bodyBytes` each; the
   * server's `backlogBytes` and `maxBufferedBytes`.
   */
  slowReaders: {
    subscribers: number;
    slow: number;
    rate: number;
    messages: number;
    bodyBytes: number;
    backlogBytes: number;
    maxBufferedBytes: number;
  };
  /**
   * The crowd: N idle subscribed connections to one server process (as many as
   * its limit of open files allows), from load processes of at most
   * `maxPerLoad` clients each, `concurrency` handshakes at a time each; then
   * `rounds` single publishes to all of them.
   */
  crowd: {
    sizes: number[];
    maxPerLoad: number;
    concurrency: number;
    rounds: number;
    settleMs: number;
  };
  /**
   * The reconnect storm: N subscribed connections cut at once, each dialling
   * again and resubscribing as carom/client would (attempts of at most
   * `attemptMs`, up to `maxAttempts` each, the storm bounded by `boundMs`); the observer pings
   * every `pingEveryMs`, for `quietMs` before the storm and throughout it.
   */
  storm: {
    sizes: number[];
    maxPerLoad: number;
    concurrency: number;
    attemptMs: number;
    maxAttempts: number;
    boundMs: number;
    pingEveryMs: number;
    quietMs: number;
    settleMs: number;
  };
  connectConcurrency: number;
  /**
   * `--sizes`: the payload sizes, in bytes, that fan-out (each message's
   * `body`) and inbound (each request's `text`) run at, each a case of its
   * own; empty for their default payloads (about 100 bytes of data, `hello`).
   */
  payloadBytes: number[];
}

/** The settings of a mode (a fresh object: the caller may change `reps`). */
export function settingsFor(mode: Mode): Settings {
  const base: Settings = {
    mode,
    reps: 5,
    fanout: { sizes: [100, 1000, 5000], burst: 10, deliveries: 1_000_000, maxMessages: 10_000 },
    timed: { sizes: [100, 1000, 5000], deliveries: 150_000, minMessages: 30, maxMessages: 500 },
    inbound: {
      clients: 100,
      window: 1,
      warmupMs: 500,
      throughputMs: 2000,
      rate: 5000,
      latencyMs: 3000,
    },
    idle: { sizes: [1000, 5000], concurrency: 100, settleMs: 300 },
    crossNode: {
      sizes: [1000, 5000],
      deliveries: 1_000_000,
      latencyMessages: 200,
      pacedDeliveriesPerSec: 50_000,
    },
    // 25 handshakes at a time per load: four loads at 100 each kept some waiting past the
    // server's handshake timeout on a loaded machine.
    scale: {
      nodes: 4,
      sizes: [60_000],
      maxPerLoad: 15_000,
      concurrency: 25,
      rounds: 3,
      settleMs: 1000,
    },
    slowReaders: {
      subscribers: 1000,
      slow: 100,
      rate: 20,
      messages: 600,
      bodyBytes: 1024,
      backlogBytes: 8 * 1024,
      maxBufferedBytes: 128 * 1024,
    },
    // 19,000 of the 20,000 open files a process may have on the machine this was written for.
    crowd: { sizes: [19_000], maxPerLoad: 5000, concurrency: 25, rounds: 5, settleMs: 1000 },
    // Each attempt as long as carom/client's default connectTimeoutMs.
    storm: {
      sizes: [10_000],
      maxPerLoad: 5000,
      concurrency: 25,
      attemptMs: 10_000,
      maxAttempts: 30,
      boundMs: 300_000,
      pingEveryMs: 10,
      quietMs: 2000,
      settleMs: 1000,
    },
    connectConcurrency: 100,
    payloadBytes: [],
  };
  if (mode === 'quick') {
    return {
      ...base,
      reps: 3,
      fanout: { ...base.fanout, sizes: [100, 1000], deliveries: 300_000 },
      timed: { ...base.timed, sizes: [1000], deliveries: 100_000 },
      inbound: { ...base.inbound, warmupMs: 200, throughputMs: 800, latencyMs: 1200 },
      idle: { ...base.idle, sizes: [1000] },
      crossNode: { ...base.crossNode, sizes: [1000], deliveries: 300_000, latencyMessages: 100 },
      scale: { ...base.scale, sizes: [8000] },
      slowReaders: { ...base.slowReaders, messages: 300 },
      crowd: { ...base.crowd, sizes: [4000], rounds: 3 },
      storm: { ...base.storm, sizes: [2000], quietMs: 1000 },
    };
  }
  if (mode === 'smoke') {
    return {
      ...base,
      reps: 1,
      fanout: { ...base.fanout, sizes: [10], deliveries: 2000 },
      timed: { ...base.timed, sizes: [10], deliveries: 300, minMessages: 10, maxMessages: 30 },
      inbound: {
        clients: 10,
        window: 1,
        warmupMs: 50,
        throughputMs: 200,
        rate: 500,
        latencyMs: 300,
      },
      idle: { sizes: [20], concurrency: 10, settleMs: 50 },
      crossNode: { ...base.crossNode, sizes: [10], deliveries: 2000, latencyMessages: 20 },
      // Two loads per node even here, so that spreading over source addresses is exercised.
      scale: { nodes: 2, sizes: [20], maxPerLoad: 5, concurrency: 5, rounds: 2, settleMs: 100 },
      slowReaders: { ...base.slowReaders, subscribers: 20, slow: 2, rate: 100, messages: 100 },
      // Two loads each even here, so that spreading over source addresses is exercised.
      crowd: { sizes: [20], maxPerLoad: 10, concurrency: 5, rounds: 2, settleMs: 100 },
      storm: {
        sizes: [20],
        maxPerLoad: 10,
        concurrency: 5,
        attemptMs: 5000,
        maxAttempts: 5,
        boundMs: 15_000,
        pingEveryMs: 10,
        quietMs: 200,
        settleMs: 100,
      },
      connectConcurrency: 10,
    };
  }
  return base;
}

/**
 * One size of a scenario: `N=1000` subscribers or connections, `K=100` clients;
 * with `--sizes`, also a payload size (`N=1000 B=4096`).
 */
export interface Case {
  label: string;
  n: number;
  /** The payload size in bytes (`--sizes`); undefined for the default payload. */
  bytes?: number;
}

/** Each case at each of `--sizes`' payload sizes, or as it is without them. */
function atSizes(settings: Settings, cases: Case[]): Case[] {
  if (settings.payloadBytes.length === 0) return cases;
  return cases.flatMap((c) =>
    settings.payloadBytes.map((bytes) => ({ label: `${c.label} B=${bytes}`, n: c.n, bytes })),
  );
}

/** The cases of a scenario under these settings, in run order. */
export function casesOf(settings: Settings, scenario: Scenario): Case[] {
  switch (scenario) {
    case 'fanout':
      return atSizes(
        settings,
        settings.fanout.sizes.map((n) => ({ label: `N=${n}`, n })),
      );
    case 'fanout-timed':
      return atSizes(
        settings,
        settings.timed.sizes.map((n) => ({ label: `N=${n}`, n })),
      );
    case 'inbound':
      return atSizes(settings, [
        { label: `K=${settings.inbound.clients}`, n: settings.inbound.clients },
      ]);
    case 'idle':
      return settings.idle.sizes.map((n) => ({ label: `N=${n}`, n }));
    case 'cross-node':
      return settings.crossNode.sizes.map((n) => ({ label: `N=${n}`, n }));
    case 'scale':
      return settings.scale.sizes.map((n) => ({ label: `N=${n}`, n }));
    case 'crowd':
      return settings.crowd.sizes.map((n) => ({ label: `N=${n}`, n }));
    case 'storm':
      return settings.storm.sizes.map((n) => ({ label: `N=${n}`, n }));
    case 'slow-readers': {
      const s = settings.slowReaders;
      return [{ label: `N=${s.subscribers} slow=${s.slow}`, n: s.subscribers }];
    }
  }
}

/**
 * The contenders of `contenders` that run `scenario`: all of them, except for
 * cross-node, which compares carom with itself (one node against two), and
 * scale, which measures carom's own scale-out, and slow-readers, which compares carom's
 * delivery policies; crowd and storm, whose clients speak carom's envelopes, leave out
 * Socket.IO, and storm also `raw-ws-send` (how a publish is framed plays no part in it).
 */
export function contendersOf<C extends string>(scenario: Scenario, contenders: readonly C[]): C[] {
  switch (scenario) {
    case 'cross-node':
    case 'scale':
    case 'slow-readers':
      return contenders.filter((c) => c === 'carom');
    case 'crowd':
      return contenders.filter((c) => c !== 'socketio');
    case 'storm':
      return contenders.filter((c) => c !== 'socketio' && c !== 'raw-ws-send');
    default:
      return [...contenders];
  }
}
