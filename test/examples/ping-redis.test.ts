/**
 * The ping example as the README runs it on two nodes: two processes of
 * `examples/run.js ping`, each with REDIS_URL pointing at one real
 * redis-server and PORT picking its port, share their subscribers.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect, terminateAll, type Client } from '../integration/helpers.js';
import { RedisServer } from '../support/redis-server.js';
import { eventually, within } from '../support/wait.js';

const RUN = fileURLToPath(new URL('../../examples/run.js', import.meta.url));

/** One example process, and the port it printed. */
interface ExampleProcess {
  readonly child: ChildProcess;
  readonly port: number;
  output(): string;
}

const started: ChildProcess[] = [];

/** Runs `examples/run.js NAME` with `env` added, and waits for the line that gives its port. */
async function runExample(name: string, env: Record<string, string>): Promise<ExampleProcess> {
  const child = spawn(process.execPath, [RUN, name], {
    env: { ...process.env, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await eventually(() => /open http:\/\/[^:]+:\d+\//.test(out), `the ${name} example's port`);
  const port = Number(/open http:\/\/[^:]+:(\d+)\//.exec(out)![1]);
  return { child, port, output: () => out };
}

/** Ends a process by its PID and waits until it has exited. */
async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await within(exited, 'the example process to exit');
}

function pingClient(port: number): Promise<Client> {
  return connect(`ws://127.0.0.1:${port}/ws`, { origin: `http://127.0.0.1:${port}` });
}

let nextId = 1;

async function request(client: Client, event: string, data: unknown): Promise<void> {
  const reply = await client.request({ event, data, id: nextId++ });
  assert.equal(reply.event, 'ack', JSON.stringify(reply.data));
}

describe('ping example on two nodes over Redis', () => {
  let redis: RedisServer;
  let a: ExampleProcess;
  let b: ExampleProcess;

  before(async () => {
    redis = await RedisServer.start();
    [a, b] = await Promise.all([
      runExample('ping', { PORT: '0', REDIS_URL: redis.url }),
      runExample('ping', { PORT: '0', REDIS_URL: redis.url }),
    ]);
  });

  afterEach(() => terminateAll());

  after(async () => {
    await Promise.all(started.map(end));
    await redis?.end();
  });

  it('says which node it is and that it shares through Redis', () => {
    assert.match(a.output(), /node \S+ sharing through Redis/);
    assert.notEqual(a.port, b.port);
  });

  it('delivers a ping sent on either node to the subscribers of both, once each', async () => {
    const onA = await pingClient(a.port);
    const onB = await pingClient(b.port);
    await request(onA, 'subscribe', { events: ['ping'] });
    await request(onB, 'subscribe', { events: ['ping'] });
    const sender = await pingClient(b.port);
    await request(sender, 'ping', {});
    await eventually(() => onA.dataOf('ping').length >= 1, 'the ping on node a');
    await eventually(() => onB.dataOf('ping').length >= 1, 'the ping on node b');

    const other = await pingClient(a.port);
    await request(other, 'ping', {});
    await eventually(() => onB.dataOf('ping').length >= 2, 'the second ping on node b');
    await eventually(() => onA.dataOf('ping').length >= 2, 'the second ping on node a');
    // A marker after both: anything duplicated would have arrived before it.
    await request(sender, 'subscribe', { events: ['ping'] });
    await request(other, 'ping', {});
    await eventually(() => sender.dataOf('ping').length >= 1, 'the marker');
    await eventually(
      () => onA.dataOf('ping').length >= 3 && onB.dataOf('ping').length >= 3,
      'the marker on both',
    );
    assert.equal(onA.dataOf('ping').length, 3);
    assert.equal(onB.dataOf('ping').length, 3);
  });
});

describe('examples that run on one node', () => {
  it('refuse REDIS_URL rather than run unshared', async () => {
    const child = spawn(process.execPath, [RUN, 'ticker'], {
      env: { ...process.env, PORT: '0', REDIS_URL: 'redis://127.0.0.1:1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    started.push(child);
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await within(
      new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c))),
      'the ticker example to exit',
    );
    assert.equal(code, 2);
    assert.match(err, /ticker example runs on one node; REDIS_URL is for ping and chat/);
  });
});
