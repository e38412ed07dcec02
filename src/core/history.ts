import type { Frame } from '../protocol/frame.js';
import type { RelayScope } from './broker.js';

/**
 * Where a message stands in its event's history: the history's `epoch` (it
 * changes when the history is lost, as when an in-memory history restarts)
 * and an `offset` that grows by one per publish of the event.
 */
export interface Position {
  /** The history's identity; a new one means what came before is gone. */
  readonly epoch: string;
  /** 1 for the event's first message in this epoch, then one more per publish. */
  readonly offset: number;
}

/** How much of an event's past is kept for clients that come back; declared with its topic. */
export interface HistoryOptions {
  /** Messages kept per event, newest first out last (1 to 100,000). */
  readonly size: number;
  /** How long a message is kept, in milliseconds; unset, it stays until `size` pushes it out. */
  readonly ttlMs?: number;
}

/** One message a history holds: its offset and the frame as it was published, without its position. */
export interface HistoryEntry {
  /** The message's offset in the history's epoch. */
  readonly offset: number;
  /** The published envelope's text, as plain clients received it. */
  readonly text: string;
  /**
   * The scope it was published with, when it had one (`topics`, `except`): a
   * replay gives it only to a connection the publish would have reached, so
   * that a message scoped to some topics' subscribers never reaches others
   * through the event's history.
   */
  readonly scope?: RelayScope | undefined;
  /**
   * The message with its position, as carom-subprotocol clients receive it,
   * when the store keeps one to share between replays (the memory store
   * does); otherwise each replay builds it from `text`.
   */
  readonly frame?: Frame | undefined;
}

/** What a history holds after a position. */
export interface HistoryRead {
  /** The history's epoch now. */
  readonly epoch: string;
  /** The newest offset now (0 when nothing was ever published in this epoch). */
  readonly offset: number;
  /** Messages after the position asked for, oldest first, at most the limit asked for. */
  readonly entries: readonly HistoryEntry[];
  /**
   * True when `entries` continue the position asked for with nothing missing:
   * same epoch, and the first entry's offset is one past it (or nothing was
   * published since). False when the epoch changed or the history no longer
   * holds what followed it (rolled over or expired).
   */
  readonly complete: boolean;
}

/**
 * Where histories are kept, and who puts a published message in order: a
 * message of an event with a history reaches every node's subscribers through
 * {@link HistoryNode.deliverRecorded}, in the order of its offsets, on every
 * node including the one that published it. Kept in memory for a lone node;
 * `carom/redis` keeps it in Redis Streams, so any node can serve a client
 * whose first node died.
 */
export interface HistoryStore {
  /**
   * Records a publish of `event` and has it delivered, with its position, on
   * every node. Never throws and never makes the caller wait for the network;
   * a message that cannot be recorded is counted as lost and logged.
   */
  publish(
    event: string,
    frame: Frame,
    history: HistoryOptions,
    scope: RelayScope | undefined,
  ): void;
  /**
   * What the history of `event` holds after `since`, oldest first, at most
   * `limit` messages; with `since` undefined, its newest `limit` messages (a
   * first subscribe asking for the recent past). Resolves only once this
   * node has been handed ({@link HistoryNode.deliverRecorded}) every message
   * up to the offset it reports, so that none of them arrives live after the
   * replay. Rejects only when the store cannot be reached.
   */
  read(
    event: string,
    history: HistoryOptions,
    since: Position | undefined,
    limit: number,
  ): Promise<HistoryRead>;
}

/** The app as a history store sees it: where recorded messages go on this node. */
export interface HistoryNode {
  /**
   * A message of an event with a history, in offset order: written to this
   * node's subscribers of `event` (or to the scope's), with its position for
   * clients that speak the carom subprotocol. Returns how many received it.
   */
  deliverRecorded(
    event: string,
    frame: Frame,
    position: Position,
    scope: RelayScope | undefined,
  ): number;
}
