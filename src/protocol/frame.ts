/**
 * One outgoing text frame, serialized once. A publish to a thousand subscribers
 * hands the same Frame to every socket; the UTF-8 bytes are made on first use
 * and shared, so neither the JSON nor the encoding is repeated per subscriber.
 */
export class Frame {
  private encoded: Buffer | undefined;

  /** @param text - the frame's JSON text */
  constructor(readonly text: string) {}

  /** The frame's UTF-8 bytes, encoded once. */
  get bytes(): Buffer {
    return (this.encoded ??= Buffer.from(this.text, 'utf8'));
  }
}
