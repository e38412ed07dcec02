/**
 * What the soak's processes share: the app's event names, the hostile kinds,
 * and the messages the orchestrator and its children exchange over IPC.
 */

/** The event the server publishes from its timer, `{ seq }`, one number per publish. */
export const TICK = 'soak.tick';
/** Subscribes the caller to {@link TICK} server-side; the ack is `{ seq }`, the last seq published. */
export const JOIN = 'join';
/** Unsubscribes the caller; the ack is `{ seq }`: everything up to it was sent before the ack. */
export const LEAVE = 'leave';
/** Returns its payload unchanged. */
export const ECHO = 'echo';
/** Checks its payload against a class-validator DTO and returns `{ n }`. */
export const ECHO_DTO = 'echo_dto';

/** The data of one tick. */
export interface TickData {
  readonly seq: number;
}

/** The misbehaviours, each switchable with `--hostile`. */
export const HOSTILE_KINDS = [
  'deep',
  'garbage',
  'oversize',
  'flood',
  'subscribe-spam',
  'slowloris',
  'paused',
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

/** The well-behaved client implementations. */
export const CLIENT_KINDS = ['ws', 'carom'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** The server's announcement once it listens. */
export interface ServerReady {
  readonly type: 'ready';
  readonly port: number;
  readonly path: string;
  readonly maxPayload: number;
  readonly maxEventLength: number;
  readonly pid: number;
}

/** One memory sample of the server, taken after a forced GC when `--expose-gc` is on. */
export interface MemorySample {
  readonly type: 'sample';
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Whether a GC ran just before: heap figures then hold live data only. */
  readonly collected: boolean;
  readonly connections: number;
  readonly subscriptions: number;
  /** Ticks published so far. */
  readonly published: number;
  /** The event loop's delay since the previous sample: 99th percentile and maximum. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

/** Tells a load child to start: its loops run until `deadline` (epoch ms). */
export interface StartCommand {
  readonly type: 'start';
  readonly port: number;
  readonly path: string;
  readonly deadline: number;
  readonly maxPayload: number;
  readonly maxEventLength: number;
}

/** What a well-behaved client child reports once its clients have left. */
export interface ClientsResult {
  readonly type: 'result';
  readonly kind: ClientKind;
  readonly clients: number;
  readonly sessions: number;
  /** Sessions that did not end with an answered `leave` (the server closed, a timeout...). */
  readonly broken: number;
  readonly owed: number;
  readonly received: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  /** Ticks outside every join..leave window: never owed, never expected. */
  readonly unexpected: number;
  readonly requests: { made: number; answered: number; failed: number };
  /** The first few problems, for the report. */
  readonly problems: readonly string[];
}

/** What the hostile child reports: each misbehaviour performed, and what the server answered. */
export interface HostileResult {
  readonly type: 'result';
  readonly kinds: Record<string, Record<string, number>>;
  readonly problems: readonly string[];
}

/** Tells any child to end. */
export interface ExitCommand {
  readonly type: 'exit';
}

/** Asks the server for one sample now, answered by a {@link MemorySample}. */
export interface SampleCommand {
  readonly type: 'sample';
}
