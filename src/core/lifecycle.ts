/**
 * The providers' part in the app's life: `onStart()` when the app starts and
 * `onClose()` when it closes, on every object the app made or was given
 * (providers, handlers, senders), in dependency order and then in reverse.
 */
import type { Clock } from './clock.js';
import { raceClock } from './deadline.js';
import { appErrorCausedBy } from './errors.js';
import { describe, outcomeOf } from './guard.js';
import type { CaromLogger } from './logger.js';

/** A class whose instance the app starts: `onStart` runs when the app starts, before it serves. */
export interface OnStart {
  /** Runs once, when the app starts; may be async. A failure stops the start. */
  onStart(): unknown;
}

/** A class whose instance the app closes: `onClose` runs during `app.close()`. */
export interface OnClose {
  /** Runs once, when the app closes; may be async. Stop your timers and close your pools here. */
  onClose(): unknown;
}

const ignore = (): void => undefined;

/** Runs the start and close hooks of the app's objects; never throws. */
export class Lifecycle {
  /** Objects whose start has passed (or had nothing to run): the ones to close. */
  private readonly started: object[] = [];
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    /** In dependency order: an object comes after those its constructor took. */
    private readonly objects: readonly object[],
    private readonly clock: Clock,
    private readonly logger: CaromLogger,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Runs each `onStart` in order, one at a time. Rejects with
   * `CAROM_ERR_START_HOOK_FAILED` (the hook's error as `cause`, logged) when one
   * throws, rejects or takes longer than the timeout; the objects after it do
   * not start. Later calls return the same promise.
   */
  start(): Promise<void> {
    this.starting ??= this.runStart();
    return this.starting;
  }

  /**
   * Waits for a start under way, then runs `onClose` of every started object
   * in reverse order. A hook that fails or times out is logged and the next one runs.
   */
  close(): Promise<void> {
    this.closing ??= this.runClose();
    return this.closing;
  }

  private async runStart(): Promise<void> {
    for (const object of this.objects) {
      if (this.closing) return;
      const name = nameOf(object);
      try {
        await this.run(object, 'onStart');
      } catch (err) {
        this.logger.error(`${name}.onStart() failed; the app did not start`, err);
        throw appErrorCausedBy(err, 'CAROM_ERR_START_HOOK_FAILED', name);
      }
      this.started.push(object);
    }
  }

  private async runClose(): Promise<void> {
    await this.starting?.catch(ignore);
    for (const object of this.started.reverse()) {
      try {
        await this.run(object, 'onClose');
      } catch (err) {
        this.logger.error(`${nameOf(object)}.onClose() failed`, err);
      }
    }
  }

  /** Calls the hook when the object has one; settles when it did, within the timeout. */
  private async run(object: object, hook: 'onStart' | 'onClose'): Promise<void> {
    // In an async function, a throwing getter or hook becomes this promise's rejection.
    const fn = (object as Record<string, unknown>)[hook];
    if (typeof fn !== 'function') return;
    const outcome = outcomeOf((fn as () => unknown).call(object));
    if (outcome.kind === 'value') return;
    if (outcome.kind === 'failed') throw outcome.error;
    const ms = this.timeoutMs;
    const what = `${nameOf(object)}.${hook}()`;
    await raceClock(outcome.promise, ms, this.clock, {
      timedOut: () => new Error(`${what} did not settle within ${ms} ms`),
      late: (how, value) =>
        this.logger.warn(`${what} ${how} after its ${ms} ms timeout: ${describe(value)}`),
    });
  }
}

function nameOf(object: object): string {
  try {
    const name: unknown = object.constructor.name;
    return typeof name === 'string' && name !== '' ? name : 'an object';
  } catch {
    return 'an object';
  }
}
