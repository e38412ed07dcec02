import type { WireEnvelope } from '../../src/protocol/wire.js';

/**
 * One envelope as tests read it off the wire, parsed from JSON: the wire's own
 * shape. `Data` is `any` by default because tests read fields of the payloads
 * they expect; use `Envelope<unknown>` where nothing is read.
 */
export type Envelope<Data = any> = WireEnvelope<Data>;
