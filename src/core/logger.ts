import { Logger } from 'tslog';

/** The methods carom calls on a logger; a tslog `Logger` has them, and so do most others. */
export interface CaromLogger {
  /** Detail for whoever debugs carom. */
  debug(...args: unknown[]): unknown;
  /** What the app does: listening, closing. */
  info(...args: unknown[]): unknown;
  /** Something refused or misconfigured that the app survives. */
  warn(...args: unknown[]): unknown;
  /** A failure of application code or of a dependency. */
  error(...args: unknown[]): unknown;
}

/** Log levels, least severe first; `silent` prints nothing at all. */
export type LogLevel = 'silly' | 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const LEVEL_IDS: Record<LogLevel, number> = {
  silly: 0,
  trace: 1,
  debug: 2,
  info: 3,
  warn: 4,
  error: 5,
  fatal: 6,
  silent: 7,
};

/** Every level, least severe first: what the `logLevel` option accepts. */
export const LOG_LEVELS = Object.keys(LEVEL_IDS) as readonly LogLevel[];

const ignore = (): void => undefined;

/** The logger of `logLevel: 'silent'`: no tslog at all, so nothing is formatted either. */
const SILENT: CaromLogger = Object.freeze({
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
});

/**
 * Makes carom's default tslog logger, which prints `info` and above unless told
 * otherwise; `silent` makes one that prints nothing.
 */
export function createLogger(level: LogLevel = 'info'): CaromLogger {
  if (level === 'silent') return SILENT;
  return new Logger({ name: 'carom', minLevel: LEVEL_IDS[level], type: 'pretty' });
}
