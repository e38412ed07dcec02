/**
 * Over real sockets: the frames that used to end the process, the whole seed
 * corpus of nasty frames, connect hooks that refuse, and the welcome frame.
 * After each attack the server must still answer everyone.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import {
  Carom,
  ClientError,
  OnConnect,
  type CaromOptions,
  type Connection,
} from '../../src/index.js';
import { createPingApp, PingHandler } from '../../examples/ping/app.js';
import { NASTY_FRAMES } from '../fixtures/nasty-frames.js';
import type { Envelope } from '../support/envelope.js';
import { within } from '../support/wait.js';
import { connect, terminateAll, type Client } from './helpers.js';
import { failOnEscapes } from '../support/no-escapes.js';

failOnEscapes();

const apps: Carom[] = [];
afterEach(async () => {
  terminateAll();
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function serve(app: Carom): Promise<string> {
  apps.push(app);
  const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
  return `ws://127.0.0.1:${port}/ws`;
}

function ping(options: CaromOptions = {}): Carom {
  return createPingApp({ logLevel: 'fatal', heartbeatMs: 0, ...options });
}

/** The 24 KB frame that used to kill any carom server: 12,000 levels and a `\u` escape. */
const KILLER = `{"event":"ping","id":1,"data":${'['.repeat(12_000)}"\\u0041 constructor"${']'.repeat(12_000)}}`;

/** Asserts that the connection still gets its reply, so the server is alive and serving. */
async function stillServes(c: Client, id: string): Promise<void> {
  const reply = await c.request({ event: 'ping', id });
  assert.equal(reply.event, 'ack', JSON.stringify(reply));
}

describe('hostile frames over real sockets', () => {
  it('answers the 24 KB deep frame BAD_ENVELOPE, keeps the connection, and serves the others', async () => {
    const url = await serve(ping());
    const attacker = await connect(url);
    const bystander = await connect(url);
    attacker.ws.send(KILLER);
    const reply = await attacker.next((e) => e.event === 'error');
    assert.equal(reply.data.code, 'BAD_ENVELOPE');
    assert.equal(reply.id, 1);
    await stillServes(attacker, 'after');
    await stillServes(bystander, 'bystander');
  });

  it('answers every frame of the seed corpus as the protocol says, and stays up', async () => {
    const url = await serve(ping({ maxClockSkewMs: 60_000 }));
    const attacker = await connect(url);
    const bystander = await connect(url);
    const raw: string[] = [];
    attacker.ws.on('message', (data) => raw.push((data as Buffer).toString()));
    for (const frame of NASTY_FRAMES) {
      const before = attacker.messages.length;
      attacker.ws.send(frame.text);
      // A marker request after each frame: its reply proves the frame was dealt with.
      const marker = `after ${frame.description}`.slice(0, 64);
      await stillServes(attacker, marker);
      const answers = attacker.messages.slice(before).filter((e) => e.id !== marker);
      if (frame.decoder !== 'accepted') {
        const codes = answers.filter((e) => e.event === 'error').map((e) => e.data.code);
        assert.ok(codes.includes(frame.decoder), `${frame.description}: got ${codes.join()}`);
      }
    }
    for (const text of raw) assert.doesNotThrow(() => JSON.parse(text), `not JSON: ${text}`);
    await stillServes(bystander, 'bystander');
  });

  it('closes an oversize frame with 1009 and serves the others', async () => {
    const url = await serve(ping({ maxPayload: 1024 }));
    const attacker = await connect(url);
    const bystander = await connect(url);
    attacker.ws.send(`{"event":"ping","data":"${'x'.repeat(2048)}"}`);
    assert.equal((await attacker.closedWithin()).code, 1009);
    await stillServes(bystander, 'bystander');
  });
});

class Gate {
  static mode: 'client' | 'crash' | 'open' = 'open';
  @OnConnect() check(_connection: Connection): void {
    if (Gate.mode === 'client') throw new ClientError('banned');
    if (Gate.mode === 'crash') throw new Error('database down');
  }
}

describe('connect hooks that refuse', () => {
  it('a ClientError closes with 1008 and its message; any other error with 1011', async () => {
    const url = await serve(ping({ handlers: [PingHandler, Gate] }));
    Gate.mode = 'client';
    const banned = await connect(url);
    assert.deepEqual(await banned.closedWithin(), { code: 1008, reason: 'banned' });
    Gate.mode = 'crash';
    const failed = await connect(url);
    assert.deepEqual(await failed.closedWithin(), { code: 1011, reason: 'connect hook failed' });
    Gate.mode = 'open';
    await stillServes(await connect(url), 'open');
  });
});

describe('carom.welcome', () => {
  it('is the first frame for a client of the carom subprotocol, with its connection id', async () => {
    const app = ping();
    const url = await serve(app);
    const c = await connect(url, {});
    const ws = new WebSocket(url, ['carom']);
    const first = await within(
      new Promise<Envelope>((resolve, reject) => {
        ws.once('message', (data) => resolve(JSON.parse((data as Buffer).toString()) as Envelope));
        ws.once('error', reject);
      }),
      'the welcome frame',
    );
    assert.equal(ws.protocol, 'carom');
    assert.equal(first.event, 'carom.welcome');
    assert.equal(typeof first.data.connection, 'string');
    assert.ok(app.openConnections.some((conn) => conn.id === first.data.connection));
    ws.terminate();
    // A plain client (bounce-ws, a bare WebSocket) gets nothing new.
    await stillServes(c, 'plain');
    assert.ok(!c.messages.some((e) => e.event === 'carom.welcome'));
  });
});
