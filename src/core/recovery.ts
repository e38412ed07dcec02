import { withPosition } from '../protocol/envelope.js';
import { CloseCode } from '../protocol/errors.js';
import { Frame } from '../protocol/frame.js';
import { isPattern, patternsCover } from '../protocol/names.js';
import type { WireRecovery, WireRecoveryReason } from '../protocol/wire.js';
import type { Clock } from './clock.js';
import type { RelayScope } from './broker.js';
import type { HistoryOptions, HistoryRead, HistoryStore, Position } from './history.js';
import type { HistoryPolicies } from './history-policies.js';
import type { CaromLogger } from './logger.js';
import type { RecoveryAsk } from './recovery-request.js';
import { Replay } from './replay.js';
import type { Session } from './session.js';

/** What recovery reads and writes with. */
export interface RecoveryParts {
  readonly policies: HistoryPolicies;
  /** The broker's histories; undefined when it keeps none (then no event has a history). */
  readonly store: HistoryStore | undefined;
  /** Bytes waiting for a socket past which a replay waits for it to drain. */
  readonly backlogBytes: number;
  /** How long a replay waits for a socket to drain before closing it (0: no limit). */
  readonly drainTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: CaromLogger;
}

/** One event a `subscribe` asked the history of. */
interface Item {
  readonly event: string;
  /** The position to resume from; undefined for `recent`. */
  readonly since: Position | undefined;
  readonly history: HistoryOptions | undefined;
  /** Messages to read: the history's size to resume, the `recent` asked (capped by it) otherwise. */
  readonly limit: number;
}

/** What {@link Recovery.begin} set up, for {@link Recovery.finish}. */
export interface RecoveryPlan {
  readonly items: readonly Item[];
  readonly replay: Replay | undefined;
}

/** What the ack's `recovery` holds. */
export type RecoveryReport = Record<string, WireRecovery>;

/**
 * Serves `resume` and `recent` of a `subscribe`: per event, live messages for
 * the connection are held back ({@link Replay}) from before the subscription
 * takes effect, the history is read and written (positioned, oldest first,
 * waiting for the socket to drain past `backlogBytes`), then the held messages
 * the history did not cover follow, and the event goes live. No message is
 * missed or doubled at the seam. Never throws or rejects: a store that fails
 * is reported `UNAVAILABLE`.
 */
export class Recovery {
  constructor(private readonly parts: RecoveryParts) {}

  /**
   * Before the `subscribe` takes effect: starts holding each named event that
   * has a history. `names` are the subscribe's own (`recent` reads their exact ones).
   */
  begin(session: Session, ask: RecoveryAsk, names: readonly string[]): RecoveryPlan {
    const { policies } = this.parts;
    const items: Item[] = [];
    let replay = session.replay;
    const hold = (event: string, history: HistoryOptions): void => {
      replay ??= session.replay = new Replay(session);
      replay.begin(event, history.size);
    };
    for (const [event, since] of ask.resume) {
      const history = policies.of(event);
      items.push({ event, since, history, limit: history?.size ?? 0 });
      if (history !== undefined) hold(event, history);
    }
    const recent = ask.recent;
    if (recent !== undefined) {
      const seen = new Set<string>();
      for (const event of names) {
        if (isPattern(event) || ask.resume.has(event) || seen.has(event)) continue;
        seen.add(event);
        const history = policies.of(event);
        if (history === undefined) continue;
        items.push({ event, since: undefined, history, limit: Math.min(recent, history.size) });
        hold(event, history);
      }
    }
    return { items, replay };
  }

  /**
   * Once the `subscribe` took effect: reads and replays each event in turn,
   * then lets it go live. Resolves with the report for the ack; stops early
   * (what is left held is dropped) when the connection closes.
   */
  async finish(session: Session, plan: RecoveryPlan): Promise<RecoveryReport> {
    const report: RecoveryReport = {};
    try {
      for (const item of plan.items) {
        if (!session.open) break;
        const entry = await this.recover(session, plan.replay, item);
        if (entry !== undefined) report[item.event] = entry;
      }
    } finally {
      this.settle(session, plan);
    }
    return report;
  }

