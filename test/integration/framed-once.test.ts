/**
 * A publish is framed once: the ws transport writes the pre-built frame to
 * each recipient's socket instead of asking `ws` to frame it per socket, and
 * every client still gets every message, whole and in order, beside the
 * replies to its own requests.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { Carom } from '../../src/index.js';
import { eventually } from '../support/wait.js';
import { connect, terminateAll, type Client } from './helpers.js';

describe('fan-out over ws', () => {
  let app: Carom | undefined;
  const realSend = WebSocket.prototype.send;
  afterEach(async () => {
    WebSocket.prototype.send = realSend;
    terminateAll();
    await app?.close();
    app = undefined;
  });

  it('writes each published frame without a ws.send per subscriber', async () => {
    app = new Carom({ topics: ['tick'], logLevel: 'fatal' });
    const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
    const clients: Client[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await connect(`ws://127.0.0.1:${port}/ws`);
      c.send({ event: 'subscribe', data: { events: ['tick'] }, id: 1 });
      await c.next((e) => e.event === 'ack');
      clients.push(c);
    }
    let serverSends = 0;
    WebSocket.prototype.send = function (this: WebSocket, ...args: unknown[]): void {
      if ((this as unknown as { _isServer: boolean })._isServer) serverSends++;
      (realSend as (...a: unknown[]) => void).apply(this, args);
    };
    // Small, 16-bit and 64-bit length frames, several to a turn.
    const bodies = ['', 'x'.repeat(200), 'é'.repeat(40_000)];
    const count = 30;
    for (let i = 0; i < count; i++) app.publish('tick', { seq: i, body: bodies[i % 3] });
    // A reply on the same sockets, between publishes of the next turn.
    clients[0]!.send({ event: 'subscribe', data: { events: ['tick'] }, id: 2 });
    await clients[0]!.next((e) => e.event === 'ack' && e.id === 2);
    for (let i = count; i < 2 * count; i++) app.publish('tick', { seq: i, body: bodies[i % 3] });
    for (const c of clients) {
      await eventually(() => c.dataOf('tick').length === 2 * count, 'every message');
      const got = c.dataOf('tick') as Array<{ seq: number; body: string }>;
      assert.deepEqual(
        got.map((d) => d.seq),
        Array.from({ length: 2 * count }, (_, i) => i),
      );
      got.forEach((d) => assert.equal(d.body, bodies[d.seq % 3]));
    }
    assert.equal(serverSends, 0, 'no publish went through ws.send');
  });
});
