import type { EnvelopeId } from '../protocol/envelope.js';
import type { Connection } from './connection.js';

/** What a handler knows about the envelope it handles, besides the payload. */
export interface Context<U = unknown> {
  /** The connection that sent the envelope. */
  readonly connection: Connection<U>;
  /** The event name. */
  readonly event: string;
  /** The request id, when the client asked for a reply. */
  readonly id: EnvelopeId | undefined;
  /** The client's timestamp in epoch milliseconds, when it sent one. */
  readonly timestamp: number | undefined;
  /** The payload as it arrived, before validation and transformation. */
  readonly rawData: unknown;
}
