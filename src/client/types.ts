import type { EventMapOf, ReceivableEvent, ReceiveData } from '../protocol/event-map.js';
import type { WireEnvelope } from '../protocol/wire.js';
import type { EventRecovery } from './recovery.js';

/**
 * The typed event map shared by clients and servers. Its definitions live in
 * src/protocol/event-map.ts, which the server's classes read too, so one map
 * types both ends:
 *
 * ```ts
 * type Chat = {
 *   chat: { send: { text: string }; ack: { ok: true }; receive: { from: string; text: string } };
 *   clock: { receive: { now: string } };
 * };
 * ```
 */
export type {
  AckData,
  AnswerData,
  AnyEvents,
  AskableEvent,
  AskData,
  EventMap,
  EventMapOf,
  EventSpec,
  ReceivableEvent,
  ReceiveData,
  SendableEvent,
  SendData,
} from '../protocol/event-map.js';

/** A member of a topic, as a `carom.presence` notice names it. */
export interface PresenceMember {
  /** The connection's id. */
  readonly connectionId: string;
  /** The node the connection is on; `''` on a lone server. */
  readonly node: string;
  /** What the server's `authenticate` returned for the connection (`null` when not JSON). */
  readonly user?: unknown;
}

/** The data of `carom.presence`: one connection joined or left `topic`. */
export type PresenceNotice =
  | {
      /** The tracked topic. */
      readonly topic: string;
      /** Who joined it. */
      readonly joined: PresenceMember;
    }
  | {
      /** The tracked topic. */
      readonly topic: string;
      /** Who left it. */
      readonly left: PresenceMember;
    };

/** The data of `carom.channel.created` and `carom.channel.deleted`. */
export interface ChannelNotice {
  /** The channel's name. */
  readonly name: string;
}

/**
 * The events a carom server sends on its own behalf that reach `on`
 * listeners, whatever the application's map says: channel notices go to every
 * connection, presence notices to a tracked topic's subscribers.
 * (`carom.welcome`, `ack` and `error` are the client's own business.)
 */
export interface ReservedEvents {
  /** A channel was declared: to every connection. */
  'carom.channel.created': Record<'receive', ChannelNotice>;
  /** A channel was removed: to every connection. */
  'carom.channel.deleted': Record<'receive', ChannelNotice>;
  /** A connection joined or left a tracked topic: to the topic's subscribers. */
  'carom.presence': Record<'receive', PresenceNotice>;
}

/** An event `on` takes by name: one the map lets a client receive, or a reserved one. */
export type ListenableEvent<M extends EventMapOf<M>> = ReceivableEvent<M> | keyof ReservedEvents;

/** The data a listener of `K` gets. */
export type ListenData<M extends EventMapOf<M>, K> = K extends keyof ReservedEvents
  ? ReservedEvents[K]['receive']
  : K extends keyof M
    ? ReceiveData<M, K>
    : never;

/** `a` and `a.b` for `a.b.c`: the dot prefixes of a name, as the protocol's pattern walk sees them. */
type DotPrefixes<S, Before extends string = ''> = S extends `${infer Head}.${infer Tail}`
  ? `${Before}${Head}` | DotPrefixes<Tail, `${Before}${Head}.`>
  : never;

/** True when the map is untyped (`AnyEvents`, or any map with a string index). */
type IsUntyped<M extends EventMapOf<M>> = string extends ReceivableEvent<M> ? true : false;

/**
 * A pattern `on` takes: `*`, or `prefix.*` for a dot prefix of some event the
 * client can receive (any `prefix.*` when the map is untyped). A pattern that
 * covers no event of the map does not compile.
 */
export type ListenPattern<M extends EventMapOf<M>> =
  IsUntyped<M> extends true ? '*' | `${string}.*` : '*' | `${DotPrefixes<ListenableEvent<M>>}.*`;

/** The events a pattern covers, by the protocol's rule (`a.*` covers `a.b` and `a.b.c`). */
export type PatternEvent<M extends EventMapOf<M>, P extends string> = P extends '*'
  ? ListenableEvent<M>
  : P extends `${infer Prefix}.*`
    ? Extract<ListenableEvent<M>, `${Prefix}.${string}`>
    : never;

/**
 * The envelope a pattern listener gets: a union over the events the pattern
 * covers, so that checking `envelope.event` narrows `envelope.data`.
 */
export type PatternEnvelope<M extends EventMapOf<M>, P extends string> =
  IsUntyped<M> extends true
    ? WireEnvelope<any>
    : {
        [K in PatternEvent<M, P>]: WireEnvelope<ListenData<M, K>> & {
          /** One of the events the pattern covers. */
          readonly event: K;
        };
      }[PatternEvent<M, P>];

/** The data a pattern listener gets: any of the covered events' data. */
export type PatternData<M extends EventMapOf<M>, P extends string> =
  IsUntyped<M> extends true ? any : ListenData<M, PatternEvent<M, P>>;

/**
 * What the ack of `subscribe` and `unsubscribe` says the connection holds
 * after the change: the names and patterns (`events`), and the names excluded
 * from a pattern (`excluded`, `[]` when none). It is also the list of
 * `events` itself, which is what 0.1 resolved with, so code that used the
 * list keeps working; that use is deprecated: read `events`.
 */
export interface SubscriptionAck extends Array<string> {
  /** Names and patterns held. */
  readonly events: string[];
  /** Names excluded from a pattern. */
  readonly excluded: string[];
  /**
   * `subscribe` only, from a server that keeps histories: for each named event
   * that has one, where it stands and how many `recent` messages were delivered.
   */
  readonly recovery?: Readonly<Record<string, EventRecovery>>;
}
