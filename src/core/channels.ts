import { ErrorCode } from '../protocol/errors.js';
import { appError, CaromError } from './errors.js';
import { CHANNEL_CREATED, CHANNEL_DELETED } from '../protocol/names.js';
import type { Broker } from './broker.js';
import { checkDelivery, type DeliveryOptions, type DeliveryPolicies } from './delivery.js';
import { type HistoryDeclaration, type HistoryPolicies } from './history-policies.js';
import type { Publisher } from './publisher.js';
import type { Session } from './session.js';
import type { Subscriptions } from './subscriptions.js';
import type { Declaration, Topics } from './topics.js';

const CHANNEL: Declaration = { kind: 'channel', by: 'a channel' };

/**
 * Events declared and removed while the app runs, on every node at once. Every
 * connection hears of each change (`carom.channel.created` /
 * `carom.channel.deleted`); deleting a channel unsubscribes its exact-name
 * subscribers.
 */
export class Channels {
  private count = 0;

  constructor(
    private readonly topics: Topics,
    private readonly index: Subscriptions<Session>,
    private readonly publisher: Publisher,
    private readonly sessions: ReadonlySet<Session>,
    private readonly maxChannels: number,
    private readonly broker: Broker,
    private readonly policies?: DeliveryPolicies,
    private readonly histories?: HistoryPolicies,
  ) {}

  /**
   * Declares a channel and announces it, here and on every other node. Throws
   * when the name is taken or invalid, and a `CaromError` with `LIMIT_EXCEEDED`
   * when `maxChannels` exist already (thrown from a handler, the client is told
   * exactly that). `delivery` gives the channel a delivery policy on this
   * node (the other nodes take the policy of a `topics` family covering the
   * name, if any: declare the family for a cluster). `history` keeps its
   * recent messages for clients that come back, in the broker's store (the
   * other nodes use the history of a `topics` family covering the name: as
   * for delivery, declare the family for a cluster).
   */
  create(name: string, delivery?: DeliveryOptions & HistoryDeclaration): void {
    const where = `channels.create('${name}')`;
    if (delivery !== undefined) checkDelivery(where, delivery);
    const history =
      delivery?.history === undefined
        ? undefined
        : this.histories?.checked(where, delivery.history);
    if (this.count >= this.maxChannels) {
      throw new CaromError(
        ErrorCode.LIMIT_EXCEEDED,
        `cannot create channel: ${this.maxChannels} channels exist already`,
      );
    }
    this.add(name);
    if (delivery !== undefined) this.policies?.set(name, delivery, where);
    if (history !== undefined) this.histories?.set(name, history, where);
    this.broker.channelCreated(name);
  }

  /** Removes a channel and announces it everywhere. Returns false when there was no such channel. */
  delete(name: string): boolean {
    const declared = this.topics.declarationOf(name);
    if (declared === undefined) return false;
    if (declared.kind !== 'channel') {
      throw appError('CAROM_ERR_NOT_A_CHANNEL', name, declared.by);
    }
    this.remove(name);
    this.broker.channelDeleted(name);
    return true;
  }

  /**
   * A channel another node created: declared and announced here too. The
   * cluster agrees on its channels, so `maxChannels` bounds only the ones this
   * node creates. Returns false when the name is already declared here.
   */
  adopt(name: string): boolean {
    if (this.topics.declarationOf(name) !== undefined) return false;
    this.add(name);
    return true;
  }

  /** A channel another node deleted. Returns false when it was not a channel here. */
  forget(name: string): boolean {
    if (!this.has(name)) return false;
    this.remove(name);
    return true;
  }

  private add(name: string): void {
    this.topics.declare(name, CHANNEL);
    this.count++;
    this.publisher.broadcast(CHANNEL_CREATED, { name }, this.sessions);
  }

  private remove(name: string): void {
    this.topics.undeclare(name);
    this.policies?.remove(name);
    this.histories?.remove(name);
    this.count--;
    this.index.dropName(name);
    this.publisher.broadcast(CHANNEL_DELETED, { name }, this.sessions);
  }

  /** True when `name` is a channel. */
  has(name: string): boolean {
    return this.topics.declarationOf(name)?.kind === 'channel';
  }

  /** How many channels exist. */
  get size(): number {
    return this.count;
  }

  /** Every channel's name. */
  list(): string[] {
    return this.topics.names().filter((n) => this.has(n));
  }
}
