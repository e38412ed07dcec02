/**
 * Mistakes in what is passed to `new Carom` are errors with stable codes: a
 * class listed twice in one list, and `app.get` of a class the app never
 * registered. Playing two parts (a sender that also handles events) is not one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Carom,
  ConfigurationError,
  Handler,
  Injectable,
  On,
  Sender,
  Topic,
  UsageError,
  type CaromOptions,
} from '../../src/index.js';
import { createTestApp } from '../../src/testing/index.js';

@On('bid', { dto: false })
class BidHandler extends Handler<unknown, number> {
  bids = 0;
  handle(): number {
    return ++this.bids;
  }
}

@Topic('price')
class PriceSender extends Sender<number> {}

@Injectable()
class Ledger {}

/** Constructed only when something asks for it; counts how often. */
@Injectable()
class Stranger {
  static made = 0;
  constructor() {
    Stranger.made++;
  }
}

/** A sender that also answers an event: listed in `senders` and in `handlers`. */
@Topic('lot')
class LotDesk extends Sender<string> {
  asked = 0;
  @On('lot.ask', { dto: false })
  ask(): string {
    this.asked++;
    return 'lamp';
  }
}

function build(options: CaromOptions): Carom {
  return new Carom({ logLevel: 'silent', ...options });
}

function listedTwice(name: string, list: string) {
  return (err: unknown) =>
    err instanceof ConfigurationError &&
    err.code === 'CAROM_ERR_LISTED_TWICE' &&
    err.message.includes(name) &&
    err.message.includes(`\`${list}\``);
}

describe('a class listed twice', () => {
  it('in handlers is refused, whether as the class, the instance or both', () => {
    const bids = new BidHandler();
    assert.throws(
      () => build({ handlers: [BidHandler, BidHandler] }),
      listedTwice('BidHandler', 'handlers'),
    );
    assert.throws(() => build({ handlers: [bids, bids] }), listedTwice('BidHandler', 'handlers'));
    assert.throws(
      () => build({ handlers: [BidHandler, bids] }),
      listedTwice('BidHandler', 'handlers'),
    );
    // Two different instances keep their own code.
    assert.throws(() => build({ handlers: [bids, new BidHandler()] }), {
      code: 'CAROM_ERR_TWO_INSTANCES',
    });
  });

  it('in handlers, listed once, runs once per envelope', async () => {
    const t = await createTestApp({ handlers: [BidHandler] });
    try {
      const c = await t.connect();
      assert.equal((await c.request('bid', {})).data, 1);
      assert.equal(t.app.get(BidHandler).bids, 1);
    } finally {
      await t.close();
    }
  });

  it('in senders is refused as listed twice, not as registered with another app', () => {
    const price = new PriceSender();
    for (const senders of [
      [PriceSender, PriceSender],
      [price, price],
      [PriceSender, price],
    ]) {
      assert.throws(() => build({ senders }), listedTwice('PriceSender', 'senders'));
    }
  });

  it('in two apps, a sender instance is refused as registered with another app', async () => {
    const price = new PriceSender();
    const first = build({ senders: [price] });
    try {
      assert.throws(() => build({ senders: [price] }), {
        name: 'ConfigurationError',
        code: 'CAROM_ERR_SENDER_IN_OTHER_APP',
      });
    } finally {
      await first.close();
    }
  });

  it('in providers is refused, a value provider too', () => {
    const ledger = new Ledger();
    assert.throws(() => build({ providers: [Ledger, Ledger] }), listedTwice('Ledger', 'providers'));
    assert.throws(
      () =>
        build({
          providers: [
            { provide: Ledger, useValue: ledger },
            { provide: Ledger, useValue: ledger },
          ],
        }),
      listedTwice('Ledger', 'providers'),
    );
  });

  it('in two lists, for two parts, is one instance whose handlers run once', async () => {
    const t = await createTestApp({ senders: [LotDesk], handlers: [LotDesk] });
    try {
      const c = await t.connect();
      await c.subscribe('lot');
      assert.equal((await c.request('lot.ask', {})).data, 'lamp');
      const desk = t.app.get(LotDesk);
      assert.equal(desk.asked, 1);
      assert.equal(await desk.send('lamp'), 1);
    } finally {
      await t.close();
    }
  });
});

describe('app.get', () => {
  it('of a class never registered throws CAROM_ERR_GET_UNREGISTERED and constructs nothing', async () => {
    const app = build({ handlers: [BidHandler] });
    try {
      const before = Stranger.made;
      assert.throws(
        () => app.get(Stranger),
        (err: unknown) =>
          err instanceof UsageError &&
          err.code === 'CAROM_ERR_GET_UNREGISTERED' &&
          err.message.includes('Stranger'),
      );
      assert.equal(Stranger.made, before);
      assert.throws(() => app.get('Stranger' as never), { code: 'CAROM_ERR_GET_UNREGISTERED' });
    } finally {
      await app.close();
    }
  });

  it('of a registered class, a provider or the app itself returns the one instance', async () => {
    const app = build({ handlers: [BidHandler], providers: [Stranger] });
    try {
      assert.ok(app.get(BidHandler) instanceof BidHandler);
      assert.equal(app.get(Stranger), app.get(Stranger));
      assert.equal(app.get(Carom), app);
    } finally {
      await app.close();
    }
  });
});
