/**
 * The ping example, a port of bounce-ws's simple_ping: a `ping` sender, a
 * `ping_timed` sender that publishes every second, and a `ping` handler that
 * ignores what it receives and publishes through the `ping` sender.
 *
 * On several nodes (a `broker`, as `REDIS_URL` gives), a `ping` published on
 * one node reaches the subscribers of every node.
 */
import {
  Carom,
  Handler,
  On,
  Sender,
  TimedSender,
  Topic,
  type CaromOptions,
} from '../../src/index.js';
import { exampleOrigins } from '../origins.js';

/** The data both ping events carry. */
export interface PingData {
  ping: 'ping';
}

/** Publishes `ping` on demand. */
@Topic('ping')
export class PingSender extends Sender<PingData> {
  override createMessageData(): PingData {
    return { ping: 'ping' };
  }
}

/**
 * Publishes `ping_timed` once a second. On several nodes it runs on every node
 * for that node's subscribers (not `onOneNode`): each subscriber still gets
 * one tick a second, the ticks cost no Redis traffic, and they go on while
 * Redis is away. One node ticking for all would only matter if a tick carried
 * something that must happen once in the cluster.
 */
@Topic('ping_timed', { everyMs: 1000 })
export class TimedPingSender extends TimedSender<PingData> {
  override createMessageData(): PingData {
    return { ping: 'ping' };
  }
}

/** Answers a client's `ping` by publishing `ping` to every subscriber. */
@On('ping')
export class PingHandler extends Handler {
  constructor(private readonly pings: PingSender) {
    super();
  }

  async handle(): Promise<void> {
    await this.pings.send();
  }
}

/**
 * The example's app. Timestamps go out in bounce-ws's offset-less local form,
 * so a client written for bounce-ws reads them unchanged.
 */
export function createPingApp(options: CaromOptions = {}): Carom {
  return new Carom({
    handlers: [PingHandler],
    allowedOrigins: exampleOrigins(),
    senders: [PingSender, TimedPingSender],
    timestampFormat: 'local',
    ...options,
  });
}
