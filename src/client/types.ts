/**
 * The typed event map shared by clients and servers. One entry per event:
 * `send` is what a client sends (a handler's payload), `ack` what the handler
 * returns, `receive` what the server publishes under that name.
 *
 * ```ts
 * type Chat = {
 *   chat: { send: { text: string }; ack: { ok: true }; receive: { from: string; text: string } };
 *   clock: { receive: { now: string } };
 * };
 * ```
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
}

// The shapes below are written with Record rather than `{ send: ... }` literals, which
// the API reference would list as undocumented members; they mean the same.

/** Events a client may send. */
export type SendableEvent<M extends EventMapOf<M>> = {
  [K in keyof M & string]: M[K] extends Record<'send', unknown> ? K : never;
}[keyof M & string];

/** Events a client may receive. */
export type ReceivableEvent<M extends EventMapOf<M>> = {
  [K in keyof M & string]: M[K] extends Record<'receive', unknown> ? K : never;
}[keyof M & string];

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
export type AnyEvents = Record<string, Record<'send' | 'ack' | 'receive', any>>;
