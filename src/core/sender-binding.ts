import { appError } from './errors.js';
import type { Frame } from '../protocol/frame.js';
import type { Connection } from './connection.js';
import type { DeliveryPolicies } from './delivery.js';
import type { HistoryPolicies } from './history-policies.js';
import type { Class, Container } from './container.js';
import { readTopic } from './metadata.js';
import { MAX_TIMER_MS } from './options.js';
import type { Publisher } from './publisher.js';
import { bindFamily, FamilySender } from './family-sender.js';
import { scopeOf } from './publish-options.js';
import { kBinding, Sender, TimedSender, type SenderBinding } from './sender.js';
import type { Session } from './session.js';
import type { Subscriptions } from './subscriptions.js';
import type { Scheduler } from './scheduler.js';
import type { Topics } from './topics.js';

/** The parts of an app a sender is bound to. */
export interface SenderParts {
  readonly container: Container;
  readonly topics: Topics;
  readonly publisher: Publisher;
  /** The session behind a connection of this app; read when `sendTo` runs, not before. */
  readonly sessionOf: (connection: Connection) => Session | undefined;
  /** Sends a frame to a connection by id, on whichever node holds it. */
  readonly sendToId: (connectionId: string, frame: Frame) => void;
  readonly index: Subscriptions<Session>;
  readonly scheduler: Scheduler;
  /** Where the topic's delivery policy goes, when it has one. */
  readonly policies?: DeliveryPolicies;
  /** Where the topic's history goes, when it has one. */
  readonly histories?: HistoryPolicies;
}

/**
 * Binds the registered sender class `cls` to one app: declares its `@Topic`,
 * gives the instance what `send`, `sendTo` and `subscriberCount` need, and
 * schedules it when it is a `TimedSender`. Every way of getting a sender wrong
 * (no `@Topic`, not a `Sender`, bound to another app, a period on the wrong
 * class or none on a `TimedSender`) throws a `ConfigurationError` here, when
 * the app is built; `sendTo` with another app's connection throws a `UsageError`.
 */
export function bindSender(cls: Class, parts: SenderParts): void {
  const topic = readTopic(cls);
  if (!topic) {
    throw appError('CAROM_ERR_SENDER_WITHOUT_TOPIC', cls.name);
  }
  const sender = parts.container.get(cls);
  if (sender instanceof FamilySender || topic.event.endsWith('.*')) {
    bindFamily(cls, sender, topic, parts);
    return;
  }
  if (!(sender instanceof Sender)) {
    throw appError('CAROM_ERR_TOPIC_WITHOUT_SENDER', cls.name);
  }
  if (sender[kBinding]) {
    throw appError('CAROM_ERR_SENDER_IN_OTHER_APP', cls.name);
  }
  parts.topics.declare(topic.event, { kind: 'sender', by: cls.name });
  const where = `@Topic('${topic.event}') on ${cls.name}`;
  parts.policies?.set(topic.event, topic.options, where);
  parts.histories?.set(topic.event, topic.options.history, where);
  const { event } = topic;
  // Serialized once per sender: every publish splices the same JSON name into its frame.
  const eventJson = JSON.stringify(event);
  const { publisher, sessionOf, index } = parts;
  const timed = sender instanceof TimedSender;
  // A timed sender that runs on every node serves that node's subscribers: relaying its
  // ticks too would give every subscriber one per node.
  const here = timed && topic.options.onOneNode !== true;
  const { topics } = parts;
  const binding: SenderBinding = {
    event,
    publish: (data, options) => {
      const scope = scopeOf(event, options, topics);
      if (scope !== undefined) return publisher.publishScoped(event, data, scope, eventJson);
      return here
        ? publisher.publishHere(event, data, eventJson)
        : publisher.publish(event, data, eventJson);
    },
    sendTo: (connection, data) => {
      const obs = publisher.observer;
      if (typeof connection === 'string') {
        parts.sendToId(connection, publisher.frame(event, data, eventJson));
        // Counted where it is sent from: the connection may be on another node.
        if (obs !== undefined) obs.sent(event, 1);
        return true;
      }
      const session = sessionOf(connection);
      if (!session) throw appError('CAROM_ERR_FOREIGN_CONNECTION', `${cls.name}.sendTo`);
      const wrote = session.write(publisher.frame(event, data, eventJson));
      if (wrote && obs !== undefined) obs.sent(event, 1);
      return wrote;
    },
    subscriberCount: () => index.recipients(event).length,
  };
  sender[kBinding] = binding;
  if (sender instanceof TimedSender) {
    const everyMs = periodOf(sender, topic.options.everyMs, cls.name, event);
    parts.scheduler.add(sender, binding, everyMs, topic.options.onOneNode === true);
  } else if (topic.options.everyMs) {
    throw appError('CAROM_ERR_PERIOD_WITHOUT_TIMED_SENDER', cls.name);
  } else if (topic.options.onOneNode) {
    throw appError('CAROM_ERR_ONE_NODE_WITHOUT_TIMED_SENDER', cls.name);
  }
}

/**
 * A timed sender's period: the instance's `everyMs` when it sets one, else the
 * decorator's. Checked here, once: it must be a positive number a timer can take.
 */
function periodOf(
  sender: TimedSender,
  fromTopic: number | undefined,
  name: string,
  event: string,
): number {
  const own: unknown = sender.everyMs;
  const everyMs = own ?? fromTopic;
  if (everyMs === undefined) throw appError('CAROM_ERR_TIMED_SENDER_WITHOUT_PERIOD', name, event);
  if (typeof everyMs !== 'number' || !(everyMs > 0) || everyMs > MAX_TIMER_MS) {
    throw appError('CAROM_ERR_BAD_PERIOD', event, name);
  }
  return everyMs;
}
