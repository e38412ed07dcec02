import 'reflect-metadata';
import { ConfigurationError } from '../protocol/errors.js';
import { isReserved } from '../protocol/names.js';
import { TOPIC, type TopicMetadata, type TopicOptions } from '../core/metadata.js';

/**
 * Declares the event a `Sender` (or `TimedSender`) publishes. Declaring it is
 * what lets clients subscribe to it; `everyMs` sets a `TimedSender`'s period.
 */
export function Topic(event: string, options: TopicOptions = {}): ClassDecorator {
  return (target) => {
    if (typeof event !== 'string' || event.length === 0 || event.includes('*')) {
      throw new ConfigurationError(`@Topic on ${target.name} needs an exact, non-empty event name`);
    }
    if (isReserved(event)) {
      throw new ConfigurationError(`@Topic('${event}') on ${target.name}: the name is reserved`);
    }
    if (options.everyMs !== undefined && !(options.everyMs > 0)) {
      throw new ConfigurationError(`@Topic('${event}') on ${target.name}: everyMs must be > 0`);
    }
    Reflect.defineMetadata(TOPIC, { event, options } satisfies TopicMetadata, target);
  };
}
