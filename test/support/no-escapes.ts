/**
 * For a test file: collect whatever reaches `uncaughtException` or
 * `unhandledRejection` while its tests run, and fail in an `after` hook when
 * anything did. The strict runner fails the run as well; this says which file.
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { settle } from '../../src/testing/index.js';

export function failOnEscapes(): void {
  const escaped: unknown[] = [];
  const record = (err: unknown): void => void escaped.push(err);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  after(async () => {
    // An unhandled rejection is reported a turn after it happens.
    await settle(5);
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
    assert.deepEqual(escaped, [], 'something reached uncaughtException or unhandledRejection');
  });
}