  /**
   * Lets go of whatever the plan still holds, writing it (the subscribe failed
   * before its replay, or stopped): called once the `subscribe` is answered.
   */
  settle(session: Session, plan: RecoveryPlan): void {
    const replay = plan.replay;
    if (replay === undefined) return;
    for (const item of plan.items) replay.releaseAll(item.event);
    if (session.replay === replay && !replay.holding) session.replay = undefined;
  }

  private async recover(
    session: Session,
    replay: Replay | undefined,
    item: Item,
  ): Promise<WireRecovery | undefined> {
    const { event, since, history } = item;
    if (!covers(session, event)) {
      replay?.release(event, '', Number.MAX_SAFE_INTEGER);
      return since === undefined ? undefined : unrecovered(since, 'NOT_SUBSCRIBED');
    }
    const store = this.parts.store;
    if (history === undefined || store === undefined || replay === undefined) {
      return since === undefined ? undefined : unrecovered(since, 'NO_HISTORY');
    }
    let read: HistoryRead;
    try {
      read = await store.read(event, history, since, item.limit);
    } catch (err) {
      this.parts.logger.warn(`the history of '${event}' could not be read for a resume`, err);
      replay.releaseAll(event);
      return unrecovered(since ?? { epoch: '', offset: 0 }, 'UNAVAILABLE');
    }
    if (!session.open) return undefined;
    let replayed = 0;
    let reason: WireRecoveryReason | undefined;
    if (since !== undefined && !read.complete) {
      reason = read.epoch === since.epoch ? 'GAP' : 'EPOCH';
    } else {
      replayed = await this.write(session, replay, event, read);
      if (!session.open) return undefined;
      if (since !== undefined && !continues(read, since)) reason = 'GAP';
    }
    const offset = replay.release(event, read.epoch, read.offset);
    const out = { recovered: reason === undefined, epoch: read.epoch, offset, replayed };
    return reason === undefined ? out : { ...out, reason };
  }

  /**
   * Writes what was read, oldest first, waiting for the socket to drain past
   * `backlogBytes`; a scoped message only when its publish would have reached
   * this connection.
   */
  private async write(
    session: Session,
    replay: Replay,
    event: string,
    read: HistoryRead,
  ): Promise<number> {
    const { backlogBytes, clock, drainTimeoutMs } = this.parts;
    const { epoch, entries } = read;
    let written = 0;
    for (const entry of entries) {
      if (!session.open) break;
      if (entry.scope !== undefined && !reaches(session, event, entry.scope)) continue;
      session.peer.send(entry.frame ?? new Frame(withPosition(entry.text, epoch, entry.offset)));
      written++;
      if (replay.backlogged(backlogBytes) && !(await replay.drain(clock, drainTimeoutMs))) {
        if (session.open) {
          session.close(CloseCode.TRY_AGAIN_LATER, 'too slow: the replay did not drain in time');
        }
        break;
      }
    }
    return written;
  }
}

/** True when the connection's subscriptions cover `event` now. */
function covers(session: Session, event: string): boolean {
  if (session.exact?.has(event)) return true;
  return patternsCover(session.patterns, event) && !session.excluded?.has(event);
}

/** True when a publish with `scope` would have reached the connection. */
function reaches(session: Session, event: string, scope: RelayScope): boolean {
  if (scope.except === session.connection.id) return false;
  const topics = scope.topics;
  if (topics === undefined) return covers(session, event);
  for (const topic of topics) if (covers(session, topic)) return true;
  return false;
}

/** True when the entries read continue `since` up to the newest offset with nothing missing. */
function continues(read: HistoryRead, since: Position): boolean {
  const { entries } = read;
  if (read.epoch !== since.epoch) return false;
  if (entries.length === 0) return since.offset === read.offset;
  return (
    entries[0]!.offset === since.offset + 1 && entries[entries.length - 1]!.offset === read.offset
  );
}

function unrecovered(since: Position, reason: WireRecoveryReason): WireRecovery {
  return { recovered: false, epoch: since.epoch, offset: since.offset, replayed: 0, reason };
}
