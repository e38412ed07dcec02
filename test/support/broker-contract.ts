/**
 * The broker seam's contract: what every broker must do for the nodes of one
 * application to behave as one server. `brokerContract` runs it against a way
 * of starting nodes; the in-memory hub and the Redis broker both pass it.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Carom, Sender, TimedSender, Topic, type Broker } from '../../src/index.js';
import { createTestApp, type TestApp, type TestAppOptions } from '../../src/testing/index.js';
import { eventually } from './wait.js';

/** Nodes of one application, started on demand; `close` ends every one of them. */
export interface NodeSet {
  /** A broker for one more node. */
  broker(nodeId: string): Broker;
  /** Ends whatever the set started beside the apps (servers, connections). */
  close(): Promise<void>;
}

@Topic('news')
export class NewsSender extends Sender<{ n: number }> {}

/** The options every node of the contract's application shares. */
export const NODE_OPTIONS: TestAppOptions = {
  senders: [NewsSender],
  topics: ['room.*'],
  heartbeatMs: 0,
  logLevel: 'fatal',
};

/**
 * Runs the contract against `make`, which prepares a fresh set of nodes for
 * each test.
 */
export function brokerContract(name: string, make: () => Promise<NodeSet>): void {
  describe(`broker contract: ${name}`, () => {
    const { node, apps, stop } = nodesPerTest(make, () => NODE_OPTIONS);

    it('gives connections ids unique across nodes, each naming its node', async () => {
      const a = await node('a');
      const b = await node('b');
      const ids = [];
      for (const t of [a, a, b, b]) ids.push((await t.connect()).connection!.id);
      assert.equal(new Set(ids).size, 4);
      assert.ok(ids[0]!.startsWith('a:') && ids[2]!.startsWith('b:'), ids.join(' '));
    });

    it('delivers a publish to the subscribers of every node once each, the publisher included', async () => {
      const a = await node('a');
      const b = await node('b');
      const onA = await a.connect();
      const onB = await b.connect();
      const wildB = await b.connect();
      await onA.subscribe('news');
      await onB.subscribe('news');
      await wildB.subscribe('*', 'news');
      const sent = a.app.get(NewsSender).send({ n: 1 });
      assert.equal(await sent, 1, "send counts the publishing node's recipients");
      await eventually(
        () => onB.dataOf('news').length === 1 && wildB.dataOf('news').length === 1,
        'the publish reaches node b',
      );
      b.app.publish('news', { n: 2 });
      await eventually(() => onA.dataOf('news').length === 2, 'a publish from b reaches a');
      await eventually(() => onB.dataOf('news').length === 2, 'and b itself');
      // Anything still on its way would be a duplicate: let it arrive, then count.
      await settle(apps());
      assert.deepEqual(onA.dataOf('news'), [{ n: 1 }, { n: 2 }]);
      assert.deepEqual(onB.dataOf('news'), [{ n: 1 }, { n: 2 }]);
      assert.deepEqual(wildB.dataOf('news'), [{ n: 1 }, { n: 2 }]);
    });

    it('keeps the order of one node’s publishes, for a burst, with nothing lost or doubled', async () => {
      const a = await node('a');
      const b = await node('b');
      const far = await b.connect();
      await far.subscribe('news', 'room.*');
      const count = 2000;
      for (let n = 0; n < count; n++) {
        if (n % 2 === 0) a.app.publish('news', { n });
        else a.app.publish(`room.${n % 7}`, { n });
      }
      await eventually(
        () => far.received.filter((e) => e.event !== 'ack').length >= count,
        `all ${count} publishes reach node b`,
        15_000,
      );
      await settle(apps());
      const got = far.received.filter((e) => e.event !== 'ack').map((e) => e.data.n as number);
      assert.equal(got.length, count, 'each once');
      const news = got.filter((n) => n % 2 === 0);
      assert.deepEqual(
        news,
        [...news].sort((x, y) => x - y),
        'one topic in publish order',
      );
      for (let room = 0; room < 7; room++) {
        const of = far.received.filter((e) => e.event === `room.${room}`).map((e) => e.data.n);
        assert.deepEqual(
          of,
          [...of].sort((x, y) => x - y),
          `room.${room} in publish order`,
        );
      }
    });

    it('relays a scoped publish: several topics reach each subscriber once, never the excepted connection', async () => {
      const a = await node('a');
      const b = await node('b');
      const both = await b.connect();
      await both.subscribe('room.x', 'room.y');
      const onlyY = await b.connect();
      await onlyY.subscribe('room.y');
      const author = await b.connect();
      await author.subscribe('room.x', 'room.y');
      const local = await a.connect();
      await local.subscribe('room.*');
      const except = author.connection!.id;
      const here = a.app.publish('news', { n: 1 }, { topics: ['room.x', 'room.y'], except });
      assert.equal(here, 1, "the publishing node's own recipient, once");
      b.app.publish('room.x', { n: 2 }, { except });
      await eventually(
        () =>
          both.dataOf('news').length === 1 &&
          onlyY.dataOf('news').length === 1 &&
          local.dataOf('room.x').length === 1,
        'the scoped publishes reach every node',
      );
      await settle(apps());
      assert.deepEqual(both.dataOf('news'), [{ n: 1 }], 'subscribed to both topics, one copy');
      assert.deepEqual(onlyY.dataOf('news'), [{ n: 1 }]);
      assert.deepEqual(local.dataOf('news'), [{ n: 1 }]);
      assert.deepEqual(both.dataOf('room.x'), [{ n: 2 }]);
      assert.deepEqual(author.dataOf('news'), [], 'the excepted connection, on another node');
      assert.deepEqual(author.dataOf('room.x'), [], 'and on its own node');
    });

    it('sends, subscribes, unsubscribes and closes a connection of another node by its id', async () => {
      const a = await node('a');
      const b = await node('b');
      const far = await b.connect();
      const id = far.connection!.id;
      a.app.to(id).send('hello', { from: 'a' });
      await eventually(() => far.dataOf('hello').length === 1, 'a send by id reaches node b');
      assert.deepEqual(far.dataOf('hello'), [{ from: 'a' }]);

      a.app.to(id).subscribe('room.lobby');
      await eventually(
        () => far.connection!.subscriptions.includes('room.lobby'),
        'a subscribe by id takes effect on node b',
      );
      a.app.publish('room.lobby', { n: 1 });
      await eventually(() => far.dataOf('room.lobby').length === 1, 'and the room reaches it');

      a.app.to(id).unsubscribe('room.lobby');
      await eventually(
        () => !far.connection!.subscriptions.includes('room.lobby'),
        'an unsubscribe by id takes effect',
      );

      a.app.get(NewsSender).sendTo(id, { n: 7 });
      await eventually(() => far.dataOf('news').length === 1, 'sendTo by id reaches node b');

      a.app.to(id).close(4001, 'bye');
      await eventually(() => far.closed, 'a close by id closes it on node b');
      assert.equal(far.closeCode, 4001);
    });

    it('shares channels: created on one node, known, announced and deleted on the others', async () => {
      const a = await node('a');
      const b = await node('b');
      const watcher = await b.connect();
      a.app.channels.create('news.flash');
      await eventually(() => b.app.channels.has('news.flash'), 'node b knows the channel');
      await eventually(
        () => watcher.dataOf('carom.channel.created').length === 1,
        'node b announces it to its connections',
      );
      await watcher.subscribe('news.flash');
      a.app.publish('news.flash', { n: 1 });
      await eventually(() => watcher.dataOf('news.flash').length === 1, 'it carries publishes');

      const late = await node('c');
      await eventually(() => late.app.channels.has('news.flash'), 'a node that starts later');

      a.app.channels.delete('news.flash');
      await eventually(
        () => !b.app.channels.has('news.flash') && !late.app.channels.has('news.flash'),
        'the deletion reaches every node',
      );
      await eventually(
        () => !watcher.connection!.subscriptions.includes('news.flash'),
        'and unsubscribes its subscribers there',
      );
    });

    it('counts what it relays and receives, and a command for no node as lost', async () => {
      const a = await node('a');
      const b = await node('b');
      const far = await b.connect();
      await far.subscribe('news');
      a.app.publish('news', { n: 1 });
      await eventually(() => far.dataOf('news').length === 1, 'the publish arrives');
      assert.ok(a.app.brokerStats().relayed >= 1);
      assert.ok(b.app.brokerStats().received >= 1);
      const before = a.app.brokerStats().lost;
      a.app.to('nowhere:c1').send('hello', {});
      await eventually(() => a.app.brokerStats().lost > before, 'the lost command is counted');
    });

    it('stops relaying to a node that closed, and the others go on', async () => {
      const a = await node('a');
      const b = await node('b');
      const c = await node('c');
      const onC = await c.connect();
      await onC.subscribe('news');
      const onB = await b.connect();
      await onB.subscribe('news');
      await stop(b);
      a.app.publish('news', { n: 1 });
      await eventually(() => onC.dataOf('news').length === 1, 'node c still hears node a');
      assert.equal(onB.dataOf('news').length, 0);
    });
  });
}

