import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Carom, ConfigurationError, Handler, Injectable, On } from '../../src/index.js';

@Injectable()
class Greeter {
  greet(name: string): string {
    return `hello ${name}`;
  }
}

class LoudGreeter extends Greeter {
  override greet(name: string): string {
    return `HELLO ${name.toUpperCase()}`;
  }
}

@On('greet', { dto: false })
class GreetHandler extends Handler<{ name: string }, string> {
  constructor(readonly greeter: Greeter) {
    super();
  }
  handle(data: { name: string }): string {
    return this.greeter.greet(data.name);
  }
}

describe('providers: { provide, useValue }', () => {
  it('stands a ready value in for the class constructors ask for', () => {
    const loud = new LoudGreeter();
    const app = new Carom({
      handlers: [GreetHandler],
      providers: [{ provide: Greeter, useValue: loud }],
    });
    assert.equal(app.get(GreetHandler).greeter, loud);
    assert.equal(app.get(Greeter), loud);
  });

  it('without it, the class itself is constructed', () => {
    const app = new Carom({ handlers: [GreetHandler], providers: [Greeter] });
    assert.ok(!(app.get(GreetHandler).greeter instanceof LoudGreeter));
  });

  it('refuses two values for one class and a provide that is not a class', () => {
    assert.throws(
      () =>
        new Carom({
          providers: [
            { provide: Greeter, useValue: new Greeter() },
            { provide: Greeter, useValue: new LoudGreeter() },
          ],
        }),
      (err: unknown) =>
        err instanceof ConfigurationError && /two values .*Greeter/.test(err.message),
    );
    assert.throws(
      () => new Carom({ providers: [{ provide: 'Greeter' as never, useValue: {} }] }),
      ConfigurationError,
    );
  });
});
