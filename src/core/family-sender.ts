import type { MemberOf } from '../protocol/event-map.js';
import type { Connection } from './connection.js';
import type { Class } from './container.js';
import { appError } from './errors.js';
import type { TopicMetadata } from './metadata.js';
import { scopeOf, type PublishOptions } from './publish-options.js';
import { kBinding, kPayload } from './sender.js';
import type { SenderParts } from './sender-binding.js';

/** How a family sender reaches its app. */
interface FamilyBinding {
  readonly family: string;
  /** The family's prefix with its dot: `auction.` for `auction.*`. */
  readonly prefix: string;
  readonly parts: SenderParts;
}

/**
 * Base class of a sender for a family of topics: `@Topic('auction.*')` on a
 * subclass declares the family (every name under `auction.`, as the `topics`
 * option's `auction.*` does), and `sender.to('auction.lamp')` publishes to one
 * member, typed by `T`:
 *
 * ```ts
 * @Topic('auction.*')
 * class AuctionSender extends FamilySender<Lot, 'auction.*'> {}
 * auctions.to('auction.lamp').send({ lot: 'lamp', price: 40 });
 * ```
 *
 * @typeParam T - the payload every member publishes.
 * @typeParam F - the family pattern; it types the names `to` accepts.
 */
export abstract class FamilySender<T = unknown, F extends string = string> {
  /** @internal */
  [kBinding]: FamilyBinding | undefined;
  /** @internal Type only: the payload, for the typed `@Topic`'s check. */
  declare readonly [kPayload]?: (data: T) => T;

  /** The family this sender publishes to: `auction.*`. */
  get family(): string {
    return this.binding().family;
  }

  /**
   * A sender for one member of the family (`auction.lamp`). Throws a
   * `UsageError` for a name that is not an exact name under the family's
   * prefix.
   */
  to(member: MemberOf<F>): MemberSender<T> {
    const binding = this.binding();
    const name: unknown = member;
    if (
      typeof name !== 'string' ||
      name.length <= binding.prefix.length ||
      !name.startsWith(binding.prefix) ||
      name.includes('*')
    ) {
      throw appError('CAROM_ERR_NOT_A_MEMBER', binding.family, name);
    }
    return new MemberSender<T>(name, binding.parts);
  }

  private binding(): FamilyBinding {
    const binding = this[kBinding];
    if (!binding) throw appError('CAROM_ERR_SENDER_NOT_REGISTERED', this.constructor.name);
    return binding;
  }
}

/** One member of a family, as `FamilySender.to` gives it: publishes under that name. */
export class MemberSender<T = unknown> {
  readonly #parts: SenderParts;
  readonly #eventJson: string;

  /** @internal Made by `FamilySender.to`. */
  constructor(
    /** The member's name: `auction.lamp`. */
    readonly event: string,
    parts: SenderParts,
  ) {
    this.#parts = parts;
    this.#eventJson = JSON.stringify(event);
  }

  /**
   * Publishes to the member's subscribers (pattern subscribers of the family
   * included), here and on every node; returns how many of this node's
   * connections received it. `options` leaves one connection out or adds
   * topics ({@link PublishOptions}). Throws a `UsageError` for data that is
   * not JSON.
   */
  send(data: T, options?: PublishOptions): number {
    const { publisher, topics } = this.#parts;
    const scope = scopeOf(this.event, options, topics);
    if (scope !== undefined)
      return publisher.publishScoped(this.event, data, scope, this.#eventJson);
    return publisher.publish(this.event, data, this.#eventJson);
  }

  /**
   * Sends the member's event to one connection, subscribed or not; by id, on
   * whichever node holds it (true once on its way). False when it is closed.
   */
  sendTo(connection: Connection<any, any, any> | string, data: T): boolean {
    const { publisher, sessionOf, sendToId } = this.#parts;
    const frame = publisher.frame(this.event, data, this.#eventJson);
    if (typeof connection === 'string') {
      sendToId(connection, frame);
      return true;
    }
    const session = sessionOf(connection as Connection);
    if (!session) throw appError('CAROM_ERR_FOREIGN_CONNECTION', `${this.event} sendTo`);
    return session.write(frame);
  }

  /** How many of this node's connections would receive a publish now. */
  get subscriberCount(): number {
    return this.#parts.index.recipients(this.event).length;
  }
}

/**
 * Binds a family sender: declares its family and gives it what `to` needs. A
 * family on a plain `Sender`, an exact name on a `FamilySender`, or a period
 * (families are not timed) throws a `ConfigurationError`.
 */
export function bindFamily(
  cls: Class,
  sender: unknown,
  topic: TopicMetadata,
  parts: SenderParts,
): void {
  const { event } = topic;
  if (!(sender instanceof FamilySender)) {
    throw appError('CAROM_ERR_FAMILY_WITHOUT_SENDER', cls.name, event);
  }
  if (!event.endsWith('.*')) throw appError('CAROM_ERR_NOT_A_FAMILY', cls.name, event);
  if (topic.options.everyMs !== undefined || topic.options.onOneNode !== undefined) {
    throw appError('CAROM_ERR_PERIOD_WITHOUT_TIMED_SENDER', cls.name);
  }
  if (sender[kBinding]) throw appError('CAROM_ERR_SENDER_IN_OTHER_APP', cls.name);
  parts.topics.declareFamily(event);
  const where = `@Topic('${event}') on ${cls.name}`;
  parts.policies?.set(event, topic.options, where);
  parts.histories?.set(event, topic.options.history, where);
  sender[kBinding] = { family: event, prefix: event.slice(0, -1), parts };
}
