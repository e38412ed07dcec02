/**
 * The table of errors carom raises to the application: every entry has a
 * stable code, its class and one message; the throw sites use it; and the
 * classes are still what `carom` exported in 0.1.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { acceptorOf } from '../../src/transport/index.js';
import {
  CAROM_ERRORS,
  CaromError,
  ClientError,
  ConfigurationError,
  ConnectionRefused,
  ErrorCode,
  Carom,
  Injectable,
  On,
  Sender,
  Topic,
  UsageError,
  type AppErrorCode,
} from '../../src/index.js';
import { appError, appErrorCausedBy } from '../../src/core/errors.js';
import * as wireErrors from '../../src/protocol/errors.js';
import { testApps } from '../support/test-apps.js';

const make = testApps();

/**
 * Arguments for every entry's message. Typed by the table, so an entry added
 * without arguments here does not compile.
 */
const SAMPLES: { readonly [C in AppErrorCode]: Parameters<(typeof CAROM_ERRORS)[C]['message']> } = {
  CAROM_ERR_CONFIGURATION: ['made by hand'],
  CAROM_ERR_USAGE: ['used by hand'],
  CAROM_ERR_BAD_TOPIC_DTO: ['tick', 'TickSender'],
  CAROM_ERR_BAD_ACK: ['chat', 'ChatHandler.handle'],
  CAROM_ERR_ASYNCAPI_CONVERTER_MISSING: [],
  CAROM_ERR_ASYNCAPI_NAME_CLASH: ['Address'],
  CAROM_ERR_BAD_OPTION: ['maxPayload', 'a positive integer', 0],
  CAROM_ERR_EMPTY_EVENT_NAME: ['@On', 'EmptyHandler'],
  CAROM_ERR_NOT_EXACT_NAME: ['@On on Starry', 'room.*'],
  CAROM_ERR_RESERVED_NAME: ['@Topic on Welcome', 'carom.welcome'],
  CAROM_ERR_ALREADY_DECLARED: ['SecondSender', 'dup', 'FirstSender'],
  CAROM_ERR_BAD_TOPIC_FAMILY: ['room*'],
  CAROM_ERR_BAD_PERIOD: ['clock', 'ClockSender'],
  CAROM_ERR_BAD_DELIVERY: [
    "@Topic('price') on PriceSender",
    "delivery must be 'all', 'latest' or 'drop'",
  ],
  CAROM_ERR_BAD_HISTORY: [
    "@Topic('chat') on ChatSender",
    'size must be an integer from 1 to 100000',
  ],
  CAROM_ERR_NOT_A_HANDLER: ['NotAHandler'],
  CAROM_ERR_NOT_A_METHOD: ['@On', 'Broken.handle'],
  CAROM_ERR_BAD_DTO: ['note', 'NoteHandler'],
  CAROM_ERR_PAYLOAD_TYPE_UNKNOWN: ['Notes.onNote', 'note', false],
  CAROM_ERR_UNVALIDATED_HANDLERS: [['Loose.handle', 'Other.handle']],
  CAROM_ERR_SENDER_WITHOUT_TOPIC: ['Untopical'],
  CAROM_ERR_TOPIC_WITHOUT_SENDER: ['NotASender'],
  CAROM_ERR_SENDER_IN_OTHER_APP: ['SharedSender'],
  CAROM_ERR_TIMED_SENDER_WITHOUT_PERIOD: ['Clockless', 'tick'],
  CAROM_ERR_PERIOD_WITHOUT_TIMED_SENDER: ['Periodic'],
  CAROM_ERR_BAD_PROVIDE: [],
  CAROM_ERR_TWO_VALUES: ['Greeter'],
  CAROM_ERR_TWO_INSTANCES: ['Greeter'],
  CAROM_ERR_LISTED_TWICE: ['BidHandler', 'handlers'],
  CAROM_ERR_NOT_A_CLASS: [42],
  CAROM_ERR_CIRCULAR_DEPENDENCY: [['Alpha', 'Beta', 'Alpha']],
  CAROM_ERR_NO_PARAMETER_TYPES: ['Plain', 2],
  CAROM_ERR_NOT_INJECTABLE: ['NeedsString', 1, 'String'],
  CAROM_ERR_NOT_REGISTERED: ['NeedsMissing', 1, 'Missing'],
  CAROM_ERR_UNDECLARED_EVENT: ['publish', 'nope'],
  CAROM_ERR_BAD_SUBSCRIPTION: ['subscribe', 'an empty name'],
  CAROM_ERR_NOT_JSON: ['ping', 'a function'],
  CAROM_ERR_NOT_A_CHANNEL: ['ping', 'PingSender'],
  CAROM_ERR_SENDER_NOT_REGISTERED: ['LoneSender'],
  CAROM_ERR_NO_MESSAGE_DATA: ['LoneSender'],
  CAROM_ERR_FOREIGN_CONNECTION: ['PingSender.sendTo'],
  CAROM_ERR_NOT_AN_APP: ['acceptorOf'],
  CAROM_ERR_ONE_NODE_WITHOUT_TIMED_SENDER: ['Ticker'],
  CAROM_ERR_NO_LEASE_STORE: ['Ticker'],
  CAROM_ERR_NO_ONCE_STORE: [],
  CAROM_ERR_NO_PRESENCE_STORE: [],
  CAROM_ERR_NO_HISTORY_STORE: ["@Topic('chat') on ChatSender"],
  CAROM_ERR_OBSERVER_BOUND: [],
  CAROM_ERR_PEER_MISSING: ['carom/metrics', 'prom-client', 'Cannot find package'],
  CAROM_ERR_PRESENCE_NOT_TRACKED: ['lobby'],
  CAROM_ERR_NOT_STARTED: [],
  CAROM_ERR_APP_CLOSED: [],
  CAROM_ERR_ALREADY_ATTACHED: [],
  CAROM_ERR_GET_UNREGISTERED: ['Stranger'],
  CAROM_ERR_BAD_APP_CODE: ['bid too low'],
  CAROM_ERR_NEXT_TWICE: ['timing', 'Bids.handle'],
  CAROM_ERR_NEXT_LATE: ['timing', 'Bids.handle'],
  CAROM_ERR_START_HOOK_FAILED: ['Database'],
  CAROM_ERR_BAD_ARGUMENT: ['close', 'graceMs', '0 or a positive number', -1],
  CAROM_ERR_BAD_CLIENT_ADDRESS: ['number'],
  CAROM_ERR_FAMILY_WITHOUT_SENDER: ['AuctionSender', 'auction.*'],
  CAROM_ERR_NOT_A_FAMILY: ['AuctionSender', 'auction'],
  CAROM_ERR_NOT_A_MEMBER: ['auction.*', 'room.lamp'],
  CAROM_ERR_BAD_PUBLISH_TOPICS: ['news', 'must be a non-empty array'],
  CAROM_ERR_ASK_UNSUPPORTED: ['c1', 'confirm'],
};

