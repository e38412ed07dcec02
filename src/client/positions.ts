/**
 * Where the client stands in each event's history: the last position seen per
 * event, so that a reconnect can ask to resume from it and a message seen
 * twice (a replay meeting the live stream) reaches the listeners once.
 */

/** A place in an event's history: the history's `epoch` and the message's `offset` in it. */
export interface StreamPosition {
  /** The history's identity; a new one means what came before is gone. */
  readonly epoch: string;
  /** Grows by one per publish of the event. */
  readonly offset: number;
}

/** Longest epoch the protocol allows. */
const MAX_EPOCH = 64;

/**
 * A position as the server sent it, or `undefined` when it is not one: an
 * epoch of 1 to 64 characters and an offset that is a safe integer of at
 * least `min`. Never throws.
 */
export function readPosition(value: unknown, min = 1): StreamPosition | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { epoch, offset } = value as { epoch?: unknown; offset?: unknown };
  return typeof epoch === 'string' &&
    epoch.length > 0 &&
    epoch.length <= MAX_EPOCH &&
    Number.isSafeInteger(offset) &&
    (offset as number) >= min
    ? { epoch, offset: offset as number }
    : undefined;
}

/**
 * The last position seen per event, for at most `max` events: past it the
 * event heard of longest ago is forgotten (a reconnect then cannot resume it,
 * and says so only if the event is asked for again).
 */
export class Positions {
  private readonly byEvent = new Map<string, StreamPosition>();

  constructor(private readonly max: number) {}

  /**
   * Records `position` of a message of `event` (or where the server says the
   * event stands); false when it was already seen (same epoch, offset not past
   * the last one), which leaves the record as it was. A new epoch replaces the old one.
   */
  saw(event: string, position: StreamPosition): boolean {
    const last = this.byEvent.get(event);
    if (last !== undefined && last.epoch === position.epoch && position.offset <= last.offset) {
      return false;
    }
    this.set(event, position);
    return true;
  }

  /** Forgets `event`'s position. */
  forget(event: string): void {
    this.byEvent.delete(event);
  }

  /** Keeps only the events `keep` accepts. */
  retain(keep: (event: string) => boolean): void {
    for (const event of this.byEvent.keys()) if (!keep(event)) this.byEvent.delete(event);
  }

  /** The positions of the events `keep` accepts, as `resume` sends them; `undefined` when none. */
  resume(keep: (event: string) => boolean): Record<string, StreamPosition> | undefined {
    let found: Record<string, StreamPosition> | undefined;
    for (const [event, position] of this.byEvent) {
      // No prototype: an event named `__proto__` is a key like any other.
      if (keep(event))
        (found ??= Object.create(null) as Record<string, StreamPosition>)[event] = position;
    }
    return found;
  }

  private set(event: string, position: StreamPosition): void {
    // Re-inserted, so the map's order is the order events were last heard of.
    this.byEvent.delete(event);
    if (this.byEvent.size >= this.max) {
      const oldest = this.byEvent.keys().next();
      if (!oldest.done) this.byEvent.delete(oldest.value);
    }
    this.byEvent.set(event, position);
  }
}
