/**
 * carom/redis histories and request keys on one real redis-server: the
 * history and once contracts (test/support/history-contract.ts,
 * once-contract.ts), then what only Redis does: a restart that loses
 * everything starts a new epoch, publishes while Redis is down are counted
 * as lost and never throw, a server that lost its script cache still takes
 * publishes, and keys expire with the history's ttl.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createLogger, type CaromLogger } from '../../src/index.js';
import { redisBroker } from '../../src/redis/index.js';
import { frameOf, historyContract, Recorder } from '../support/history-contract.js';
import { onceContract } from '../support/once-contract.js';
import { RedisServer } from '../support/redis-server.js';
import { nodeFor, redisHistories, redisOnces, type RedisReach } from '../support/redis-stores.js';
import { eventually } from '../support/wait.js';

const run = promisify(execFile);

let redis: RedisServer;
let reach: RedisReach;

before(async () => {
  redis = await RedisServer.start();
  reach = { options: { url: redis.url }, ports: [redis.port] };
});

after(async () => {
  await redis?.end();
});

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(redis.port), ...args]);
  return stdout.trim();
}

historyContract('Redis Streams on one redis-server', () => redisHistories(reach)(), {
  shared: true,
});
onceContract('Redis on one redis-server', () => redisOnces(reach)(), { shared: true });

describe('carom/redis histories against a real Redis', () => {
  const KEEP = { size: 100 };

  async function started(
    recorder: Recorder,
    prefix = `x${randomBytes(4).toString('hex')}`,
    logger: CaromLogger = createLogger('fatal'),
  ) {
    const broker = redisBroker({
      url: redis.url,
      nodeId: 'solo',
      prefix,
      startTimeoutMs: 500,
      logger,
    });
    await broker.start(nodeFor(recorder));
    return broker;
  }

  it('records through EVALSHA, and again with the script’s text once Redis has forgotten it', async () => {
    const recorder = new Recorder();
    const broker = await started(recorder);
    try {
      const calls = async () =>
        Number(/cmdstat_evalsha:calls=(\d+)/.exec(await cli('INFO', 'commandstats'))?.[1] ?? 0);
      broker.history.publish('news', frameOf('news', { n: 1 }), KEEP, undefined);
      await eventually(() => recorder.recorded.length === 1, 'the first publish (EVAL)');
      const before = await calls();
      broker.history.publish('news', frameOf('news', { n: 2 }), KEEP, undefined);
      await eventually(() => recorder.recorded.length === 2, 'the second publish');
      assert.ok((await calls()) > before, 'by its SHA1');
      assert.equal(await cli('SCRIPT', 'FLUSH'), 'OK');
      broker.history.publish('news', frameOf('news', { n: 3 }), KEEP, undefined);
      broker.history.publish('news', frameOf('news', { n: 4 }), KEEP, undefined);
      await eventually(() => recorder.recorded.length === 4, 'publishes after SCRIPT FLUSH');
      assert.deepEqual(recorder.offsetsOf('news'), [1, 2, 3, 4]);
      assert.equal(broker.stats().lost, 0);
    } finally {
      await broker.close();
    }
  });

  it('lets the keys of a history with a ttl expire with it, and keeps one without', async () => {
    const recorder = new Recorder();
    const prefix = `x${randomBytes(4).toString('hex')}`;
    const broker = await started(recorder, prefix);
    try {
      broker.history.publish(
        'room.a',
        frameOf('room.a', {}),
        { size: 5, ttlMs: 60_000 },
        undefined,
      );
      broker.history.publish('news', frameOf('news', {}), { size: 5 }, undefined);
      await eventually(() => recorder.recorded.length === 2, 'both publishes');
      const keys = (await cli('--scan', '--pattern', `${prefix}:history:*`)).split('\n').sort();
      assert.deepEqual(keys, [
        `${prefix}:history:{${prefix}:topic:news}:log:news`,
        `${prefix}:history:{${prefix}:topic:news}:meta:news`,
        `${prefix}:history:{${prefix}:topic:room.*}:log:room.a`,
        `${prefix}:history:{${prefix}:topic:room.*}:meta:room.a`,
      ]);
      for (const key of keys.slice(2)) {
        const ttl = Number(await cli('PTTL', key));
        assert.ok(ttl > 0 && ttl <= 60_000, `${key} expires: ${ttl}`);
      }
      for (const key of keys.slice(0, 2)) assert.equal(await cli('PTTL', key), '-1', key);
      assert.equal(await cli('XLEN', keys[0]!), '1');
      // A read of an event never published makes its meta, for a while only (clients name events).
      await broker.history.read('room.quiet', { size: 5 }, undefined, 5);
      const quiet = `${prefix}:history:{${prefix}:topic:room.*}:meta:room.quiet`;
      const made = Number(await cli('PTTL', quiet));
      assert.ok(made > 0 && made <= 60_000, `read-made meta expires: ${made}`);
      broker.history.publish('room.quiet', frameOf('room.quiet', {}), { size: 5 }, undefined);
      await eventually(() => recorder.recorded.length === 3, 'the first publish');
      assert.equal(await cli('PTTL', quiet), '-1', 'published to, it stays');
    } finally {
      await broker.close();
    }
  });

  it('counts publishes as lost while Redis is down, without throwing, and starts a new epoch once it is back empty', async () => {
    const recorder = new Recorder();
    const warnings: string[] = [];
    const quiet = () => undefined;
    const logger = {
      debug: quiet,
      info: quiet,
      error: quiet,
      warn: (m: unknown) => warnings.push(String(m)),
    };
    const broker = await started(recorder, undefined, logger);
    try {
      broker.history.publish('news', frameOf('news', { n: 1 }), KEEP, undefined);
      await eventually(() => recorder.recorded.length === 1, 'the first publish');
      const before = recorder.recorded[0]!.position;
      await redis.stop();
      for (let n = 2; n <= 4; n++)
        broker.history.publish('news', frameOf('news', { n }), KEEP, undefined);
      await eventually(() => broker.stats().lost === 3, 'three lost publishes');
      assert.equal(recorder.recorded.length, 1, 'delivered nowhere, this node included');
      assert.equal(
        warnings.filter((w) => w.includes('Redis is unreachable')).length,
        1,
        'logged once',
      );
      await assert.rejects(broker.history.read('news', KEEP, before, 10));
      await redis.restart();
      let read = await broker.history.read('news', KEEP, before, 10).catch(() => undefined);
      for (let i = 0; i < 100 && read === undefined; i++) {
        await new Promise((r) => setTimeout(r, 50));
        read = await broker.history.read('news', KEEP, before, 10).catch(() => undefined);
      }
      assert.ok(read !== undefined, 'Redis answers again');
      assert.notEqual(read.epoch, before.epoch);
      assert.deepEqual([read.offset, read.complete], [0, false]);
      // The subscription comes back by itself: publish until one arrives (each is recorded).
      for (let n = 5; n < 105 && recorder.recorded.length === 1; n++) {
        broker.history.publish('news', frameOf('news', { n }), KEEP, undefined);
        await new Promise((r) => setTimeout(r, 50));
      }
      const next = recorder.recorded[1]!.position;
      assert.equal(next.epoch, read.epoch);
      const all = await broker.history.read('news', KEEP, { epoch: read.epoch, offset: 0 }, 200);
      assert.equal(all.complete, true);
      assert.deepEqual(
        all.entries.map((e) => e.offset),
        Array.from({ length: all.offset }, (_, i) => i + 1),
      );
      assert.ok(all.offset >= next.offset);
    } finally {
      await broker.close();
    }
  });
});

describe('redisBroker prefix on a Redis Cluster', () => {
  it('refuses a brace, which would take the place of the keys’ hash tags, and takes one on a lone server', () => {
    for (const prefix of ['a{b}', '{', 'x}']) {
      assert.throws(
        () => redisBroker({ cluster: { rootNodes: [{ url: redis.url }] }, prefix }),
        (err: Error & { code?: string }) => err.code === 'CAROM_ERR_BAD_OPTION',
        prefix,
      );
    }
    const broker = redisBroker({ url: redis.url, prefix: 'a{b}', logger: createLogger('fatal') });
    assert.equal(broker.nodeId.length > 0, true);
  });
});
