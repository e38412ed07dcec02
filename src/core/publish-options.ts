import type { RelayScope } from './broker.js';
import type { Connection } from './connection.js';
import { appError } from './errors.js';
import type { Topics } from './topics.js';

/**
 * Who a publish reaches, beyond "every subscriber of its event". Both fields
 * work across nodes: they travel with the relay.
 */
export interface PublishOptions {
  /**
   * The topics whose subscribers receive it, in place of the event's own: a
   * connection subscribed to several of them gets it once. Each an exact,
   * declared name. The frame still carries the event's name.
   */
  readonly topics?: readonly string[];
  /**
   * One connection (or its id, on any node) that does not receive it: the
   * sender of a chat message, as Socket.IO's `socket.to(room)` leaves it out.
   */
  readonly except?: Connection<any, any, any> | string;
}

/**
 * The relay scope of a publish's options, checked; `undefined` when they ask
 * for nothing beyond a plain publish, which then takes its own faster path.
 */
export function scopeOf(
  event: string,
  options: PublishOptions | undefined,
  topics: Topics,
): RelayScope | undefined {
  if (options === undefined) return undefined;
  const { except } = options;
  const list = options.topics;
  if (list === undefined && except === undefined) return undefined;
  if (list !== undefined) {
    if (!Array.isArray(list) || list.length === 0) {
      throw appError('CAROM_ERR_BAD_PUBLISH_TOPICS', event, 'must be a non-empty array');
    }
    for (const topic of list) {
      if (typeof topic !== 'string' || topic.includes('*') || !topics.isDeclared(topic)) {
        throw appError(
          'CAROM_ERR_BAD_PUBLISH_TOPICS',
          event,
          `must be exact, declared names; ${JSON.stringify(topic)} is not`,
        );
      }
    }
  }
  const exceptId = typeof except === 'string' || except === undefined ? except : except.id;
  return {
    topics: list === undefined ? undefined : [...(list as readonly string[])],
    except: exceptId,
  };
}
