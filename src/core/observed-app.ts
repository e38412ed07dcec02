import {
  CHANNEL_CREATED,
  CHANNEL_DELETED,
  PING,
  PRESENCE,
  RESERVED_EVENTS,
  WELCOME,
} from '../protocol/names.js';
import type { Broker } from './broker.js';
import type { DeliveryStats } from './delivery.js';
import { OTHER_EVENT, type ObservedApp, type ObservedStats } from './observer.js';
import type { HandlerEntry } from './registry.js';
import type { Topics } from './topics.js';

/** The figures a transport keeps for itself, as an observer reads them. */
export interface TransportFigures {
  readonly refusals: Readonly<Record<string, number>>;
  readonly cut: { readonly slowConsumers: number };
  bufferedBytes(): number;
}

/** What the app hands {@link observedApp}. */
export interface ObservedParts {
  readonly stats: () => ObservedStats;
  readonly broker: Broker;
  readonly deliveryStats: () => DeliveryStats;
  readonly transport: TransportFigures;
  readonly handlers: ReadonlyMap<string, readonly HandlerEntry[]>;
  readonly topics: Topics;
}

/** The framework's own events: a fixed list a client cannot add to. */
const FRAMEWORK: ReadonlySet<string> = new Set([
  PING,
  WELCOME,
  PRESENCE,
  CHANNEL_CREATED,
  CHANNEL_DELETED,
]);

/** The app as an observer reads it when asked for figures; nothing here runs per message. */
export function observedApp(parts: ObservedParts): ObservedApp {
  const { broker, transport, handlers, topics } = parts;
  return {
    stats: parts.stats,
    brokerStats: () => broker.stats(),
    deliveryStats: parts.deliveryStats,
    refusals: () => transport.refusals,
    slowConsumers: () => transport.cut.slowConsumers,
    bufferedBytes: () => transport.bufferedBytes(),
    eventLabel: (event) => {
      if (handlers.has(event) || RESERVED_EVENTS.has(event) || FRAMEWORK.has(event)) return event;
      return topics.topicOf(event) ?? OTHER_EVENT;
    },
  };
}
