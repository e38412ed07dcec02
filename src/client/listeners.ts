/**
 * The client's listener registries (events, state, errors, drops) and the
 * guard that keeps a throwing listener from stopping the others.
 */
import type { WireEnvelope } from '../protocol/wire.js';
import { ClientErrorCode } from './codes.js';
import { messageOf, type ServerError } from './errors.js';
import { isPattern, patternPrefix, someDotPrefix } from './names.js';
import type { RecoveryReport } from './recovery.js';
import type { CloseInfo, ClientState } from './state.js';

/** A listener of `on`. */
export type Listener = (data: any, envelope: WireEnvelope) => void;
/** A listener of `onState`. */
export type StateListener = (state: ClientState, info?: CloseInfo) => void;
/** A listener of `onError`. */
export type ErrorListener = (error: ServerError) => void;
/** A listener of `onDrop`. */
export type DropListener = (event: string, data: unknown, dropped: number) => void;
/** A listener of `onRecovery`. */
export type RecoveryListener = (report: RecoveryReport) => void;

/** Every listener of one client, and how each kind is called. */
export class Listeners {
  private readonly events = new Map<string, Set<Listener>>();
  /** Pattern listeners by the prefix they match (`room.` for `room.*`, `''` for `*`). */
  private readonly patterns = new Map<string, Set<Listener>>();
  private readonly states = new Set<StateListener>();
  private readonly errors = new Set<ErrorListener>();
  private readonly drops = new Set<DropListener>();
  private readonly recoveries = new Set<RecoveryListener>();

  /** Adds a listener of an event, or of a pattern (`*`, `prefix.*`) with the protocol's meaning. */
  on(event: string, fn: Listener): void {
    const table = isPattern(event) ? this.patterns : this.events;
    const key = isPattern(event) ? patternPrefix(event) : event;
    let set = table.get(key);
    if (!set) table.set(key, (set = new Set()));
    set.add(fn);
  }

  off(event: string, fn: Listener): void {
    const table = isPattern(event) ? this.patterns : this.events;
    const key = isPattern(event) ? patternPrefix(event) : event;
    const set = table.get(key);
    if (set?.delete(fn) && set.size === 0) table.delete(key);
  }

  onState(fn: StateListener): () => void {
    this.states.add(fn);
    return () => this.states.delete(fn);
  }

  onError(fn: ErrorListener): () => void {
    this.errors.add(fn);
    return () => this.errors.delete(fn);
  }

  onDrop(fn: DropListener): () => void {
    this.drops.add(fn);
    return () => this.drops.delete(fn);
  }

  onRecovery(fn: RecoveryListener): () => void {
    this.recoveries.add(fn);
    return () => this.recoveries.delete(fn);
  }

  /**
   * Hands a published envelope to the listeners of its event, then to those
   * of the patterns covering it: `*`, then `a.*`, `a.b.*` for `a.b.c`.
   */
  deliver(envelope: WireEnvelope): void {
    const set = this.events.get(envelope.event);
    if (set) this.call(set, envelope);
    // A client without pattern listeners does not walk the name.
    if (this.patterns.size === 0) return;
    const all = this.patterns.get('');
    if (all) this.call(all, envelope);
    someDotPrefix(envelope.event, deliverToPrefix, { listeners: this, envelope });
  }

  /** Calls each listener of `set`; one that throws is reported and the rest still run. */
  private call(set: ReadonlySet<Listener>, envelope: WireEnvelope): void {
    const event = envelope.event;
    for (const fn of set) {
      try {
        fn(envelope.data, envelope);
      } catch (err) {
        this.threw(`a listener of '${event}'`, event, err);
      }
    }
  }

  /** Calls the listeners of the pattern `prefix*` with `envelope`. */
  deliverToPattern(prefix: string, envelope: WireEnvelope): void {
    const set = this.patterns.get(prefix);
    if (set) this.call(set, envelope);
  }

  state(state: ClientState, info: CloseInfo | undefined): void {
    for (const fn of this.states) {
      try {
        fn(state, info);
      } catch (err) {
        this.threw('an onState listener', undefined, err);
      }
    }
  }

  drop(event: string, data: unknown, dropped: number): void {
    for (const fn of this.drops) {
      try {
        fn(event, data, dropped);
      } catch (err) {
        this.threw('an onDrop listener', event, err);
      }
    }
  }

  /** Hands `report` to every `onRecovery` listener; false when there is none. */
  recovery(report: RecoveryReport): boolean {
    for (const fn of this.recoveries) {
      try {
        fn(report);
      } catch (err) {
        this.threw('an onRecovery listener', undefined, err);
      }
    }
    return this.recoveries.size > 0;
  }

  /** Hands an error to every `onError` listener; what one of them throws has nowhere left to go. */
  report(error: ServerError): void {
    for (const fn of this.errors) {
      try {
        fn(error);
      } catch {
        // An onError listener that throws has nowhere left to report to.
      }
    }
  }

  /** What a listener threw, reported as `LISTENER_ERROR`; the client goes on. */
  private threw(what: string, event: string | undefined, err: unknown): void {
    const error: ServerError = {
      code: ClientErrorCode.LISTENER_ERROR,
      message: `${what} threw: ${messageOf(err)}`,
      details: err,
    };
    this.report(event === undefined ? error : { ...error, event });
  }
}

/** One step of the pattern walk: a module-level function, so a delivery makes no closure. */
function deliverToPrefix(
  prefix: string,
  arg: { readonly listeners: Listeners; readonly envelope: WireEnvelope },
): boolean {
  arg.listeners.deliverToPattern(prefix, arg.envelope);
  return false; // every covering pattern gets it, so the walk goes on
}
