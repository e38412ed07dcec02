/**
 * How carom/redis names a history's keys and reads its relay messages: the
 * keys land in the cluster slot of the topic's sharded channel whatever the
 * topic and the event hold (the script that writes them publishes on that
 * channel), slots are computed as Redis does, and a recorded message's body
 * reads back as written, anything else being refused, never thrown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeRecorded } from '../../src/redis/message.js';
import { RedisNames } from '../../src/redis/names.js';
import { hashPart, keySlot, tagOfSlot } from '../../src/redis/slot.js';

const text = fc.string({ unit: 'binary', maxLength: 30 });
const braces = fc.stringMatching(/^[{}a.*]{0,12}$/);

describe('carom/redis history keys on a cluster', () => {
  it('computes slots as Redis does (its documented values)', () => {
    // CRC16/XMODEM check value, and keys Redis's own CLUSTER KEYSLOT answers for.
    assert.equal(keySlot('123456789'), 0x31c3);
    assert.equal(keySlot('somekey'), 11058);
    assert.equal(keySlot('foo{hash_tag}'), 2515);
    assert.equal(keySlot('bar{hash_tag}'), 2515);
    assert.equal(hashPart('foo{}{bar}'), 'foo{}{bar}');
    assert.equal(hashPart('foo{{bar}}zap'), '{bar');
    assert.equal(hashPart('foo{bar}{zap}'), 'bar');
  });

  it('puts an event’s keys in the slot of its topic’s channel, whatever either holds (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(text, braces),
        fc.oneof(text, braces),
        fc.stringMatching(/^[a-z0-9]{1,8}$/),
        (topic, event, prefix) => {
          const names = new RedisNames(prefix);
          const channel = names.topic(topic);
          const tag = tagOfSlot(channel);
          assert.ok(!tag.includes('}') && tag !== '', tag);
          for (const key of [names.historyMeta(tag, event), names.historyLog(tag, event)])
            assert.equal(keySlot(key), keySlot(channel), `${key} / ${channel}`);
          assert.notEqual(names.historyMeta(tag, event), names.historyLog(tag, event));
        },
      ),
    );
  });

  it('keeps one identity’s request keys in one slot, and apart from every other identity’s (property)', () => {
    const key = fc.stringMatching(/^[A-Za-z0-9_-]{16,24}$/);
    fc.assert(
      fc.property(fc.oneof(text, braces), fc.oneof(text, braces), key, key, (i1, i2, k1, k2) => {
        const names = new RedisNames('carom');
        assert.equal(keySlot(names.once(i1, k1)), keySlot(names.onceKeys(i1)));
        assert.equal(keySlot(names.once(i1, k1)), keySlot(names.once(i1, k2)));
        if (i1 !== i2 || k1 !== k2) assert.notEqual(names.once(i1, k1), names.once(i2, k2));
        assert.equal(names.once(i1, k1), `${names.onceBase(i1)}${k1}`);
      }),
    );
  });
});

describe('a recorded publish between nodes', () => {
  it('reads back epoch, offset and text (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.string(),
        (epoch, offset, frame) => {
          assert.deepEqual(decodeRecorded(`${epoch} ${offset} ${frame}`), {
            epoch,
            offset,
            text: frame,
          });
        },
      ),
    );
  });

  it('refuses any other body without throwing', () => {
    const bad = [
      '',
      ' 1 x',
      'e',
      'e 1',
      'e x {}',
      'e 0 {}',
      'e -1 {}',
      'e 1.5 {}',
      'e 9007199254740993 {}',
      `${'e'.repeat(65)} 1 {}`,
    ];
    for (const body of bad) assert.equal(decodeRecorded(body), undefined, JSON.stringify(body));
    fc.assert(
      fc.property(fc.string(), (body) => {
        const read = decodeRecorded(body);
        if (read !== undefined) assert.ok(Number.isSafeInteger(read.offset) && read.offset >= 1);
      }),
    );
  });
});
