import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CAROM_PROTOCOL,
  forwardedAddress,
  readToken,
  tokenProtocol,
  type HandshakeRequest,
} from '../../src/index.js';
import type { AllowedOrigins } from '../../src/core/options.js';
import { ConnectionCounts } from '../../src/transport/admission.js';
import { normalizeOrigin } from '../../src/core/origin.js';
import { OriginPolicy } from '../../src/transport/origins.js';
import { selectProtocol, tokenFromProtocols } from '../../src/transport/subprotocol.js';

const req = (
  url: string,
  headers: Record<string, string | string[]> = {},
  remoteAddress = '10.0.0.9',
): HandshakeRequest => ({ url, headers, socket: { remoteAddress } });

/** No lone surrogate: UTF-8 cannot carry one, so no token holds one. */
const wellFormed = (s: string): boolean => Buffer.from(s, 'utf8').toString('utf8') === s;

/** Bounded in runs and in time: a property test never holds CI up. */
const BOUNDS = { numRuns: 300, interruptAfterTimeLimit: 4000 } as const;

describe('readToken', () => {
  it('looks at Authorization, then the subprotocol entry, then the query, then the cookie', () => {
    const all = {
      authorization: 'Bearer h',
      'sec-websocket-protocol': `carom, ${tokenProtocol('p')}`,
      cookie: 'token=c',
    };
    assert.equal(readToken(req('/ws?token=q', all)), 'h');
    const without = (...names: string[]) =>
      Object.fromEntries(Object.entries(all).filter(([k]) => !names.includes(k)));
    assert.equal(readToken(req('/ws?token=q', without('authorization'))), 'p');
    const noProtocol = without('authorization', 'sec-websocket-protocol');
    assert.equal(readToken(req('/ws?token=q', noProtocol)), 'q');
    assert.equal(readToken(req('/ws', noProtocol)), 'c');
  });

  it('decodes any UTF-8 token from the subprotocol entry', () => {
    for (const token of ['a', 'sécret', 'x.y-z_', '😀 emoji', '\uFEFFbom', 'a'.repeat(300)]) {
      const header = `carom, ${tokenProtocol(token)}`;
      assert.equal(readToken(req('/ws', { 'sec-websocket-protocol': header })), token);
    }
    assert.equal(
      tokenProtocol('sécret'),
      `carom.token.${Buffer.from('sécret').toString('base64url')}`,
    );
    assert.equal(CAROM_PROTOCOL, 'carom');
  });

  it('skips a malformed subprotocol entry and reads on', () => {
    const bad = [
      'carom.token.',
      'carom.token.YQ==', // padding
      'carom.token.a', // a length no base64 has
      'carom.token.YR', // stray bits: not what any encoder writes
      'carom.token.a+b/', // base64, not base64url
      'carom.token.gA', // 0x80: not UTF-8
      'carom.token.%41',
    ];
    for (const entry of bad) {
      assert.equal(tokenFromProtocols(entry), undefined, entry);
      const request = req('/ws?token=q', { 'sec-websocket-protocol': `carom, ${entry}` });
      assert.equal(readToken(request), 'q', entry);
    }
    assert.equal(tokenFromProtocols(`carom.token.YR, ${tokenProtocol('ok')}`), 'ok');
  });

  it('skips a cookie with a bad percent-escape instead of throwing', () => {
    assert.equal(readToken(req('/ws', { cookie: 'token=%E0%A4%A' })), undefined);
    assert.equal(readToken(req('/ws', { cookie: 'token=%E0%A4%A; token=ok' })), 'ok');
    assert.equal(readToken(req('/ws?token=%E0%A4%A')), '\uFFFD%A');
  });

  it('never throws, whatever the headers, URL and cookies (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({
        unit: fc.constantFrom('%', 'E', '0', 'A', ';', '=', ',', ' ', 't', '.'),
        maxLength: 40,
      }),
      fc.constantFrom('%E0%A4%A', '%', '%%', 'token=%ZZ', 'carom.token.', '=;=;', '\u0000'),
    );
    const value = fc.oneof(text, fc.array(text, { maxLength: 3 }));
    const protocolEntry = fc.oneof(
      text.map((t) => `carom.token.${t}`),
      fc.string({ unit: 'binary', maxLength: 30 }).map((t) => tokenProtocol(t)),
      text,
    );
    fc.assert(
      fc.property(
        fc.oneof(
          text.map((t) => `/ws?${t}`),
          fc.webUrl({ withQueryParameters: true }),
          text,
        ),
        fc.record(
          {
            authorization: fc.oneof(
              value,
              text.map((t) => `Bearer ${t}`),
            ),
            cookie: fc.oneof(
              value,
              text.map((t) => `token=${t}`),
            ),
            'sec-websocket-protocol': fc
              .array(protocolEntry, { maxLength: 4 })
              .map((parts) => parts.join(', ')),
          },
          { requiredKeys: [] },
        ),
        fc.record({ query: text, cookie: text }, { requiredKeys: [] }),
        (url, headers, sources) => {
          const token = readToken(req(url, headers as Record<string, string>), sources);
          assert.ok(token === undefined || (typeof token === 'string' && token !== ''));
        },
      ),
      BOUNDS,
    );
  });

  it('reads back every token tokenProtocol encodes (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).filter(wellFormed),
        (token) => {
          const header = `carom, ${tokenProtocol(token)}`;
          assert.equal(readToken(req('/ws', { 'sec-websocket-protocol': header })), token);
        },
      ),
      BOUNDS,
    );
  });
});

