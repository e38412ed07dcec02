/**
 * A node whose Redis is down when it starts: `start` gives up waiting after
 * `startTimeoutMs`, the node serves its own connections, and it joins the
 * other nodes by itself once Redis answers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLogger, type CaromLogger } from '../../src/index.js';
import { redisBroker } from '../../src/redis/index.js';
import { createTestApp, type TestApp } from '../../src/testing/index.js';
import { NewsSender, NODE_OPTIONS } from '../support/broker-contract.js';
import { RedisServer } from '../support/redis-server.js';
import { eventually } from '../support/wait.js';

describe('carom/redis with Redis down at start', () => {
  let redis: RedisServer;
  const apps: TestApp[] = [];

  before(async () => {
    redis = await RedisServer.start();
    await redis.stop();
  });

  after(async () => {
    for (const t of apps) await t.close();
    await redis?.end();
  });

  it('starts after startTimeoutMs, serves its own connections, and joins once Redis is up', async () => {
    const prefix = `l${randomBytes(4).toString('hex')}`;
    const logs: string[] = [];
    // A logger with only `warn`: the broker guards it as the app guards its own, so the
    // levels it lacks cost nothing but their lines.
    const logger = {
      warn: (...args: unknown[]) => void logs.push(args.map(String).join(' ')),
    } as unknown as CaromLogger;
    const early = await createTestApp({
      ...NODE_OPTIONS,
      broker: redisBroker({ url: redis.url, nodeId: 'early', prefix, startTimeoutMs: 200, logger }),
    });
    apps.push(early);
    assert.ok(
      logs.some((l) => l.includes('did not answer within 200 ms')),
      `the wait is logged: ${logs.join(' | ')}`,
    );
    const local = await early.connect();
    await local.subscribe('news');
    await early.app.get(NewsSender).send({ n: 1 });
    assert.deepEqual(local.dataOf('news'), [{ n: 1 }], 'its own connections are served');

    await redis.restart();
    const other = await createTestApp({
      ...NODE_OPTIONS,
      broker: redisBroker({
        url: redis.url,
        nodeId: 'other',
        prefix,
        logger: createLogger('fatal'),
      }),
    });
    apps.push(other);
    for (let round = 0; round < 100 && local.dataOf('news').length < 2; round++) {
      await other.app.get(NewsSender).send({ n: 2 });
      await new Promise<void>((resolve) => setTimeout(resolve, 50));
    }
    await eventually(() => local.dataOf('news').length >= 2, 'the early node hears the other');
    assert.deepEqual(local.dataOf('news')[1], { n: 2 });
  });
});
