/**
 * `Frame.wire` is the frame a server writes, built once: byte for byte what
 * `ws` itself builds for an unmasked final text frame, at every payload length
 * class (7-bit, 16-bit, 64-bit lengths), with the payload shared, not copied.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as wsModule from 'ws';
import { Frame, textFrameHeader } from '../../src/protocol/frame.js';

/** `ws`'s frame builder: exported at run time, missing from its type declarations. */
const wsFrame = (
  wsModule as unknown as {
    Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] };
  }
).Sender.frame;

function wsTextFrame(payload: Buffer): Buffer {
  return Buffer.concat(
    wsFrame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }),
  );
}

test('the header matches ws at every length class and boundary', () => {
  for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 1_048_576]) {
    const payload = Buffer.alloc(length, 0x61);
    assert.deepEqual(
      Buffer.concat([textFrameHeader(length), payload]),
      wsTextFrame(payload),
      `length ${length}`,
    );
  }
});

test('Frame.wire is ws framing of the UTF-8 text, for any text', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
      const frame = new Frame(text);
      assert.deepEqual(Buffer.concat(frame.wire), wsTextFrame(Buffer.from(text, 'utf8')));
    }),
  );
});

test('Frame.wire is built once and shares the payload bytes', () => {
  const frame = new Frame('{"event":"tick","data":1}');
  const wire = frame.wire;
  assert.equal(frame.wire, wire, 'the same list on every use');
  assert.equal(wire.length, 2);
  assert.equal(wire[1], frame.bytes, 'the payload is the encoded bytes, not a copy');
  assert.deepEqual(new Frame('').wire, [Buffer.from([0x81, 0])], 'an empty payload: header only');
});
