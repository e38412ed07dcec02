import { INJECTABLE } from '../core/metadata.js';

/**
 * Marks a class the app may construct and inject (a service). Any class
 * decorator makes TypeScript record constructor parameter types; this one
 * exists for classes that have no other carom decorator.
 */
export function Injectable(): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(INJECTABLE, true, target);
  };
}