/**
 * The nodes of one test: `node(id)` starts one with `optionsFor(id)` and the set's
 * broker, `stop(t)` closes one before the end, and every node left is closed
 * after each test, then the set.
 */
function nodesPerTest(
  make: () => Promise<NodeSet>,
  optionsFor: (nodeId: string) => TestAppOptions,
): {
  node(nodeId: string): Promise<TestApp>;
  apps(): readonly TestApp[];
  stop(t: TestApp): Promise<void>;
} {
  let set: NodeSet;
  let started: TestApp[] = [];
  beforeEach(async () => {
    set = await make();
    started = [];
  });
  afterEach(async () => {
    for (const t of started) await t.close();
    await set.close();
  });
  return {
    async node(nodeId) {
      const t = await createTestApp({ ...optionsFor(nodeId), broker: set.broker(nodeId) });
      started.push(t);
      return t;
    },
    apps: () => started,
    async stop(t) {
      await t.close();
      started.splice(started.indexOf(t), 1);
    },
  };
}

/** Lets whatever is still on its way arrive: a few polls of every app's broker counters. */
export async function settle(apps: readonly TestApp[]): Promise<void> {
  let last = -1;
  for (let round = 0; round < 50; round++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
    let received = 0;
    for (const t of apps) received += t.app.brokerStats().received;
    if (received === last) return;
    last = received;
  }
}

