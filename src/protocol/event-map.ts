/**
 * The typed event map one application shares between its server and its
 * clients. One entry per event: `send` is what a client sends (a handler's
 * payload), `ack` what the handler returns, `receive` what the server
 * publishes under that name, `ask` and `answer` a request the server makes of
 * one client and what the client answers. A key ending in `.*` (`auction.*`)
 * types every member of a topic family (`auction.lamp`).
 *
 * ```ts
 * type Chat = {
 *   chat: { send: { text: string }; ack: { ok: true }; receive: { from: string; text: string } };
 *   clock: { receive: { now: string } };
 *   'auction.*': { receive: { lot: string; price: number } };
 *   confirm: { ask: { question: string }; answer: boolean };
 * };
 * ```
 *
 * Types only: nothing here exists at run time, and the client and the server
 * read the same definitions.
 */
export type EventMap = Record<string, EventSpec>;

/**
 * The constraint on an event map type parameter: every key an {@link EventSpec}.
 * Unlike `EventMap` it also accepts an `interface`, which has no index signature.
 */
export type EventMapOf<M> = { [K in keyof M]: EventSpec };

/** One event of an {@link EventMap}. */
export interface EventSpec {
  /** Payload a client sends (and a handler receives). */
  readonly send?: unknown;
  /** What the handler returns: the `ack`'s data. */
  readonly ack?: unknown;
  /** Payload the server publishes (and a sender sends). */
  readonly receive?: unknown;
  /** Payload of a request the server makes of one client (`connection.ask`). */
  readonly ask?: unknown;
  /** What the client's answering handler returns to such a request. */
  readonly answer?: unknown;
}

// The shapes below are written with Record rather than `{ send: ... }` literals, which
// the API reference would list as undocumented members; they mean the same.

/** The events of `M` whose entry has the part `P` (`send`, `receive`, `ask`). */
type EventsWith<M, P extends string> = {
  [K in keyof M & string]: M[K] extends Record<P, unknown> ? K : never;
}[keyof M & string];

/** Events a client may send. */
export type SendableEvent<M extends EventMapOf<M>> = EventsWith<M, 'send'>;

/** Events a client may receive (family keys such as `auction.*` as written). */
export type ReceivableEvent<M extends EventMapOf<M>> = EventsWith<M, 'receive'>;

/** The payload a client sends for `K` (a handler's `T`). */
export type SendData<M extends EventMapOf<M>, K extends keyof M> =
  M[K] extends Record<'send', infer T> ? T : never;

/** The ack's data for `K` (a handler's `R`). */
export type AckData<M extends EventMapOf<M>, K extends keyof M> =
  M[K] extends Record<'ack', infer T> ? T : null;

/** The payload published under `K` (a sender's `T`). */
export type ReceiveData<M extends EventMapOf<M>, K extends keyof M> =
  M[K] extends Record<'receive', infer T> ? T : never;

/** A map that accepts any event, for untyped use. */
export type AnyEvents = Record<string, Record<'send' | 'ack' | 'receive' | 'ask' | 'answer', any>>;

/** The members a family key names: `auction.${string}` for `auction.*`, the key itself otherwise. */
export type MemberOf<K extends string> = K extends `${infer P}.*` ? `${P}.${string}` : K;

/**
 * Names the server may publish: every exact key with `receive`, and every
 * member of a family key with `receive` (`auction.lamp` for `auction.*`).
 */
export type PublishableEvent<M extends EventMapOf<M>> = MemberOf<ReceivableEvent<M>>;

/**
 * The payload published under the name `E`: its own key's `receive`, else the
 * `receive` of the family key it is a member of.
 */
export type PublishData<M extends EventMapOf<M>, E extends string> = E extends keyof M
  ? ReceiveData<M, E>
  : {
      [K in ReceivableEvent<M>]: E extends MemberOf<K> ? ReceiveData<M, K> : never;
    }[ReceivableEvent<M>];

/** Family keys (`auction.*`) of the map whose members the server may publish. */
export type FamilyEvent<M extends EventMapOf<M>> = Extract<ReceivableEvent<M>, `${string}.*`>;

/** Events the server may ask a client about (`connection.ask`). */
export type AskableEvent<M extends EventMapOf<M>> = EventsWith<M, 'ask'>;

/** The payload of the server's request `K`. */
export type AskData<M extends EventMapOf<M>, K extends keyof M> =
  M[K] extends Record<'ask', infer T> ? T : never;

/** What the client answers to the server's request `K`; `null` when the map says nothing. */
export type AnswerData<M extends EventMapOf<M>, K extends keyof M> =
  M[K] extends Record<'answer', infer T> ? T : null;
