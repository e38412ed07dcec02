/**
 * Channels after an outage: a node that missed a deletion forgets the channel
 * when it is back, and when Redis comes back empty every node writes its
 * channels back, so none is lost. Node b runs on connections the test made
 * itself (the broker's `client`/`subscriber` option), so the test can cut just
 * b's subscriber.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { createClient } from 'redis';
import { createLogger } from '../../src/index.js';
import { redisBroker, type RedisClientConnection } from '../../src/redis/index.js';
import { createTestApp, type TestApp } from '../../src/testing/index.js';
import { NODE_OPTIONS } from '../support/broker-contract.js';
import { RedisServer } from '../support/redis-server.js';
import { eventually } from '../support/wait.js';

describe('carom/redis channels after an outage', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;
  let own: {
    isOpen: boolean;
    isReady: boolean;
    clientId(): Promise<number>;
    close(): Promise<unknown>;
    destroy(): void;
  }[];
  /** While true, b's subscriber waits 400 ms before it reconnects: a window to miss a relay in. */
  let slow = false;
  let prefix = '';

  before(async () => {
    redis = await RedisServer.start();
  });

  after(async () => {
    await redis?.end();
  });

  beforeEach(async () => {
    prefix = `r${randomBytes(4).toString('hex')}`;
    const logger = createLogger('fatal');
    const reconnectStrategy = (attempt: number): number =>
      slow ? 400 : Math.min(50 * 2 ** attempt, 500);
    const client = createClient({
      url: redis.url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy },
    });
    const subscriber = createClient({
      url: redis.url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy },
    });
    for (const c of [client, subscriber]) c.on('error', () => undefined);
    own = [client, subscriber];
    a = await createTestApp({
      ...NODE_OPTIONS,
      broker: redisBroker({ url: redis.url, nodeId: 'a', prefix, logger }),
    });
    b = await createTestApp({
      ...NODE_OPTIONS,
      broker: redisBroker({
        client: client as unknown as RedisClientConnection,
        subscriber: subscriber as unknown as RedisClientConnection,
        nodeId: 'b',
        prefix,
        logger,
      }),
    });
  });

  afterEach(async () => {
    slow = false;
    await a.close();
    await b.close();
    for (const c of own) if (c.isOpen) await c.close().catch(() => c.destroy());
  });

  it('runs on connections the application made, and leaves them open at close', async () => {
    a.app.channels.create('made.here');
    await eventually(() => b.app.channels.has('made.here'), 'b hears of the channel');
    assert.equal(
      own.every((c) => c.isReady),
      true,
    );
  });

  it('forgets, once back, a channel deleted while its subscriber was cut off', async () => {
    a.app.channels.create('short.lived');
    await eventually(() => b.app.channels.has('short.lived'), 'b knows the channel');
    slow = true;
    const admin = createClient({ url: redis.url });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      const id = await own[1]!.clientId();
      await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(id)]);
    } finally {
      await admin.close();
    }
    a.app.channels.delete('short.lived');
    await eventually(
      () => !b.app.channels.has('short.lived'),
      'b forgets the channel once its subscriber is back',
    );
  });

  it('writes the channels back when Redis returns with nothing saved', async () => {
    a.app.channels.create('kept');
    await eventually(() => b.app.channels.has('kept'), 'b knows the channel');
    await redis.stop();
    await redis.restart();
    const admin = createClient({ url: redis.url });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      let members: string[] = [];
      for (let round = 0; round < 200 && !members.includes('kept'); round++) {
        await new Promise<void>((resolve) => setTimeout(resolve, 50));
        members = await admin.sMembers(`${prefix}:channels`);
      }
      assert.ok(members.includes('kept'), `the set holds the channel again: ${members.join(',')}`);
    } finally {
      await admin.close();
    }
    assert.equal(a.app.channels.has('kept'), true);
    assert.equal(b.app.channels.has('kept'), true);
    const late = await createTestApp({
      ...NODE_OPTIONS,
      broker: redisBroker({ url: redis.url, nodeId: 'c', prefix, logger: createLogger('fatal') }),
    });
    try {
      assert.equal(late.app.channels.has('kept'), true, 'a node that starts later adopts it');
    } finally {
      await late.close();
    }
  });
});
