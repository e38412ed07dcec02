import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TurnCorks, type TurnCorked } from '../../src/transport/turn-corks.js';

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

class Corked implements TurnCorked {
  ended = 0;
  constructor(private readonly onEnd?: () => void) {}
  endTurn(): void {
    this.ended++;
    this.onEnd?.();
  }
}

test('sockets corked in one turn are uncorked together, once each, after the turn', async () => {
  const corks = new TurnCorks();
  const sockets = [new Corked(), new Corked(), new Corked()];
  for (const s of sockets) corks.add(s);
  assert.deepEqual(
    sockets.map((s) => s.ended),
    [0, 0, 0],
  );
  await nextTick();
  assert.deepEqual(
    sockets.map((s) => s.ended),
    [1, 1, 1],
  );
  await nextTick();
  assert.deepEqual(
    sockets.map((s) => s.ended),
    [1, 1, 1],
  );
});

test('one tick is queued per turn, however many sockets are corked', () => {
  const corks = new TurnCorks();
  const original = process.nextTick;
  let queued = 0;
  process.nextTick = ((fn: () => void, ...args: unknown[]) => {
    queued++;
    original(fn, ...args);
  }) as typeof process.nextTick;
  try {
    for (let i = 0; i < 1000; i++) corks.add(new Corked());
  } finally {
    process.nextTick = original;
  }
  assert.equal(queued, 1);
});

test('a socket corked while the others uncork is uncorked too, once', async () => {
  const corks = new TurnCorks();
  const late = new Corked();
  const first = new Corked(() => {
    if (first.ended === 1) corks.add(late);
  });
  corks.add(first);
  await nextTick();
  await nextTick();
  assert.equal(first.ended, 1);
  assert.equal(late.ended, 1);
});