describe('selectProtocol', () => {
  it('selects carom when offered, never a token entry, else the first offered', () => {
    const t = tokenProtocol('secret');
    assert.equal(selectProtocol(new Set([t, 'chat', 'carom'])), 'carom');
    assert.equal(selectProtocol(new Set([t, 'chat', 'other'])), 'chat');
    assert.equal(selectProtocol(new Set([t])), false);
    assert.equal(selectProtocol(new Set(['bounce'])), 'bounce');
  });
});

describe('forwardedAddress', () => {
  it('takes the entry hops places from the right', () => {
    const r = req('/ws', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7 ,198.51.100.2' });
    assert.equal(forwardedAddress(r), '198.51.100.2');
    assert.equal(forwardedAddress(r, { hops: 2 }), '203.0.113.7');
    assert.equal(forwardedAddress(r, { hops: 3 }), '6.6.6.6');
  });

  it('falls back to the socket address when the header is missing, short or not an address', () => {
    assert.equal(forwardedAddress(req('/ws')), '10.0.0.9');
    assert.equal(
      forwardedAddress(req('/ws', { 'x-forwarded-for': '1.2.3.4' }), { hops: 2 }),
      '10.0.0.9',
    );
    assert.equal(
      forwardedAddress(req('/ws', { 'x-forwarded-for': '1.2.3.4, unknown' })),
      '10.0.0.9',
    );
    assert.equal(forwardedAddress(req('/ws', { 'x-forwarded-for': '' })), '10.0.0.9');
    assert.equal(forwardedAddress(req('/ws', { 'x-forwarded-for': '1.2.3.4,' })), '10.0.0.9');
  });

  it('reads IPv6, ports and repeated headers', () => {
    assert.equal(forwardedAddress(req('/ws', { 'x-forwarded-for': '2001:db8::1' })), '2001:db8::1');
    assert.equal(
      forwardedAddress(req('/ws', { 'x-forwarded-for': '[2001:db8::1]:443' })),
      '2001:db8::1',
    );
    assert.equal(forwardedAddress(req('/ws', { 'x-forwarded-for': '1.2.3.4:8080' })), '1.2.3.4');
    const repeated = req('/ws', { 'x-forwarded-for': ['6.6.6.6', '1.2.3.4'] });
    assert.equal(forwardedAddress(repeated), '1.2.3.4');
  });

  it('refuses a hops that is not a positive integer', () => {
    const badHops = { name: 'UsageError', code: 'CAROM_ERR_BAD_ARGUMENT', message: /hops/ };
    assert.throws(() => forwardedAddress(req('/ws'), { hops: 0 }), badHops);
    assert.throws(() => forwardedAddress(req('/ws'), { hops: 1.5 }), badHops);
  });

  it('never throws and returns an IP or the socket address (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ unit: 'binary', maxLength: 20 })), {
          maxLength: 6,
        }),
        fc.integer({ min: 1, max: 8 }),
        (entries, hops) => {
          const r = req('/ws', { 'x-forwarded-for': entries.join(',') });
          const address = forwardedAddress(r, { hops });
          assert.ok(address === '10.0.0.9' || entries.some((e) => e.includes(address!)));
        },
      ),
      BOUNDS,
    );
  });
});