/** The codes of 0.2. A code is never renamed or given another meaning; new ones are added here. */
const STABLE_CODES = Object.keys(SAMPLES).sort();

function errorOf(code: AppErrorCode): ConfigurationError | UsageError {
  return (appError as (c: AppErrorCode, ...a: unknown[]) => ConfigurationError | UsageError)(
    code,
    ...(SAMPLES[code] as readonly unknown[]),
  );
}

describe('the error table', () => {
  it('holds the stable codes, each CAROM_ERR_ and upper case', () => {
    assert.deepEqual(Object.keys(CAROM_ERRORS).sort(), STABLE_CODES);
    for (const code of STABLE_CODES) assert.match(code, /^CAROM_ERR_[A-Z]+(?:_[A-Z]+)*$/);
  });

  for (const [code, entry] of Object.entries(CAROM_ERRORS)) {
    it(`${code} makes a ${entry.type.name} carrying its code`, () => {
      const error = errorOf(code as AppErrorCode);
      assert.ok(error instanceof entry.type);
      assert.ok(error instanceof Error);
      assert.equal(error.constructor, entry.type);
      assert.equal(error.name, entry.type.name);
      assert.equal(error.code, code);
      assert.ok(error.message.length > 0);
      for (const arg of SAMPLES[code as AppErrorCode] as readonly unknown[]) {
        if (typeof arg === 'string') assert.ok(error.message.includes(arg), error.message);
      }
    });
  }

  it('gives every mistake its own message', () => {
    const messages = STABLE_CODES.map((code) => errorOf(code as AppErrorCode).message);
    assert.equal(new Set(messages).size, messages.length);
  });

  it('sorts each entry into the class its kind of mistake belongs to', () => {
    const usage = STABLE_CODES.filter((c) => CAROM_ERRORS[c as AppErrorCode].type === UsageError);
    for (const code of [
      'CAROM_ERR_UNDECLARED_EVENT',
      'CAROM_ERR_SENDER_NOT_REGISTERED',
      'CAROM_ERR_NOT_AN_APP',
      'CAROM_ERR_PRESENCE_NOT_TRACKED',
      'CAROM_ERR_NOT_STARTED',
      'CAROM_ERR_APP_CLOSED',
      'CAROM_ERR_NOT_JSON',
      'CAROM_ERR_GET_UNREGISTERED',
    ]) {
      assert.ok(usage.includes(code), code);
    }
    assert.equal(CAROM_ERRORS.CAROM_ERR_BAD_OPTION.type, ConfigurationError);
    assert.equal(CAROM_ERRORS.CAROM_ERR_NO_PRESENCE_STORE.type, ConfigurationError);
    assert.equal(CAROM_ERRORS.CAROM_ERR_NOT_REGISTERED.type, ConfigurationError);
    assert.equal(CAROM_ERRORS.CAROM_ERR_LISTED_TWICE.type, ConfigurationError);
  });

  it('keeps a cause when one is given', () => {
    const cause = new TypeError('cycle');
    const error = appErrorCausedBy(cause, 'CAROM_ERR_NOT_JSON', 'ping', 'cycle');
    assert.equal(error.cause, cause);
    assert.equal(appError('CAROM_ERR_APP_CLOSED').cause, undefined);
  });

  it('errors made by hand still work, with the generic codes', () => {
    assert.equal(new ConfigurationError('x').code, 'CAROM_ERR_CONFIGURATION');
    assert.equal(new UsageError('y').code, 'CAROM_ERR_USAGE');
    assert.equal(new ConfigurationError('x').message, 'x');
  });
});

