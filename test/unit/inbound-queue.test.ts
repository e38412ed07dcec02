import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InboundEnvelope } from '../../src/protocol/envelope.js';
import { InboundQueue, type InboundRunner } from '../../src/core/inbound-queue.js';

/** An envelope whose event says how the runner treats it. */
function envelope(event: string): InboundEnvelope {
  return { event, data: {}, timestamp: undefined, id: undefined };
}

/**
 * Runs envelopes as their event says: `sync.*` finish at once, `async.*` stay
 * in flight until the test calls `queue.done()`, `inline.*` call `done()`
 * themselves before returning false (as a path that settled at once does).
 */
class Runner implements InboundRunner<string> {
  readonly started: string[] = [];
  inFlight = 0;
  mostInFlight = 0;
  queue!: InboundQueue<string>;

  run(owner: string, env: InboundEnvelope): boolean {
    assert.equal(owner, 'owner');
    this.started.push(env.event);
    if (env.event.startsWith('sync.')) return true;
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    if (env.event.startsWith('inline.')) this.finish();
    return false;
  }

  /** Ends one run still in flight. */
  finish(): void {
    this.inFlight--;
    this.queue.done();
  }
}

function make(maxInFlight = 1, maxQueued = 100): { queue: InboundQueue<string>; runner: Runner } {
  const runner = new Runner();
  const queue = new InboundQueue('owner', runner, { maxInFlight, maxQueued });
  runner.queue = queue;
  return { queue, runner };
}

describe('InboundQueue', () => {
  it('starts nothing before open(), then everything that waited, in arrival order', () => {
    const { queue, runner } = make(3);
    for (const e of ['sync.a', 'sync.b', 'sync.c', 'sync.d'])
      assert.equal(queue.add(envelope(e)), true);
    assert.deepEqual(runner.started, []);
    assert.equal(queue.pending, 4);
    queue.open();
    assert.deepEqual(runner.started, ['sync.a', 'sync.b', 'sync.c', 'sync.d']);
    assert.equal(queue.pending, 0);
  });

  it('runs an envelope at once when the connection is open and idle', () => {
    const { queue, runner } = make();
    queue.open();
    queue.add(envelope('sync.a'));
    assert.deepEqual(runner.started, ['sync.a']);
    queue.add(envelope('sync.b'));
    assert.deepEqual(runner.started, ['sync.a', 'sync.b']);
    assert.equal(queue.pending, 0);
  });

  it('with maxInFlight 1, a run in flight holds back the next until done()', () => {
    const { queue, runner } = make();
    queue.open();
    queue.add(envelope('async.a'));
    queue.add(envelope('sync.b'));
    queue.add(envelope('async.c'));
    assert.deepEqual(runner.started, ['async.a']);
    assert.equal(queue.pending, 3);
    runner.finish();
    assert.deepEqual(runner.started, ['async.a', 'sync.b', 'async.c']);
    assert.equal(queue.pending, 1);
    runner.finish();
    assert.equal(queue.pending, 0);
  });

  it('never has more than maxInFlight runs at once, and starts them in order', () => {
    const { queue, runner } = make(3);
    queue.open();
    const events = Array.from({ length: 10 }, (_, i) => `async.${i}`);
    for (const e of events) queue.add(envelope(e));
    assert.equal(runner.started.length, 3);
    while (runner.inFlight > 0) runner.finish();
    assert.equal(runner.mostInFlight, 3);
    assert.deepEqual(runner.started, events);
    assert.equal(queue.pending, 0);
  });

  it('counts a run that called done() before returning false once', () => {
    const { queue, runner } = make();
    queue.open();
    queue.add(envelope('inline.a'));
    queue.add(envelope('async.b'));
    assert.deepEqual(runner.started, ['inline.a', 'async.b']);
    assert.equal(queue.pending, 1);
  });

  it('refuses an envelope past maxQueued waiting; those in flight do not count', () => {
    const { queue, runner } = make(1, 2);
    queue.open();
    assert.equal(queue.add(envelope('async.a')), true);
    assert.equal(queue.add(envelope('async.b')), true);
    assert.equal(queue.add(envelope('async.c')), true);
    assert.equal(queue.add(envelope('async.d')), false);
    assert.equal(queue.pending, 3);
    runner.finish();
    assert.equal(queue.add(envelope('async.e')), true);
    assert.deepEqual(runner.started, ['async.a', 'async.b']);
  });

  it('takeWaiting hands back what waits, in order, and leaves what is in flight', () => {
    const { queue, runner } = make();
    queue.open();
    for (const e of ['async.a', 'async.b', 'async.c']) queue.add(envelope(e));
    assert.deepEqual(
      queue.takeWaiting().map((e) => e.event),
      ['async.b', 'async.c'],
    );
    assert.equal(queue.pending, 1);
    runner.finish();
    assert.deepEqual(runner.started, ['async.a']);
  });

  it('drain calls back once, when the last run is done', () => {
    const { queue, runner } = make();
    queue.open();
    queue.add(envelope('async.a'));
    queue.add(envelope('async.b'));
    let idle = 0;
    queue.drain(() => idle++);
    assert.equal(queue.draining, true);
    runner.finish();
    assert.equal(idle, 0, 'b is still in flight');
    runner.finish();
    assert.equal(idle, 1);
    queue.close();
    assert.equal(idle, 1, 'closing after the drain ended does not call back again');
  });

  it('drain calls back at once when nothing waits or runs, also before open()', () => {
    const idle: string[] = [];
    const open = make();
    open.queue.open();
    open.queue.drain(() => idle.push('open'));
    const hooked = make();
    hooked.queue.drain(() => idle.push('before open'));
    assert.deepEqual(idle, ['open', 'before open']);
  });

  it('a sync run that ends the last work of a drain calls back', () => {
    const { queue, runner } = make();
    queue.add(envelope('sync.a'));
    let idle = 0;
    queue.drain(() => idle++);
    assert.equal(idle, 0, 'a still waits for open()');
    queue.open();
    assert.deepEqual(runner.started, ['sync.a']);
    assert.equal(idle, 1);
  });

  it('close drops what waits, starts nothing more, and releases a drain once', () => {
    const { queue, runner } = make();
    queue.open();
    for (const e of ['async.a', 'async.b', 'async.c']) queue.add(envelope(e));
    let idle = 0;
    queue.drain(() => idle++);
    queue.close();
    assert.equal(idle, 1);
    runner.finish();
    assert.deepEqual(runner.started, ['async.a'], 'nothing starts after close');
    assert.equal(queue.pending, 0);
    assert.equal(idle, 1);
  });
});
