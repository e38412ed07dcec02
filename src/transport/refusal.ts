import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Every way carom refuses an upgrade request before a WebSocket exists, with the
 * HTTP status it answers and the text of the body. One table, so that a status
 * and its wording are written once.
 */
export const HANDSHAKE_REFUSALS = {
  notFound: { status: 404, text: 'no WebSocket is served on this path' },
  badAddress: { status: 400, text: 'the client address could not be read' },
  earlyData: { status: 400, text: 'data sent before the handshake was answered' },
  origin: { status: 403, text: 'this origin may not open a WebSocket here' },
  maxConnectionsPerAddress: { status: 429, text: 'too many connections from this address' },
  maxConnections: { status: 503, text: 'too many connections; try again later' },
  timeout: { status: 503, text: 'the handshake took too long' },
  shuttingDown: { status: 503, text: 'the server is shutting down' },
} as const;

/** A key of {@link HANDSHAKE_REFUSALS}. */
export type HandshakeRefusal = keyof typeof HANDSHAKE_REFUSALS;

/** How long a refused socket may take to flush its answer before it is destroyed anyway. */
const LINGER_MS = 2000;

const destroy = function (this: Duplex): void {
  this.destroy();
};

/**
 * Answers an upgrade request with HTTP `status` (`Connection: close`, `text` as a
 * one-line plain-text body; by default the status's own phrase) and releases its
 * socket once the answer is written. The one place carom writes HTTP by hand.
 * Safe on a socket the client already closed or reset: nothing it does can
 * throw or emit an unhandled `error`.
 */
export function abortHandshake(
  socket: Duplex,
  status: number,
  text: string = STATUS_CODES[status] ?? 'Error',
): void {
  // A write to a socket the client reset fails with EPIPE or ECONNRESET, as an event.
  socket.on('error', destroy);
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${text}\n`;
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
  // `end` leaves the socket half-open until the client closes its side; a refused
  // client gets no more than the answer.
  socket.once('finish', destroy);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}