describe('OriginPolicy', () => {
  const withOrigin = (origin: string | string[] | undefined, host = 'app.example.com') =>
    req('/ws', origin === undefined ? { host } : { host, origin });

  it('normalizes origins: lower case, no default port, no path', () => {
    assert.equal(normalizeOrigin('HTTPS://App.Example.COM:443'), 'https://app.example.com');
    assert.equal(normalizeOrigin('http://app.example.com:8080/'), 'http://app.example.com:8080');
    assert.equal(normalizeOrigin('http://app.example.com/path'), undefined);
    assert.equal(normalizeOrigin('http://user@app.example.com'), undefined);
    assert.equal(normalizeOrigin('null'), undefined);
    assert.equal(normalizeOrigin('app.example.com'), undefined);
  });

  it('by default the Origin must name the Host', () => {
    const policy = new OriginPolicy(undefined);
    assert.equal(policy.check(withOrigin(undefined)), undefined);
    assert.equal(policy.check(withOrigin('https://app.example.com')), undefined);
    assert.equal(
      policy.check(withOrigin('https://app.example.com', 'app.example.com:443')),
      undefined,
    );
    assert.equal(
      policy.check(withOrigin('http://app.example.com:8080', 'APP.example.com:8080')),
      undefined,
    );
    assert.match(policy.check(withOrigin('https://evil.example')) ?? '', /Host/);
    assert.ok(policy.check(withOrigin('https://app.example.com', 'app.example.com:8443')));
    assert.ok(policy.check(withOrigin('https://app.example.com', 'evil.example@app.example.com')));
    assert.ok(policy.check(req('/ws', { origin: 'https://app.example.com' })), 'no Host');
    assert.ok(policy.check(withOrigin(['https://app.example.com', 'https://evil.example'])));
  });

  it('a list, a function, or *', () => {
    const list = new OriginPolicy(['https://app.example.com']);
    assert.equal(list.check(withOrigin('https://APP.example.com')), undefined);
    assert.ok(list.check(withOrigin('https://evil.example')));
    assert.equal(new OriginPolicy('*').check(withOrigin('https://evil.example')), undefined);
    const fn = new OriginPolicy((o) => o === 'https://x.example');
    assert.equal(fn.check(withOrigin('https://x.example')), undefined);
    assert.ok(fn.check(withOrigin('https://y.example')));
    const truthy = new OriginPolicy((() => 1) as unknown as AllowedOrigins);
    assert.ok(truthy.check(withOrigin('https://x.example')), 'only true lets in');
  });

  it('never throws, whatever the request and the policy (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.webUrl(),
      fc.webAuthority({ withPort: true }),
      fc.constantFrom('null', 'http://[::1]:80', 'http://a:99999', 'file://', 'http://%zz'),
    );
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('a getter that throws');
        },
      },
    );
    const policies: AllowedOrigins[] = [
      ['https://app.example.com', 'http://127.0.0.1:8080'],
      '*',
      (origin) => origin.length % 2 === 0,
      () => {
        throw hostile;
      },
      () => {
        throw new Error('down');
      },
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: -1, max: policies.length - 1 }),
        fc.option(fc.oneof(text, fc.array(text, { maxLength: 3 }))),
        fc.option(text),
        (which, origin, host) => {
          const policy = new OriginPolicy(which === -1 ? undefined : policies[which]);
          const headers: Record<string, string | string[]> = {};
          if (origin !== null) headers.origin = origin;
          if (host !== null) headers.host = host;
          const verdict = policy.check(req('/ws', headers));
          assert.ok(verdict === undefined || typeof verdict === 'string');
          if (origin === null) assert.equal(verdict, undefined);
        },
      ),
      BOUNDS,
    );
  });
});

describe('ConnectionCounts', () => {
  it('counts in all and per address, and each release gives one place back', () => {
    const counts = new ConnectionCounts(3, 2);
    assert.equal(counts.reserve('a'), undefined);
    assert.equal(counts.reserve('a'), undefined);
    assert.equal(counts.reserve('a'), 'maxConnectionsPerAddress');
    assert.equal(counts.reserve('b'), undefined);
    assert.equal(counts.reserve('c'), 'maxConnections');
    counts.release('a');
    assert.equal(counts.open, 2);
    assert.equal(counts.of('a'), 1);
    assert.equal(counts.reserve('c'), undefined);
    counts.release('a');
    counts.release('b');
    assert.equal(counts.of('a'), 0);
    assert.equal(counts.of('b'), 0);
    assert.equal(counts.open, 1);
    // An address holding nothing gives nothing back: the total never drifts below what is held.
    counts.release('a');
    counts.release('nobody');
    assert.equal(counts.open, 1);
    assert.equal(counts.of('c'), 1);
  });
});
