/** The client's life as its users see it: the states and why a connection ended. */

/** Where the client is in its life. */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why the client closed or is reconnecting. */
export interface CloseInfo {
  /** The close code. */
  readonly code: number;
  /** The close frame's reason. */
  readonly reason: string;
  /** True when the client will try again. */
  readonly willReconnect: boolean;
  /** The HTTP status of a refused upgrade, where the WebSocket shows it (Node's `ws`). */
  readonly status?: number;
}
