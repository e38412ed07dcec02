/** The shape of an envelope as tests read it off the wire, parsed from JSON. */

/**
 * One envelope, parsed. `Data` is `any` by default because tests read fields of
 * the payloads they expect; use `Envelope<unknown>` where nothing is read.
 */
export interface Envelope<Data = any> {
  readonly event: string;
  readonly data: Data;
  readonly timestamp: string;
  readonly id?: string | number;
}
