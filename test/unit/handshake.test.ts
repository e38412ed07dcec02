import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionRefused, readToken, type HandshakeRequest } from '../../src/index.js';
import { createTestApp } from '../../src/testing/index.js';

const req = (url: string, headers: Record<string, string> = {}): HandshakeRequest => ({
  url,
  headers,
});

describe('readToken', () => {
  it('reads a bearer header first', () => {
    assert.equal(readToken(req('/ws?token=q', { authorization: 'Bearer h1' })), 'h1');
    assert.equal(readToken(req('/ws', { authorization: 'bearer  h2 ' })), 'h2');
  });

  it('falls back to the query string, then a cookie', () => {
    assert.equal(readToken(req('/ws?a=1&token=q%20x')), 'q x');
    assert.equal(readToken(req('/ws?key=k', {}), { query: 'key' }), 'k');
    assert.equal(readToken(req('/ws', { cookie: 'a=1; token=c%3D1; b=2' })), 'c=1');
    assert.equal(readToken(req('/ws', { cookie: 'sid=s' }), { cookie: 'sid' }), 's');
  });

  it('returns undefined when nothing is there', () => {
    assert.equal(readToken(req('/ws')), undefined);
    assert.equal(
      readToken(req('/ws?token=', { authorization: 'Basic abc', cookie: 'x=1' })),
      undefined,
    );
  });

  it('serves authenticate through the testing kit', async () => {
    const t = await createTestApp({
      authenticate: (request) => {
        const token = readToken(request);
        if (token !== 'secret') throw new ConnectionRefused('bad token');
        return { name: 'ann' };
      },
    });
    const ok = await t.connect({ url: '/ws?token=secret' });
    assert.deepEqual(ok.connection?.user, { name: 'ann' });
    const refused = await t.connect({ headers: { Cookie: 'token=nope' } });
    assert.equal(refused.closeCode, 1008);
    assert.equal(refused.closeReason, 'bad token');
    assert.equal(t.app.stats().connections, 1);
    await t.close();
  });
});
