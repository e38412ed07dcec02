/**
 * The soak's command line: durations such as `10m`, `30s`, `1500ms`, `1h`, and
 * the settings each process needs.
 */
import path from 'node:path';
import { eachFlag, UsageError } from '../argv.js';
import { CLIENT_KINDS, HOSTILE_KINDS, type ClientKind, type HostileKind } from './protocol.js';

/** Everything one soak run is given. */
export interface SoakSettings {
  readonly durationMs: number;
  /** Well-behaved clients per kind. */
  readonly clients: number;
  readonly kinds: readonly ClientKind[];
  readonly hostile: readonly HostileKind[];
  /** Ticks the server publishes per second. */
  readonly rate: number;
  /** Requests per second per well-behaved client. */
  readonly requestRate: number;
  readonly sessionMinMs: number;
  readonly sessionMaxMs: number;
  /** How long a slowloris or paused socket is held at most. */
  readonly holdMs: number;
  readonly sampleMs: number;
  /** Memory samples before this are left out of the growth fit. */
  readonly warmupMs: number;
  readonly out: string | undefined;
  readonly serverLogLevel: 'silly' | 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  readonly pin: boolean;
}

/** The usage line. */
export const USAGE =
  'usage: soak.js [--duration 10m] [--clients N] [--kinds ws,carom] ' +
  `[--hostile ${HOSTILE_KINDS.join(',')}|none] [--rate N] [--request-rate N] ` +
  '[--session 2s-10s] [--hold 15s] [--sample 5s] [--warmup D] [--out FILE] ' +
  '[--server-log LEVEL] [--no-pin]';

export { UsageError };

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `10m` → 600000. A bare number is seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`not a duration: '${text}' (say 30s, 10m, 1h, 500ms)`);
  const ms = Number(m[1]) * UNITS[m[2] ?? 's']!;
  if (!(ms > 0) || ms > 7 * 24 * 3_600_000) throw new UsageError(`duration out of range: ${text}`);
  return Math.round(ms);
}

function integer(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} takes an integer from ${min} to ${max}, got '${text}'`);
  }
  return n;
}

function list<T extends string>(name: string, text: string, allowed: readonly T[]): T[] {
  if (text === 'none') return [];
  const items = text.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new UsageError(`${name}: unknown '${item}' (one of ${allowed.join(', ')})`);
    }
  }
  return allowed.filter((a) => items.includes(a));
}

const LOG_LEVELS = ['silly', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** Parses the command line; throws {@link UsageError}. */
export function parseArgs(argv: readonly string[]): SoakSettings {
  let durationMs = 10 * 60_000;
  let clients = 20;
  let kinds: ClientKind[] = [...CLIENT_KINDS];
  let hostile: HostileKind[] = [...HOSTILE_KINDS];
  let rate = 50;
  let requestRate = 5;
  let session: [number, number] = [2000, 10_000];
  let holdMs = 15_000;
  let sampleMs = 5000;
  let warmupMs: number | undefined;
  let out: string | undefined;
  let serverLogLevel: SoakSettings['serverLogLevel'] = 'error';
  let pin = true;
  eachFlag(argv, (a, value) => {
    switch (a) {
      case '--duration':
        durationMs = parseDuration(value());
        break;
      case '--clients':
        clients = integer(a, value(), 1, 400);
        break;
      case '--kinds':
        kinds = list(a, value(), CLIENT_KINDS);
        break;
      case '--hostile':
        hostile = list(a, value(), HOSTILE_KINDS);
        break;
      case '--rate':
        rate = integer(a, value(), 1, 1000);
        break;
      case '--request-rate':
        requestRate = integer(a, value(), 1, 1000);
        break;
      case '--session': {
        const v = value();
        const parts = v.split('-');
        if (parts.length !== 2) throw new UsageError(`--session takes MIN-MAX, got '${v}'`);
        session = [parseDuration(parts[0]!), parseDuration(parts[1]!)];
        if (session[0] > session[1]) throw new UsageError('--session: MIN is above MAX');
        break;
      }
      case '--hold':
        holdMs = parseDuration(value());
        break;
      case '--sample':
        sampleMs = parseDuration(value());
        break;
      case '--warmup':
        warmupMs = parseDuration(value());
        break;
      case '--out':
        out = path.resolve(value());
        break;
      case '--server-log': {
        const v = value();
        if (!(LOG_LEVELS as readonly string[]).includes(v)) {
          throw new UsageError(`--server-log takes one of ${LOG_LEVELS.join(', ')}`);
        }
        serverLogLevel = v as SoakSettings['serverLogLevel'];
        break;
      }
      case '--no-pin':
        pin = false;
        break;
      default:
        throw new UsageError(`unknown argument ${a}`);
    }
  });
  if (kinds.length === 0) throw new UsageError('--kinds: at least one kind of client');
  return {
    durationMs,
    clients,
    kinds,
    hostile,
    rate,
    requestRate,
    sessionMinMs: session[0],
    sessionMaxMs: session[1],
    holdMs,
    sampleMs,
    // A fifth of the run, at most a minute: long enough for the heap to settle.
    warmupMs: warmupMs ?? Math.min(60_000, Math.round(durationMs / 5)),
    out,
    serverLogLevel,
    pin,
  };
}
