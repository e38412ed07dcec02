import assert from 'node:assert/strict';
import type { SubscriptionAck } from '../../src/client/index.js';

/**
 * The two lists a subscribe or unsubscribe ack names, after checking that
 * the ack is still the 0.1 list of events as well (the deprecated use).
 */
export function ackLists(ack: SubscriptionAck | undefined): {
  events: string[];
  excluded: string[];
} {
  assert.ok(Array.isArray(ack), 'the ack is still the list of events, as in 0.1');
  assert.deepEqual([...ack], ack.events);
  return { events: ack.events, excluded: ack.excluded };
}
