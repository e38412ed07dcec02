import type { Clock, TimerHandle } from './clock.js';
import type { LeaseStore } from './broker.js';
import { appError } from './errors.js';
import type { CaromLogger } from './logger.js';
import type { SenderBinding, TimedSender } from './sender.js';

interface Schedule {
  readonly sender: TimedSender;
  readonly binding: SenderBinding;
  readonly everyMs: number;
  /** The lease a sender that runs on one node ticks under; undefined on every node. */
  readonly lease: string | undefined;
  nextAt: number;
  /** The armed timer; `undefined` while none is. */
  timer: TimerHandle;
}

/**
 * Drives the app's `TimedSender`s on its clock. Each tick is armed only after
 * the previous one finished, so a slow `createMessageData` never overlaps
 * itself; ticks missed meanwhile are skipped, not bunched.
 */
export class Scheduler {
  private readonly schedules: Schedule[] = [];
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly logger: CaromLogger,
    private readonly leases: LeaseStore | undefined,
  ) {}

  /**
   * Registers a timed sender; it starts with `start()`. One that runs on one
   * node needs the broker's leases, and is refused without them.
   */
  add(sender: TimedSender, binding: SenderBinding, everyMs: number, onOneNode: boolean): void {
    if (onOneNode && this.leases === undefined) {
      throw appError('CAROM_ERR_NO_LEASE_STORE', sender.constructor.name);
    }
    const lease = onOneNode ? `timed:${binding.event}` : undefined;
    this.schedules.push({ sender, binding, everyMs, lease, nextAt: 0, timer: undefined });
  }

  /** Arms every timer. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.clock.now();
    for (const s of this.schedules) {
      s.nextAt = now + s.everyMs;
      this.arm(s, now);
    }
  }

  /** Disarms every timer; a tick already producing data publishes nothing after this. */
  stop(): void {
    this.running = false;
    for (const s of this.schedules) {
      if (s.timer !== undefined) this.clock.clearTimeout(s.timer);
      s.timer = undefined;
      // Let another node take over at its next tick, not after the lease runs out.
      if (s.lease !== undefined) this.leases?.release(s.lease);
    }
  }

  /** Timers armed now. */
  get activeTimers(): number {
    return this.schedules.filter((s) => s.timer !== undefined).length;
  }

  private arm(s: Schedule, now: number): void {
    s.timer = this.clock.setTimeout(() => void this.tick(s), Math.max(0, s.nextAt - now));
  }

  /**
   * On every node: when this node has subscribers. On one node: when this node
   * holds (or now takes, or renews) the lease, whoever subscribed where; the
   * lease outlives two periods so that a tick late by a period does not lose it.
   */
  private async shouldTick(s: Schedule): Promise<boolean> {
    if (s.lease === undefined) return s.binding.subscriberCount() > 0;
    const held = await this.leases!.acquire(s.lease, 2 * s.everyMs + 1000);
    return held && this.running;
  }

  private async tick(s: Schedule): Promise<void> {
    s.timer = undefined;
    if (!this.running) return;
    try {
      if (await this.shouldTick(s)) {
        const data = await s.sender.createMessageData();
        // undefined skips this tick: there is nothing new to say. null is a value.
        if (this.running && data !== undefined) s.binding.publish(data);
      }
    } catch (err) {
      this.logger.error(`${s.sender.constructor.name} tick for '${s.binding.event}' failed`, err);
    }
    if (!this.running) return;
    const now = this.clock.now();
    s.nextAt += s.everyMs;
    if (s.nextAt <= now) s.nextAt += Math.ceil((now - s.nextAt + 1) / s.everyMs) * s.everyMs;
    this.arm(s, now);
  }
}
