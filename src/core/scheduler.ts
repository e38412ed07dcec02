import type { Clock, TimerHandle } from './clock.js';
import type { CaromLogger } from './logger.js';
import type { SenderBinding, TimedSender } from './sender.js';

interface Schedule {
  readonly sender: TimedSender;
  readonly binding: SenderBinding;
  readonly everyMs: number;
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
  ) {}

  /** Registers a timed sender; it starts with `start()`. */
  add(sender: TimedSender, binding: SenderBinding, everyMs: number): void {
    this.schedules.push({ sender, binding, everyMs, nextAt: 0, timer: undefined });
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
    }
  }

  /** Timers armed now. */
  get activeTimers(): number {
    return this.schedules.filter((s) => s.timer !== undefined).length;
  }

  private arm(s: Schedule, now: number): void {
    s.timer = this.clock.setTimeout(() => void this.tick(s), Math.max(0, s.nextAt - now));
  }

  private async tick(s: Schedule): Promise<void> {
    s.timer = undefined;
    if (!this.running) return;
    try {
      if (s.binding.subscriberCount() > 0) {
        const data = await s.sender.createMessageData();
        if (this.running) s.binding.publish(data);
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
