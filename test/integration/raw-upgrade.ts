/**
 * Upgrade requests over a bare TCP socket, for what a `ws` client will not do:
 * hang up mid-handshake, send half a request, send a malformed one, or read the
 * exact HTTP answer of a refusal.
 */
import { connect, type Socket } from 'node:net';
import { within } from '../support/wait.js';

/** A valid `Sec-WebSocket-Key` (RFC 6455's sample). */
export const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** What the server answered on a raw socket, as text, split at the headers. */
export interface RawAnswer {
  /** The status code of the first line, 0 when there was none. */
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A raw upgrade request in flight. */
export interface RawUpgrade {
  readonly socket: Socket;
  /** Everything the server sent until now. */
  readonly received: () => string;
  /** Resolves once the server closed or reset the socket (or the test destroyed it). */
  readonly closed: Promise<void>;
  /** The answer, parsed, once the server ended the socket. */
  answer(ms?: number): Promise<RawAnswer>;
}

const opened = new Set<Socket>();

/** The request headers of a valid upgrade, to merge with a test's own. */
export function upgradeHeaders(port: number): Record<string, string> {
  return {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': SAMPLE_KEY,
    'Sec-WebSocket-Version': '13',
  };
}

/**
 * Opens a TCP connection and writes `request` as it is (a full upgrade request
 * unless the test wants otherwise). The socket is tracked for {@link destroyRaw}.
 */
export function rawSend(port: number, request: string): RawUpgrade {
  const socket = connect(port, '127.0.0.1');
  opened.add(socket);
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void closed.then(() => opened.delete(socket));
  socket.write(request);
  return {
    socket,
    received: () => text,
    closed,
    answer: async (ms?: number) => {
      await within(closed, 'waiting for the server to end the socket', ms);
      return parse(text);
    },
  };
}

/** A complete upgrade request to `path` with the valid headers plus `extra`. */
export function rawUpgrade(
  port: number,
  extra: Record<string, string> = {},
  path = '/ws',
  method = 'GET',
): RawUpgrade {
  const headers = { ...upgradeHeaders(port), ...extra };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return rawSend(port, `${method} ${path} HTTP/1.1\r\n${lines.join('')}\r\n`);
}

/** Parses an HTTP answer. */
export function parse(text: string): RawAnswer {
  const split = text.indexOf('\r\n\r\n');
  const head = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? '' : text.slice(split + 4);
  const [first = '', ...rest] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(first)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of rest) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body };
}

/** Destroys every raw socket still open (for afterEach). */
export function destroyRaw(): void {
  for (const socket of opened) socket.destroy();
  opened.clear();
}
