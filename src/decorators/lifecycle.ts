import { appendOwn, CONNECT_HOOKS, DISCONNECT_HOOKS, INJECTABLE } from '../core/metadata.js';

/**
 * Runs the method with `(connection)` when a connection opens, before any of
 * its envelopes is handled. A hook that throws closes the connection with 1011.
 */
export function OnConnect(): MethodDecorator {
  return (target, propertyKey) => appendOwn(CONNECT_HOOKS, target, propertyKey);
}

/**
 * Runs the method with `(connection)` after a connection closed. Its
 * subscriptions are already removed from the app, but `connection.topics`
 * still lists them, so the hook can tell the rooms it left.
 */
export function OnDisconnect(): MethodDecorator {
  return (target, propertyKey) => appendOwn(DISCONNECT_HOOKS, target, propertyKey);
}

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

/**
 * Marks the parameter that receives the payload. Its type, when a class, is the
 * DTO the payload is validated against; the decorator is also what makes
 * TypeScript record that type on a `handle` method.
 */
export function Payload(): ParameterDecorator {
  return () => undefined;
}
