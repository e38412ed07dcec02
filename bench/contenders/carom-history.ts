/**
 * carom with the fan-out event declared with a history, in memory: the
 * `carom` contender's app otherwise, so that the two in one run give what
 * recording every publish (its offset, its text in the event's ring) costs.
 * The bench's clients are plain ones, so no position is added to what they get.
 */
import { Sender, Topic } from '../../src/index.js';
import { TICK, type TickData } from '../common.js';
import { caromServer } from './carom.js';
import type { BenchServer, ServerOptions } from './types.js';

/** The fan-out event, its last 1000 messages kept. */
@Topic(TICK, { history: { size: 1000 } })
export class HistoryTickSender extends Sender<TickData> {}

export function createServer(options: ServerOptions): Promise<BenchServer> {
  return caromServer(options, [], HistoryTickSender);
}
