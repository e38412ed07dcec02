/**
 * The testing kit is a transport like any other: it connects through
 * `acceptorOf(app)`, and its handshake is the one the app would see.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionRefused, type HandshakeRequest } from '../../src/index.js';
import { createTestApp } from '../../src/testing/index.js';

describe('t.connect', () => {
  it("hands authenticate a handshake on the app's configured path", async () => {
    const seen: HandshakeRequest[] = [];
    const t = await createTestApp({
      path: '/live',
      authenticate: (request) => {
        seen.push(request);
        return 'ada';
      },
    });
    const client = await t.connect({ headers: { 'X-Token': 'a' }, remoteAddress: '10.0.0.9' });
    assert.equal(seen[0]?.url, '/live');
    assert.deepEqual(seen[0]?.headers, { 'x-token': 'a' });
    assert.equal(seen[0]?.socket?.remoteAddress, '10.0.0.9');
    assert.equal(client.connection?.user, 'ada');
    await t.connect({ url: '/live?room=1' });
    assert.equal(seen[1]?.url, '/live?room=1', 'an explicit url is kept');
    await t.close();
  });

  it("gives the client the app's Connection, and none when refused", async () => {
    const t = await createTestApp({
      authenticate: (request) => {
        if (request.headers['x-token'] !== 'ok') throw new ConnectionRefused('no token');
        return 'bo';
      },
    });
    const bo = await t.connect({ headers: { 'x-token': 'ok' } });
    assert.deepEqual(
      t.app.openConnections.map((c) => c.id),
      [bo.connection?.id],
    );
    const refused = await t.connect();
    assert.equal(refused.connection, undefined);
    assert.equal(refused.closeCode, 1008);
    assert.equal(refused.closeReason, 'no token');
    await t.close();
    const late = await t.connect({ user: 'late' });
    assert.equal(late.connection, undefined, 'a closed app opens no connection');
    assert.equal(late.closeCode, 1001);
  });
});
