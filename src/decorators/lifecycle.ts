import { appendOwn, CONNECT_HOOKS, DISCONNECT_HOOKS } from '../core/metadata.js';

/**
 * Runs the method with `(connection)` when a connection opens, before any of
 * its envelopes is handled. A hook that throws closes the connection with 1011.
 */
export function OnConnect(): MethodDecorator {
  return (target, propertyKey) => appendOwn(CONNECT_HOOKS, target, propertyKey);
}

/**
 * Runs the method with `(connection)` after a connection closed. Its
 * subscriptions are already removed from the app, but `connection.subscriptions`
 * still lists them, so the hook can tell the rooms it left.
 */
export function OnDisconnect(): MethodDecorator {
  return (target, propertyKey) => appendOwn(DISCONNECT_HOOKS, target, propertyKey);
}
