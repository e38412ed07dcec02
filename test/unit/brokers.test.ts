/**
 * The broker seam on one process: the in-memory hub passes the broker
 * contract, and the default LocalBroker is a lone node.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Carom, LocalBroker, type Broker } from '../../src/index.js';
import { BrokerHub, createTestApp } from '../../src/testing/index.js';
import {
  brokerContract,
  NewsSender,
  NODE_OPTIONS,
  ClusterClock,
  leaseContract,
  NodeName,
  presenceContract,
  type NodeSet,
} from '../support/broker-contract.js';

/** A fresh hub per test: its nodes, and the wait for what is still in flight. */
function hubNodes(): Promise<NodeSet> {
  const hub = new BrokerHub();
  return Promise.resolve({
    broker: (nodeId: string) => hub.broker(nodeId),
    close: () => hub.settled(),
  });
}

brokerContract('the in-memory BrokerHub', hubNodes);

presenceContract('the in-memory BrokerHub', hubNodes);

leaseContract('the in-memory BrokerHub', hubNodes);

describe('presence on a lone node, and its mistakes', () => {
  it('lists the local subscribers of a tracked topic', async () => {
    const t = await createTestApp({ ...NODE_OPTIONS, presence: ['room.*', 'news'] });
    try {
      const c = await t.connect({ user: 'ann' });
      await c.subscribe('room.a', 'news');
      assert.deepEqual(await t.app.presence('room.a'), [
        { connectionId: c.connection!.id, node: '', user: 'ann' },
      ]);
      assert.equal((await t.app.presence('news')).length, 1);
      await assert.rejects(t.app.presence('elsewhere'), { code: 'CAROM_ERR_PRESENCE_NOT_TRACKED' });
    } finally {
      await t.close();
    }
  });

  it('refuses presence and leases on a broker that keeps none, at start-up', () => {
    const bare: Broker = {
      nodeId: 'x',
      start: () => Promise.resolve(),
      publish: () => undefined,
      command: () => undefined,
      channelCreated: () => undefined,
      channelDeleted: () => undefined,
      stats: () => ({ relayed: 0, received: 0, lost: 0 }),
      close: () => Promise.resolve(),
    };
    assert.throws(() => new Carom({ ...NODE_OPTIONS, presence: ['room.*'], broker: bare }), {
      name: 'ConfigurationError',
      code: 'CAROM_ERR_NO_PRESENCE_STORE',
    });
    assert.doesNotThrow(() => new Carom({ ...NODE_OPTIONS, broker: bare }));
    // The same for a timed sender that runs on one node: it needs the broker's leases.
    assert.throws(
      () =>
        new Carom({
          ...NODE_OPTIONS,
          senders: [ClusterClock],
          providers: [{ provide: NodeName, useValue: new NodeName('x') }],
          broker: bare,
        }),
      { name: 'ConfigurationError', code: 'CAROM_ERR_NO_LEASE_STORE' },
    );
  });
});

describe('LocalBroker, the default: a lone node', () => {
  it('has no node id, so connection ids stay short', async () => {
    const t = await createTestApp(NODE_OPTIONS);
    try {
      const c = await t.connect();
      assert.match(c.connection!.id, /^c[0-9a-z]+$/);
    } finally {
      await t.close();
    }
  });

  it('reaches a local connection by id, and counts a command for an unknown id as lost', async () => {
    const t = await createTestApp(NODE_OPTIONS);
    try {
      const c = await t.connect();
      t.app.to(c.connection!.id).send('hello', { n: 1 });
      t.app.get(NewsSender).sendTo(c.connection!.id, { n: 2 });
      assert.deepEqual(c.dataOf('hello'), [{ n: 1 }]);
      assert.deepEqual(c.dataOf('news'), [{ n: 2 }]);
      t.app.to(c.connection!.id).subscribe('room.a');
      assert.deepEqual(c.connection!.subscriptions, ['room.a']);
      assert.throws(() => t.app.to(c.connection!.id).subscribe('nope'), { name: 'UsageError' });
      assert.equal(t.app.brokerStats().lost, 0);
      t.app.to('c999').send('hello', {});
      assert.deepEqual(t.app.brokerStats(), { relayed: 0, received: 0, lost: 1 });
    } finally {
      await t.close();
    }
  });

  it('relays nothing, and a publish nobody hears builds no frame', () => {
    const broker = new LocalBroker();
    assert.equal(broker.nodeId, '');
    broker.publish();
    broker.channelCreated();
    assert.deepEqual(broker.stats(), { relayed: 0, received: 0, lost: 0 });
  });
});

describe('BrokerHub', () => {
  it('refuses a node id that is empty, holds a colon, or is taken', async () => {
    const hub = new BrokerHub();
    assert.throws(() => hub.broker(''), { name: 'UsageError' });
    assert.throws(() => hub.broker('a:b'), { name: 'UsageError' });
    const first = await createTestApp({ ...NODE_OPTIONS, broker: hub.broker('a') });
    try {
      await assert.rejects(createTestApp({ ...NODE_OPTIONS, broker: hub.broker('a') }), {
        name: 'UsageError',
      });
    } finally {
      await first.close();
    }
  });
});
