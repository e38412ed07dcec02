import { isPattern, subscriptionNameProblem } from '../protocol/names.js';
import type { WireRecovery, WireRecoveryReason } from '../protocol/wire.js';
import { appError } from './errors.js';
import type { HistoryStore, Position } from './history.js';
import type { HistoryPolicies } from './history-policies.js';
import type { CaromLogger } from './logger.js';
import type { Recovery } from './recovery.js';
import { positionProblem, recentProblem, type RecoveryAsk } from './recovery-request.js';
import type { Session } from './session.js';
import type { SubscriptionRequests } from './subscription-requests.js';

/** What server code asks of an event's history when it subscribes a connection to it. */
export interface HistorySubscribeOptions {
  /**
   * The last position the client saw (it sent it back, as a chat page does
   * when it rejoins a room after a reconnect): what followed it is replayed.
   */
  readonly since?: Position | undefined;
  /**
   * The newest messages to replay (0 to the history's size, capped by it):
   * without `since`, or when what followed `since` is gone (`GAP`, `EPOCH`),
   * so the client can reload. Default 0: nothing, only where the event stands.
   */
  readonly recent?: number | undefined;
}

/** What {@link HistorySubscriber} works with: the app's own parts. */
export interface HistorySubscriberParts {
  readonly requests: SubscriptionRequests;
  readonly policies: HistoryPolicies;
  /** The broker's histories; undefined when it keeps none. */
  readonly store: HistoryStore | undefined;
  /** Replays and holds live messages at the seam, as for a client's `subscribe`. */
  readonly recovery: Recovery;
  readonly logger: CaromLogger;
}

const NOTHING: ReadonlyMap<string, Position> = new Map();

/**
 * `connection.subscribeWithHistory`: a subscribe from server code (a `join`
 * handler) that replays history the way a client's `subscribe` with `resume`
 * or `recent` does, with the same seam (live messages held until the replay
 * is written) and the same report, returned rather than put in an ack.
 */
export class HistorySubscriber {
  constructor(private readonly parts: HistorySubscriberParts) {}

  /**
   * Subscribes the session to the exact name `event` and replays its history
   * as `options` ask; resolves with what became of it, or undefined when
   * nothing could be replayed to this connection (it did not negotiate the
   * `carom` subprotocol, which carries positions, or it closed meanwhile).
   * Throws a `UsageError` for a pattern, a malformed name or option, or an
   * undeclared event, before anything changes.
   */
  async subscribe(
    session: Session,
    event: string,
    options: HistorySubscribeOptions,
  ): Promise<WireRecovery | undefined> {
    const { requests, policies, store, recovery } = this.parts;
    const { since, recent } = checked(event, options, requests.limits.maxLength);
    const history = policies.of(event);
    if (session.peer.protocol !== 'carom') {
      requests.serverSubscribe(session, [event]);
      return undefined;
    }
    if (history === undefined || store === undefined) {
      requests.serverSubscribe(session, [event]);
      return since === undefined ? undefined : noHistory(since);
    }
    // Whether `since` can be resumed is read first: when it cannot, the newest
    // `recent` are replayed instead, in the same hold, so that the client reloads
    // without a live message slipping in between. A history that rolls over
    // between the two reads is reported GAP by the replay itself.
    let fallback: WireRecoveryReason | undefined;
    let ask: RecoveryAsk = { resume: NOTHING, recent: recent ?? 0 };
    if (since !== undefined) {
      try {
        const read = await store.read(event, history, since, 1);
        if (read.complete) ask = { resume: new Map([[event, since]]), recent: undefined };
        else fallback = read.epoch === since.epoch ? 'GAP' : 'EPOCH';
      } catch (err) {
        this.parts.logger.warn(`the history of '${event}' could not be read for a resume`, err);
        fallback = 'UNAVAILABLE';
      }
      if (!session.open) return undefined;
    }
    const plan = recovery.begin(session, ask, [event]);
    try {
      requests.serverSubscribe(session, [event]);
    } catch (err) {
      recovery.settle(session, plan);
      throw err;
    }
    const entry = (await recovery.finish(session, plan))[event];
    if (entry === undefined || fallback === undefined) return entry;
    return { ...entry, recovered: false, reason: entry.reason ?? fallback };
  }
}

function noHistory(since: Position): WireRecovery {
  return {
    recovered: false,
    epoch: since.epoch,
    offset: since.offset,
    replayed: 0,
    reason: 'NO_HISTORY',
  };
}

/** The options, checked: server code may pass on what a client sent. */
function checked(
  event: string,
  options: HistorySubscribeOptions,
  maxLength: number,
): HistorySubscribeOptions {
  const bad = (problem: string) =>
    appError('CAROM_ERR_BAD_SUBSCRIPTION', 'subscribe with history', problem);
  const problem = subscriptionNameProblem(event, maxLength);
  if (problem !== undefined) throw bad(problem);
  if (isPattern(event))
    throw bad(`history is replayed for an exact name, not the pattern '${event}'`);
  if (typeof options !== 'object' || options === null) throw bad('options must be an object');
  const { since, recent } = options;
  const recentBad = recentProblem(recent);
  if (recentBad !== undefined) throw bad(recentBad);
  if (since === undefined) return { recent };
  const sinceBad = positionProblem(since);
  if (sinceBad !== undefined) throw bad(`since${sinceBad}`);
  return { since: { epoch: since.epoch, offset: since.offset }, recent };
}
