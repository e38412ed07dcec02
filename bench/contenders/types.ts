/** What every contender's server offers the bench's server process. */
export interface BenchServer {
  /** The TCP port it listens on (127.0.0.1). */
  readonly port: number;
  /** The path clients connect to. */
  readonly path: string;
  /**
   * Publishes one `tick` message with sequence number `seq` to every subscriber;
   * returns (or resolves to) how many connections it was sent to.
   */
  publish(seq: number): number | Promise<number>;
  /**
   * Starts the timer-driven publisher of `tock`: `count` messages, sequence
   * numbers 0..count-1, one per timer period; resolves once the last one is
   * published.
   */
  startTimed(count: number): Promise<void>;
  /** Closes every connection and the server. */
  close(): Promise<void>;
}

/** What a run needs from the server. */
export interface ServerOptions {
  /**
   * The timed fan-out scenario: carom registers its `TimedSender` only then, as
   * the others start their `setInterval` only then.
   */
  readonly timed: boolean;
}

/** A contender module's entry point. */
export type CreateServer = (options: ServerOptions) => Promise<BenchServer>;
