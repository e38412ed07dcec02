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
}
