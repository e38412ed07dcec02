import 'reflect-metadata';
import { checkDelivery } from '../core/delivery.js';
import { appError } from '../core/errors.js';
import { isApplicationClass } from '../core/container.js';
import { isReserved } from '../protocol/names.js';
import { TOPIC, type TopicMetadata, type TopicOptions } from '../core/metadata.js';

/**
 * Declares the event a `Sender` (or `TimedSender`) publishes. Declaring it is
 * what lets clients subscribe to it; `everyMs` sets a `TimedSender`'s period;
 * `delivery` (and `key`) what a backlogged connection gets of it.
 */
export function Topic(event: string, options: TopicOptions = {}): ClassDecorator {
  return (target) => {
    const where = `@Topic('${String(event)}') on ${target.name}`;
    if (typeof event !== 'string' || event.length === 0) {
      throw appError('CAROM_ERR_EMPTY_EVENT_NAME', '@Topic', target.name);
    }
    if (event.includes('*')) throw appError('CAROM_ERR_NOT_EXACT_NAME', where, event);
    if (isReserved(event)) throw appError('CAROM_ERR_RESERVED_NAME', where, event);
    if (options.everyMs !== undefined && !(options.everyMs > 0)) {
      throw appError('CAROM_ERR_BAD_PERIOD', event, target.name);
    }
    checkDelivery(where, options);
    if (options.dto !== undefined && !isApplicationClass(options.dto)) {
      throw appError('CAROM_ERR_BAD_TOPIC_DTO', event, target.name);
    }
    Reflect.defineMetadata(TOPIC, { event, options } satisfies TopicMetadata, target);
  };
}
