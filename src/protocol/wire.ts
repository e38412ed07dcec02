/**
 * The shapes of the wire, as types only: what a client sends and receives once
 * the JSON is parsed. The server's decoder, the client, the testing kit and the
 * tests all read envelopes through these, so the protocol is written down once
 * (docs/PROTOCOL.md says the same in prose). Nothing here exists at run time,
 * so the browser client can import it and stay one module.
 */

/** An envelope's request id: echoed on the `ack` or `error` that answers it. */
export type WireId = string | number;

/** One envelope as it travels, parsed from JSON. `timestamp` is always set by a server. */
export interface WireEnvelope<Data = unknown> {
  /** The event's name. */
  readonly event: string;
  /** The payload. */
  readonly data: Data;
  /** When it was sent, ISO 8601. */
  readonly timestamp: string;
  /** The request's id, on the `ack` or `error` that answers it. */
  readonly id?: WireId;
  /**
   * Extension, to clients of the `carom` subprotocol: on a published envelope of
   * a `latest` event, how many older values (of its key) were replaced before
   * it while the connection was backlogged. Absent when none were.
   */
  readonly skipped?: number;
  /**
   * Extension, to clients of the `carom` subprotocol: on a published envelope
   * of an event with a history, where it stands in that history.
   */
  readonly position?: WirePosition;
}

/** A place in an event's history: the history's epoch, and the message's offset in it. */
export interface WirePosition {
  /** The history's identity (1 to 64 characters); a new one means what came before is gone. */
  readonly epoch: string;
  /** 1 for the first message of the epoch, one more per publish of the event. */
  readonly offset: number;
}

/** Why a `resume` was not recovered in full. */
export type WireRecoveryReason = 'GAP' | 'EPOCH' | 'NO_HISTORY' | 'NOT_SUBSCRIBED' | 'UNAVAILABLE';

/** What a `subscribe` with `resume` or `recent` got of one event's history. */
export interface WireRecovery extends WirePosition {
  /** True when nothing after the position asked for is missing (always, for `recent`). */
  readonly recovered: boolean;
  /** Messages of the history written before the ack. */
  readonly replayed: number;
  /** Why it was not recovered; absent when it was. */
  readonly reason?: WireRecoveryReason;
}

/** The `data` of an `error` envelope. */
export interface WireErrorData<Details = unknown> {
  /** One of the protocol's error codes (`ErrorCode`), or an extension's. */
  readonly code: string;
  /** What went wrong and what to fix, for a person. */
  readonly message: string;
  /** The event of the envelope that failed, when it could be read. */
  readonly event?: string;
  /** More about the failure: the failed properties, the refused names. */
  readonly details?: Details;
  /**
   * The application's own code (`BID_TOO_LOW`), when a handler refused with
   * one: `code` is then `HANDLER_ERROR` (or the protocol code it chose).
   */
  readonly appCode?: string;
}

/** The `data` of the `ack` that answers `subscribe` or `unsubscribe`: what the connection holds now. */
export interface WireSubscriptionAck {
  /** Names and patterns (`*`, `prefix.*`) held, in the order they were first subscribed. */
  readonly events: readonly string[];
  /** Exclusions held, when there are any. */
  readonly excluded?: readonly string[];
  /**
   * Extension: per event named in the `subscribe`'s `resume` (and each exact
   * name given `recent`), what it got of the event's history. Present only
   * when `resume` or `recent` was asked.
   */
  readonly recovery?: Readonly<Record<string, WireRecovery>>;
}