/**
 * The presence part of the contract, for brokers that keep presence
 * (`broker.presence`): who holds an exact subscription to a tracked topic, on
 * every node, with notices, and no ghost of a node that stopped.
 */
export function presenceContract(name: string, make: () => Promise<NodeSet>): void {
  describe(`presence contract: ${name}`, () => {
    const { node, stop } = nodesPerTest(make, () => ({
      ...NODE_OPTIONS,
      presence: ['room.*'],
      presenceNotices: true,
    }));

    const ids = (entries: readonly { connectionId: string }[]): string[] =>
      entries.map((e) => e.connectionId).sort();
    const ignore = (): void => undefined;

    it('lists the exact subscribers of a topic on every node, with their users', async () => {
      const a = await node('a');
      const b = await node('b');
      const alice = await a.connect({ user: { name: 'alice' } });
      const bob = await b.connect({ user: { name: 'bob' } });
      const watcher = await b.connect({ user: { name: 'watcher' } });
      await alice.subscribe('room.lobby');
      await bob.subscribe('room.lobby', 'room.attic');
      await watcher.subscribe('room.*');
      const expected = [alice.connection!.id, bob.connection!.id].sort();
      let seen: string[] = [];
      await eventually(() => {
        // A poll may still be in flight when the test ends and its apps close: it may then reject.
        void a.app.presence('room.lobby').then((e) => (seen = ids(e)), ignore);
        return seen.join() === expected.join();
      }, 'both nodes see alice and bob in the lobby');
      const entries = await b.app.presence('room.lobby');
      assert.deepEqual(ids(entries), expected, 'a pattern subscriber is not present');
      const bobEntry = entries.find((e) => e.connectionId === bob.connection!.id)!;
      assert.deepEqual(bobEntry.user, { name: 'bob' });
      assert.equal(bobEntry.node, 'b');
      assert.deepEqual(ids(await a.app.presence('room.attic')), [bob.connection!.id]);
    });

    it('drops an entry on unsubscribe and on close, and announces joins and leaves', async () => {
      const a = await node('a');
      const b = await node('b');
      const watcher = await b.connect();
      await watcher.subscribe('room.lobby');
      const alice = await a.connect({ user: { name: 'alice' } });
      await alice.subscribe('room.lobby');
      await eventually(
        () =>
          watcher
            .dataOf('carom.presence')
            .some((d) => d.joined?.connectionId === alice.connection!.id),
        'the join is announced on node b',
      );
      const joined = watcher
        .dataOf('carom.presence')
        .find((d) => d.joined?.connectionId === alice.connection!.id);
      assert.deepEqual(joined, {
        topic: 'room.lobby',
        joined: { connectionId: alice.connection!.id, node: 'a', user: { name: 'alice' } },
      });
      await alice.unsubscribe('room.lobby');
      await eventually(
        () =>
          watcher
            .dataOf('carom.presence')
            .some((d) => d.left?.connectionId === alice.connection!.id),
        'the leave is announced',
      );
      assert.deepEqual(ids(await b.app.presence('room.lobby')), [watcher.connection!.id]);
      const bob = await a.connect();
      await bob.subscribe('room.lobby');
      bob.close();
      await a.idle();
      assert.deepEqual(ids(await a.app.presence('room.lobby')), [watcher.connection!.id]);
    });

    it('forgets every entry of a node that stopped', async () => {
      const a = await node('a');
      const b = await node('b');
      const onA = await a.connect();
      await onA.subscribe('room.lobby');
      const onB = await b.connect();
      await onB.subscribe('room.lobby');
      await stop(a);
      let seen: string[] = [];
      await eventually(() => {
        // A poll may still be in flight when the test ends and its apps close: it may then reject.
        void b.app.presence('room.lobby').then((e) => (seen = ids(e)), ignore);
        return seen.join() === onB.connection!.id;
      }, 'only node b’s connection is left');
    });
  });
}

