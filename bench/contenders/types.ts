/** What every contender's server offers the bench's server process. */
export interface BenchServer {
  /** The TCP port it listens on (127.0.0.1). */
  readonly port: number;
  /** The path clients connect to. */
  readonly path: string;
  /** The Unix socket it listens on instead of TCP, when asked (`BENCH_UNIX_PATH`). */
  readonly unixPath?: string;
  /** Connections open now (the storm scenario checks the server let go of the cut ones). */
  connections(): number;
  /** carom's delivery counters (`app.deliveryStats()`), for the slow-readers scenario. */
  deliveryStats?(): unknown;
  /**
   * Publishes one `tick` message with sequence number `seq` to every subscriber;
   * returns (or resolves to) how many connections it was sent to. `at`, when
   * given, goes into the data (carom's only: the cross-node scenario runs carom
   * alone).
   */
  publish(seq: number, at?: number): number | Promise<number>;
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

/**
 * The timed publisher of the contenders without a `TimedSender`: a `setInterval`
 * publishing `count` messages, one per period, resolving after the last.
 */
export class IntervalPublisher {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly publish: (seq: number) => unknown,
    private readonly periodMs: number,
  ) {}

  /** Publishes sequence numbers 0..count-1, one per period. */
  run(count: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let seq = 0;
      this.timer = setInterval(() => {
        this.publish(seq++);
        if (seq >= count) {
          this.stop();
          resolve();
        }
      }, this.periodMs);
    });
  }

  /** Stops publishing. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
