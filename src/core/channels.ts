import { ConfigurationError } from '../protocol/errors.js';
import { CHANNEL_CREATED, CHANNEL_DELETED } from '../protocol/names.js';
import type { Publisher } from './publisher.js';
import type { Session } from './session.js';
import type { Subscriptions } from './subscriptions.js';
import type { Topics } from './topics.js';

const OWNER = 'a channel';

/**
 * Events declared and removed while the app runs. Every connection hears of
 * each change (`carom.channel.created` / `carom.channel.deleted`); deleting a
 * channel unsubscribes its exact-name subscribers.
 */
export class Channels {
  constructor(
    private readonly topics: Topics,
    private readonly index: Subscriptions<Session>,
    private readonly publisher: Publisher,
    private readonly sessions: ReadonlySet<Session>,
  ) {}

  /** Declares a channel and announces it. Throws when the name is taken or invalid. */
  create(name: string): void {
    this.topics.declare(name, OWNER);
    this.publisher.broadcast(CHANNEL_CREATED, { name }, this.sessions);
  }

  /** Removes a channel and announces it. Returns false when there was no such channel. */
  delete(name: string): boolean {
    const owner = this.topics.ownerOf(name);
    if (owner === undefined) return false;
    if (owner !== OWNER) {
      throw new ConfigurationError(`'${name}' is declared by ${owner}, not by a channel`);
    }
    this.topics.undeclare(name);
    this.index.dropName(name);
    this.publisher.broadcast(CHANNEL_DELETED, { name }, this.sessions);
    return true;
  }

  /** True when `name` is a channel. */
  has(name: string): boolean {
    return this.topics.ownerOf(name) === OWNER;
  }

  /** Every channel's name. */
  list(): string[] {
    return this.topics.names().filter((n) => this.topics.ownerOf(n) === OWNER);
  }
}