describe('the classes', () => {
  it('CaromError and ClientError carry wire codes; ConnectionRefused its reason', () => {
    const client = new ClientError('room is full', { details: { room: 'a' } });
    assert.ok(client instanceof CaromError);
    assert.equal(client.code, ErrorCode.HANDLER_ERROR);
    assert.equal(new CaromError(ErrorCode.FORBIDDEN, 'no').code, 'FORBIDDEN');
    assert.equal(new ConnectionRefused().message, 'unauthorized');
    assert.equal(new ConnectionRefused('banned').name, 'ConnectionRefused');
  });

  it('the protocol layer exports only the wire codes', () => {
    assert.deepEqual(Object.keys(wireErrors).sort(), ['CloseCode', 'ErrorCode']);
  });
});

@Topic('ping')
class PingSender extends Sender<unknown> {}

@Topic('lone')
class LoneSender extends Sender<unknown> {}

@Injectable()
class Missing {}

@On('needs', { dto: false })
class NeedsMissing {
  constructor(readonly missing: Missing) {}
  handle(): void {}
}

describe('throw sites use the table', () => {
  it('app.publish of an undeclared name: CAROM_ERR_UNDECLARED_EVENT', async () => {
    const t = await make({ senders: [PingSender] });
    assert.throws(() => t.app.publish('nope', {}), {
      name: 'UsageError',
      code: 'CAROM_ERR_UNDECLARED_EVENT',
      message: "cannot publish 'nope': no sender, channel or topic family declares it",
    });
  });

  it('publishing data that is not JSON: CAROM_ERR_NOT_JSON, with the cause', async () => {
    const t = await make({ senders: [PingSender] });
    const c = await t.connect();
    await c.subscribe('ping');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(
      () => t.app.publish('ping', cyclic),
      (err: unknown) =>
        err instanceof UsageError &&
        err.code === 'CAROM_ERR_NOT_JSON' &&
        err.cause instanceof Error,
    );
    assert.throws(() => c.connection!.send('ping', () => 1), { code: 'CAROM_ERR_NOT_JSON' });
  });

  it('a sender never registered: CAROM_ERR_SENDER_NOT_REGISTERED, as a rejection', async () => {
    const lone = new LoneSender();
    await assert.rejects(lone.send({}), {
      name: 'UsageError',
      code: 'CAROM_ERR_SENDER_NOT_REGISTERED',
    });
    assert.throws(() => lone.event, { code: 'CAROM_ERR_SENDER_NOT_REGISTERED' });
  });

  it('send() without data on a sender with no createMessageData: CAROM_ERR_NO_MESSAGE_DATA', async () => {
    const t = await make({ senders: [PingSender] });
    await assert.rejects(t.app.get(PingSender).send(), { code: 'CAROM_ERR_NO_MESSAGE_DATA' });
  });

  it('a constructor parameter not registered: CAROM_ERR_NOT_REGISTERED', () => {
    assert.throws(() => new Carom({ handlers: [NeedsMissing], logLevel: 'fatal' }), {
      name: 'ConfigurationError',
      code: 'CAROM_ERR_NOT_REGISTERED',
    });
  });

  it('a reserved name in @On: CAROM_ERR_RESERVED_NAME', () => {
    assert.throws(
      () => On('carom.mine')(class Reserved {}),
      (err: unknown) =>
        err instanceof ConfigurationError &&
        err.code === 'CAROM_ERR_RESERVED_NAME' &&
        err.message.includes("'carom.mine'"),
    );
  });

  it('a closed app: CAROM_ERR_APP_CLOSED; close with a bad graceMs: CAROM_ERR_BAD_ARGUMENT', async () => {
    const app = new Carom({ logLevel: 'fatal' });
    await assert.rejects(app.close({ graceMs: -1 }), {
      name: 'UsageError',
      code: 'CAROM_ERR_BAD_ARGUMENT',
      message: 'close: graceMs must be 0 or a positive number, got -1',
    });
    await app.close();
    assert.throws(() => app.start(), { name: 'UsageError', code: 'CAROM_ERR_APP_CLOSED' });
  });

  it('acceptorOf on an object that is not an app: CAROM_ERR_NOT_AN_APP', () => {
    assert.throws(() => acceptorOf({} as Carom), {
      name: 'UsageError',
      code: 'CAROM_ERR_NOT_AN_APP',
      message: 'acceptorOf: that is not a carom app',
    });
  });

  it('attaching twice: CAROM_ERR_ALREADY_ATTACHED', async () => {
    const app = new Carom({ logLevel: 'fatal', heartbeatMs: 0 });
    const server = createServer();
    try {
      app.attach(server);
      assert.throws(() => app.attach(server), { code: 'CAROM_ERR_ALREADY_ATTACHED' });
    } finally {
      await app.close();
    }
  });

  it('deleting a name that is not a channel: CAROM_ERR_NOT_A_CHANNEL', async () => {
    const t = await make({ senders: [PingSender] });
    assert.throws(() => t.app.channels.delete('ping'), {
      name: 'UsageError',
      code: 'CAROM_ERR_NOT_A_CHANNEL',
    });
  });
});
