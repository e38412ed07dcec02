import type { EnvelopeId } from '../protocol/envelope.js';
import type { AnyEvents, EventMapOf } from '../protocol/event-map.js';
import type { Connection } from './connection.js';

/**
 * What a handler knows about the envelope it handles, besides the payload.
 * `U`, `M` and `A` type its connection: the user, the event map, the assigns.
 */
export interface Context<
  U = unknown,
  M extends EventMapOf<M> = AnyEvents,
  A extends object = Record<string, unknown>,
> {
  /** The connection that sent the envelope. */
  readonly connection: Connection<U, M, A>;
  /** The event name. */
  readonly event: string;
  /** The request id, when the client asked for a reply. */
  readonly id: EnvelopeId | undefined;
  /** The client's timestamp in epoch milliseconds, when it sent one. */
  readonly timestamp: number | undefined;
  /** The payload as it arrived, before validation and transformation. */
  readonly rawData: unknown;
}
