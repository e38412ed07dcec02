/**
 * One outgoing text frame, serialized once. A publish to a thousand subscribers
 * hands the same Frame to every socket; the UTF-8 bytes and the WebSocket frame
 * around them are made on first use and shared, so neither the JSON, nor the
 * encoding, nor the framing is repeated per subscriber.
 */
export class Frame {
  private encoded: Buffer | undefined;
  private framed: readonly Buffer[] | undefined;

  /** @param text - the frame's JSON text */
  constructor(readonly text: string) {}

  /** The frame's UTF-8 bytes, encoded once. */
  get bytes(): Buffer {
    return (this.encoded ??= Buffer.from(this.text, 'utf8'));
  }

  /**
   * The frame as a server writes it on the wire, built once: an unmasked,
   * final text frame (RFC 6455 section 5.2), as its header followed by
   * {@link Frame.bytes} (the payload is not copied). Write the buffers in
   * order to a socket with no extension negotiated.
   */
  get wire(): readonly Buffer[] {
    if (this.framed === undefined) {
      const payload = this.bytes;
      const header = textFrameHeader(payload.length);
      this.framed = payload.length === 0 ? [header] : [header, payload];
    }
    return this.framed;
  }
}

/** FIN set, opcode 1 (text), no RSV bits: the first byte of every frame {@link Frame.wire} builds. */
const FIN_TEXT = 0x81;

/**
 * The header of an unmasked, final text frame whose payload is `length` bytes:
 * the length in 7 bits, or 126 and 16 bits, or 127 and 64 bits.
 */
export function textFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([FIN_TEXT, length]);
  if (length < 65_536) {
    const header = Buffer.allocUnsafe(4);
    header[0] = FIN_TEXT;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.allocUnsafe(10);
  header[0] = FIN_TEXT;
  header[1] = 127;
  // Payloads are far below 2^48 (maxPayload); the top two bytes are zero.
  header.writeUInt16BE(0, 2);
  header.writeUIntBE(length, 4, 6);
  return header;
}
