/**
 * Redis Cluster key slots (CRC16/XMODEM of the key's hash part, modulo 16384),
 * computed here so that a history's keys can be named into the slot of their
 * topic's sharded channel, whatever the topic's name holds.
 */

const SLOTS = 16_384;

/** CRC16/XMODEM (polynomial 0x1021), one entry per byte value. */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ b) & 0xff]!;
  return crc;
}

/**
 * What Redis hashes of a key or a shard channel: the text between its first
 * `{` and the next `}` when that is not empty (the hash tag), else all of it.
 */
export function hashPart(name: string): string {
  const open = name.indexOf('{');
  if (open < 0) return name;
  const close = name.indexOf('}', open + 1);
  return close > open + 1 ? name.slice(open + 1, close) : name;
}

/** The cluster slot of a key or shard channel, as Redis computes it. */
export function keySlot(name: string): number {
  return crc16(Buffer.from(hashPart(name), 'utf8')) % SLOTS;
}

/** One short tag per slot, found once when first needed (a few milliseconds). */
let tagsBySlot: string[] | undefined;

function slotTags(): string[] {
  if (tagsBySlot !== undefined) return tagsBySlot;
  const tags = new Array<string>(SLOTS);
  let found = 0;
  for (let n = 0; found < SLOTS; n++) {
    const tag = n.toString(36);
    const slot = keySlot(tag);
    if (tags[slot] === undefined) {
      tags[slot] = tag;
      found++;
    }
  }
  return (tagsBySlot = tags);
}

/**
 * A hash tag (the text to put between `{` and `}` in a key) that puts a key
 * in the slot of `channel`: the channel's own hash part when it can stand in
 * braces, else a short tag found for that slot (a name that holds `}`).
 */
export function tagOfSlot(channel: string): string {
  const part = hashPart(channel);
  if (part !== '' && !part.includes('}')) return part;
  return slotTags()[keySlot(channel)]!;
}
