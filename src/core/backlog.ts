import { CloseCode } from '../protocol/errors.js';
import type { Frame } from '../protocol/frame.js';
import { describe } from './guard.js';
import type { DeliveryPolicy } from './delivery.js';
import type { CaromLogger } from './logger.js';
import { OutboundQueue } from './outbound-queue.js';
import type { Session } from './session.js';

/** Stands for the data of a frame relayed from another node: read from its text if needed. */
export const RELAYED: unique symbol = Symbol('carom.relayed');

/** A key that could not be had: the message is written unconflated. */
const NO_KEY = '';

/** Limits of the backlog path. */
export interface BacklogLimits {
  /** Bytes waiting for a socket past which its connection is backlogged. */
  readonly backlogBytes: number;
  /** Slots (events and keys) one connection's queue may hold; past it the connection is closed with 1013. */
  readonly maxWaiting: number;
}

/**
 * The write path of an event whose policy is `latest` or `drop`. A connection
 * that keeps up gets the shared frame, exactly as on the plain path; one that
 * is backlogged (more than `backlogBytes` waiting for its socket, or messages
 * already queued for it) gets the frame queued in its slot (`latest`) or
 * skipped (`drop`). The queue is written out when the socket drains
 * (`Session.onDrain`). While a connection's queue is not empty, every `latest`
 * message goes through it, so that a newer value never overtakes an older one
 * still waiting.
 */
export class Backlog {
  private keyFailureLogged = false;

  constructor(
    private readonly limits: BacklogLimits,
    private readonly logger: CaromLogger,
  ) {}

  /**
   * Writes `plain` of `policy`'s event to `recipients`; `data` is what was
   * published, or {@link RELAYED}. With `positioned` (an event with a history),
   * clients of the `carom` subprotocol get that frame instead. Returns how many
   * were written or queued.
   */
  write(
    recipients: readonly Session[],
    plain: Frame,
    policy: DeliveryPolicy,
    event: string,
    data: unknown,
    positioned?: Frame,
  ): number {
    const limit = this.limits.backlogBytes;
    let slot: string | undefined;
    let reached = 0;
    for (let i = 0; i < recipients.length; i++) {
      const s = recipients[i]!;
      const peer = s.peer;
      const frame = positioned !== undefined && peer.protocol === 'carom' ? positioned : plain;
      if (s.outbound === undefined && !((peer.bufferedBytes ?? 0) > limit)) {
        peer.send(frame);
        reached++;
        continue;
      }
      if (policy.mode === 'drop') {
        policy.dropped++;
        continue;
      }
      // Computed once per publish, and only when someone is backlogged.
      slot ??= this.slotOf(policy, event, data, plain);
      if (slot === NO_KEY || peer.awaitDrain === undefined) {
        peer.send(frame);
      } else {
        this.queue(s, slot, frame, policy);
      }
      reached++;
    }
    return reached;
  }

  private queue(s: Session, slot: string, frame: Frame, policy: DeliveryPolicy): void {
    let queue = s.outbound;
    if (queue === undefined) {
      queue = s.outbound = new OutboundQueue();
      s.peer.awaitDrain!();
    }
    if (!queue.put(slot, frame, policy, this.limits.maxWaiting)) {
      s.close(CloseCode.TRY_AGAIN_LATER, 'too slow: too many conflated messages waiting');
    }
  }

  /**
   * The queue slot of a message: its event, or its event and key. A relayed
   * frame's data is parsed here, once per publish and only when a keyed event
   * meets a backlogged connection. A key function that fails gives
   * {@link NO_KEY}: the message is sent rather than lost, and counted.
   */
  private slotOf(policy: DeliveryPolicy, event: string, data: unknown, frame: Frame): string {
    const key = policy.key;
    if (key === undefined) return event;
    let k: unknown;
    try {
      const value = data === RELAYED ? (JSON.parse(frame.text) as { data?: unknown }).data : data;
      k = key(value);
    } catch (err) {
      return this.keyFailed(policy, `threw: ${describe(err)}`);
    }
    if (typeof k === 'number') return `${event}\n${k}`;
    if (typeof k === 'string') return `${event}\n${k}`;
    return this.keyFailed(policy, `returned ${typeof k}, not a string or a number`);
  }

  private keyFailed(policy: DeliveryPolicy, why: string): string {
    policy.keyFailures++;
    // Once per app: a broken key function fails on every message.
    if (!this.keyFailureLogged) {
      this.keyFailureLogged = true;
      this.logger.error(
        `the delivery key of '${policy.topic}' ${why}; such messages are sent unconflated (counted in deliveryStats().topics['${policy.topic}'].keyFailures)`,
      );
    }
    return NO_KEY;
  }
}
