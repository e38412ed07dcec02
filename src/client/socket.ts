/**
 * The WebSocket the client drives: the shape it needs (the browser's and
 * `ws`'s both fit), where it comes from, and how the client lets go of one.
 */

/** `readyState` of an open WebSocket. */
export const OPEN = 1;

/** The parts of a WebSocket the client uses: the browser's, or `ws`'s. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** The subprotocol the server selected (`'carom'` from a carom server); absent means none. */
  readonly protocol?: string;
  /** Sends a text frame. */
  send(data: string): void;
  /** Closes the socket. */
  close(code?: number, reason?: string): void;
  /** Called once the socket is open. */
  onopen: ((event: unknown) => void) | null;
  /** Called with each frame received. */
  onmessage: ((event: { data: unknown }) => void) | null;
  /** Called once the socket is closed. */
  onclose: ((event: { code: number; reason: string }) => void) | null;
  /** Called when the socket fails. */
  onerror: ((event: unknown) => void) | null;
}

/**
 * A WebSocket constructor. The client calls it with the URL, the subprotocols
 * it offers, and `{ maxPayload }` (read by `ws`; a browser ignores it).
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { maxPayload?: number },
) => WebSocketLike;

/** The global WebSocket, else the `ws` package's (Node 20 has no global one). */
export async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  // A specifier in a variable: bundlers leave it alone, and a browser never gets here.
  const specifier = 'ws';
  const mod = (await import(specifier)) as { WebSocket: WebSocketConstructor };
  return mod.WebSocket;
}

/** True when `socket` can take a frame now. */
export function isOpen(socket: WebSocketLike | undefined): socket is WebSocketLike {
  return socket !== undefined && socket.readyState === OPEN;
}

/** Detaches the client's handlers from `socket` and closes it; its close event is not waited for. */
export function release(socket: WebSocketLike, code: number, reason: string): void {
  socket.onopen = null;
  socket.onclose = null;
  socket.onmessage = null;
  // onerror stays a no-op: `ws` throws on an 'error' event nobody listens to.
  try {
    socket.close(code, reason);
  } catch {
    // A socket still connecting may refuse a close code; it is being dropped anyway.
  }
}
