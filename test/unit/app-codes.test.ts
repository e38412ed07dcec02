/**
 * Application error codes: a `ClientError` with `appCode` answers
 * `{ code, appCode, message }`, so a client tells `BID_TOO_LOW` from the
 * protocol's codes and from a crash. Codes are checked where they are made,
 * and read warily where they are sent (fail closed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CaromError,
  ClientError,
  ErrorCode,
  MAX_APP_CODE_LENGTH,
  On,
  UsageError,
} from '../../src/index.js';
import { isAppCode } from '../../src/core/app-code.js';
import type { TestApp } from '../../src/testing/index.js';
import { testApps } from '../support/test-apps.js';

const make = testApps();

/** What the `bid` handler throws; each test sets it. */
let failure: () => unknown = () => undefined;

class Bids {
  @On('bid', { dto: false })
  bid(): string {
    throw failure();
  }
}

async function app(): Promise<TestApp> {
  return make({ handlers: [Bids] });
}

function errorLogs(t: TestApp): string[] {
  return t.logs.filter((l) => l.level === 'error').map((l) => String(l.args[0]));
}

const BAD_CODES: readonly unknown[] = [
  '',
  'bid_too_low',
  'Bid',
  '1ST',
  '_LOW',
  'BID TOO LOW',
  'BID-TOO-LOW',
  'BID\nLOW',
  'É',
  'A'.repeat(MAX_APP_CODE_LENGTH + 1),
  42,
  null,
  {},
];

describe('application error codes', () => {
  it('travel as data.appCode beside HANDLER_ERROR, with the message and details', async () => {
    const t = await app();
    const client = await t.connect();
    failure = () =>
      new ClientError('your bid is below the current price', {
        appCode: 'BID_TOO_LOW',
        details: { minimum: 12 },
      });
    const reply = await client.request('bid', undefined, { id: 'b1' });
    assert.equal(reply.event, 'error');
    assert.deepEqual(reply.data, {
      code: ErrorCode.HANDLER_ERROR,
      message: 'your bid is below the current price',
      appCode: 'BID_TOO_LOW',
      event: 'bid',
      details: { minimum: 12 },
    });
    assert.deepEqual(errorLogs(t), [], 'a refusal the application meant is not logged as a crash');
  });

  it('go with a protocol code the application chose', async () => {
    const t = await app();
    const client = await t.connect();
    failure = () =>
      new ClientError('only the seller may close', {
        code: ErrorCode.FORBIDDEN,
        appCode: 'NOT_SELLER',
      });
    const reply = await client.request('bid', undefined, { id: 'b1' });
    assert.deepEqual([reply.data.code, reply.data.appCode], ['FORBIDDEN', 'NOT_SELLER']);
  });

  it('are absent from a crash and from a ClientError without one', async () => {
    const t = await app();
    const client = await t.connect();
    failure = () => new Error('database down');
    const crash = await client.request('bid', undefined, { id: 'b1' });
    assert.deepEqual(crash.data, {
      code: 'HANDLER_ERROR',
      message: 'the handler failed',
      event: 'bid',
    });
    failure = () => new ClientError('no');
    const plain = await client.request('bid', undefined, { id: 'b2' });
    assert.equal('appCode' in plain.data, false);
  });

  it(`accept upper-case letters, digits and _, up to ${MAX_APP_CODE_LENGTH} characters`, () => {
    for (const code of ['A', 'BID_TOO_LOW', 'E2E', 'X'.repeat(MAX_APP_CODE_LENGTH), 'A_1_B']) {
      assert.equal(new ClientError('m', { appCode: code }).appCode, code);
      assert.equal(isAppCode(code), true, code);
    }
  });

  for (const bad of BAD_CODES) {
    it(`refuse ${JSON.stringify(bad)?.slice(0, 30) ?? String(bad)} where the error is made`, () => {
      assert.equal(isAppCode(bad), false);
      assert.throws(
        () => new ClientError('m', { appCode: bad as string }),
        (err: unknown) => {
          assert.ok(err instanceof UsageError);
          assert.equal(err.code, 'CAROM_ERR_BAD_APP_CODE');
          return true;
        },
      );
    });
  }

  it('a bad code thrown from a handler is a crash: generic HANDLER_ERROR, logged', async () => {
    const t = await app();
    const client = await t.connect();
    failure = () => new ClientError('m', { appCode: 'not a code' });
    const reply = await client.request('bid', undefined, { id: 'b1' });
    assert.deepEqual(reply.data, {
      code: 'HANDLER_ERROR',
      message: 'the handler failed',
      event: 'bid',
    });
    assert.ok(errorLogs(t).some((l) => l.includes('Bids.bid')));
  });

  const SMUGGLED: ReadonlyArray<readonly [string, () => CaromError]> = [
    [
      'a code of the wrong shape set past the constructor',
      () => Object.assign(new ClientError('m'), { appCode: '<script>' }),
    ],
    [
      'a code that is too long',
      () => Object.assign(new ClientError('m'), { appCode: 'A'.repeat(10_000) }),
    ],
    [
      'a code that is a number',
      () => Object.assign(new CaromError(ErrorCode.FORBIDDEN, 'm'), { appCode: 7 }),
    ],
  ];
  for (const [what, make] of SMUGGLED) {
    it(`${what}: fails closed, generic HANDLER_ERROR without it`, async () => {
      const t = await app();
      const client = await t.connect();
      failure = make;
      const reply = await client.request('bid', undefined, { id: 'b1' });
      assert.deepEqual(reply.data, {
        code: 'HANDLER_ERROR',
        message: 'the handler failed',
        event: 'bid',
      });
    });
  }
});