@Topic('clock.cluster', { everyMs: 1000, onOneNode: true })
export class ClusterClock extends TimedSender<{ node: string }> {
  constructor(private readonly app: Carom) {
    super();
  }

  override createMessageData(): { node: string } {
    return { node: this.app.get(NodeName).name };
  }
}

@Topic('clock.node', { everyMs: 1000 })
export class NodeClock extends TimedSender<{ node: string }> {
  constructor(private readonly app: Carom) {
    super();
  }

  override createMessageData(): { node: string } {
    return { node: this.app.get(NodeName).name };
  }
}

/** Which node an app is, for the clocks' data. */
export class NodeName {
  constructor(readonly name: string) {}
}

/**
 * The lease part of the contract, for brokers that keep leases
 * (`broker.leases`): a `TimedSender` declared `onOneNode` ticks on one node at
 * a time for everyone, and another node takes over when its holder stops; one
 * that runs on every node serves that node's subscribers only.
 */
export function leaseContract(name: string, make: () => Promise<NodeSet>): void {
  describe(`lease contract: ${name}`, () => {
    const { node, apps, stop } = nodesPerTest(make, (nodeId) => ({
      ...NODE_OPTIONS,
      senders: [ClusterClock, NodeClock],
      providers: [{ provide: NodeName, useValue: new NodeName(nodeId) }],
    }));

    it('ticks a cluster-wide timed sender on one node, for the subscribers of all', async () => {
      const a = await node('a');
      const b = await node('b');
      const onA = await a.connect();
      const onB = await b.connect();
      await onA.subscribe('clock.cluster');
      await onB.subscribe('clock.cluster');
      await a.clock.advance(1000);
      await eventually(() => onB.dataOf('clock.cluster').length === 1, 'node a’s tick reaches b');
      await b.clock.advance(1000);
      await a.clock.advance(1000);
      await eventually(() => onB.dataOf('clock.cluster').length === 2, 'the second tick');
      await settle(apps());
      assert.deepEqual(onA.dataOf('clock.cluster'), [{ node: 'a' }, { node: 'a' }]);
      assert.deepEqual(onB.dataOf('clock.cluster'), [{ node: 'a' }, { node: 'a' }]);
    });

    it('moves the cluster-wide timed sender to another node when its holder stops', async () => {
      const a = await node('a');
      const b = await node('b');
      const onB = await b.connect();
      await onB.subscribe('clock.cluster');
      await a.clock.advance(1000);
      await eventually(() => onB.dataOf('clock.cluster').length === 1, 'a holds the lease');
      await stop(a);
      const tookOver = () => onB.dataOf('clock.cluster').some((d) => d.node === 'b');
      for (let tick = 0; tick < 10 && !tookOver(); tick++) {
        await b.clock.advance(1000);
        await settle(apps());
      }
      assert.ok(tookOver(), 'node b takes over within ten of its ticks');
    });

    it('ticks a timed sender of every node for that node’s subscribers only', async () => {
      const a = await node('a');
      const b = await node('b');
      const onA = await a.connect();
      const onB = await b.connect();
      await onA.subscribe('clock.node');
      await onB.subscribe('clock.node');
      await a.clock.advance(1000);
      await b.clock.advance(1000);
      await settle(apps());
      assert.deepEqual(onA.dataOf('clock.node'), [{ node: 'a' }]);
      assert.deepEqual(onB.dataOf('clock.node'), [{ node: 'b' }]);
    });
  });
}
