/**
 * The frames the hostile clients send, built once. Each says what a server
 * that follows the protocol answers.
 */
import { ECHO } from './protocol.js';

/**
 * An array nested 12,000 deep inside `data`, first, then a string with a `\u`
 * escape and the word `constructor` (a value, not a key, so that a walk looking
 * for prototype keys finds none before the array): about 24 KB. A recursive
 * walk over it overflows the stack.
 */
export function deepFrame(depth = 12_000): string {
  return (
    `{"event":"${ECHO}","id":1,"data":{"deep":` +
    '['.repeat(depth) +
    ']'.repeat(depth) +
    ',"note":"\\u0041 constructor"}}'
  );
}

/** A text frame one byte over `maxPayload` (closed with 1009). */
export function oversizeFrame(maxPayload: number): string {
  const head = `{"event":"${ECHO}","data":"`;
  const tail = '"}';
  return head + 'x'.repeat(maxPayload + 1 - head.length - tail.length) + tail;
}

/**
 * Frames that are not envelopes, or not valid ones: each is answered with an
 * `error` (or, for the few that are valid, an `ack`), the connection left open.
 * Binary frames are Buffers.
 */
export function garbageFrames(maxEventLength: number): Array<string | Buffer> {
  return [
    'not json {',
    '',
    Buffer.from([0, 1, 2, 0xff, 0xfe]),
    '[1,2,3]',
    'null',
    '"just a string"',
    '12345',
    '{"event":42}',
    '{"event":""}',
    `{"event":"${'x'.repeat(maxEventLength + 1)}"}`,
    '{"event":"bad\\u0000name"}',
    `{"event":"${ECHO}","id":{"not":"an id"}}`,
    `{"event":"${ECHO}","id":"${'i'.repeat(65)}"}`,
    `{"event":"${ECHO}","timestamp":"yesterday","id":2}`,
    '{"event":"no.such.handler","id":3}',
    `{"event":"${ECHO}","id":4,"data":"\\ud800 lone surrogate"}`,
    `{"event":"${ECHO}","id":5,"data":1e999999}`,
    `{"__proto__":{"polluted":true},"event":"${ECHO}","id":6}`,
    `{"event":"subscribe","id":7,"data":{"events":"not a list"}}`,
    `{"event":"unsubscribe","id":8,"data":{"events":["${'y'.repeat(maxEventLength + 1)}"]}}`,
    `{"event":"ack","id":9}`,
  ];
}

/** A text frame whose bytes are not UTF-8 (closed with 1007). */
export const INVALID_UTF8 = Buffer.from([0x7b, 0xc3, 0x28, 0x7d]);

/** A `subscribe` of `count` names: prefix patterns nobody declared, or undeclared exact names. */
export function subscribeFrame(id: number, names: readonly string[]): string {
  return JSON.stringify({ event: 'subscribe', id, data: { events: names } });
}

/** The start of an upgrade request, never finished. */
export function partialUpgrade(port: number): string {
  return (
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n'
  );
}
