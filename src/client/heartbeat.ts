/**
 * The heartbeat: finds a half-open connection by pinging after a quiet
 * period and giving up when even the ping meets silence.
 */
import { encodeFrame } from './frame.js';
import { PING } from './names.js';

/** What the heartbeat needs of the client. */
export interface HeartbeatHost {
  /** True while the client is open; the heartbeat stops itself otherwise. */
  isOpen(): boolean;
  /** Sends a ping's frame, if the socket can take it. */
  ping(frame: string): void;
  /** Nothing arrived within a period after the ping: the connection is dead. */
  timedOut(): void;
}

/** True for the id of a heartbeat's ping: they are negative, so their replies never meet a request's. */
export function isPingId(id: unknown): boolean {
  return typeof id === 'number' && id < 0;
}

/** One client's heartbeat, off when `periodMs` is 0. One timer per period, not one per frame. */
export class Heartbeat {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastReceivedAt = 0;
  private pinged = false;
  private nextPingId = -1;
  private readonly beat = (): void => this.check();

  constructor(
    private readonly periodMs: number,
    private readonly host: HeartbeatHost,
  ) {}

  /** The connection opened: silence is counted from now. */
  start(): void {
    if (this.periodMs <= 0) return;
    this.lastReceivedAt = Date.now();
    this.pinged = false;
    this.timer = setTimeout(this.beat, this.periodMs);
  }

  /** A frame arrived (any frame, even a bad one, shows the connection is alive). */
  heard(): void {
    if (this.periodMs <= 0) return;
    this.lastReceivedAt = Date.now();
    this.pinged = false;
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    this.timer = undefined;
    if (!this.host.isOpen()) return;
    const idle = Date.now() - this.lastReceivedAt;
    if (idle < this.periodMs) {
      this.timer = setTimeout(this.beat, this.periodMs - idle);
      return;
    }
    if (this.pinged) {
      this.host.timedOut();
      return;
    }
    this.pinged = true;
    this.host.ping(encodeFrame(PING, undefined, this.nextPingId--));
    this.timer = setTimeout(this.beat, this.periodMs);
  }
}
