/** Opening a run's clients: the load generator's `connect` command, the same in every scenario. */
import { clientKind, type ContenderName, type ReadyMessage } from '../../common.js';
import type { RunContext } from '../record.js';

/** The `connect` command's parameters: `count` clients to the server that announced `ready`. */
export function connectParams(
  ctx: RunContext,
  contender: ContenderName,
  ready: ReadyMessage,
  count: number,
  subscribe: string[] | undefined,
): Record<string, unknown> {
  return {
    kind: clientKind(contender),
    port: ready.port,
    path: ready.path,
    unixPath: ready.unixPath,
    count,
    subscribe,
    concurrency: ctx.settings.connectConcurrency,
  };
}

/** Enough time to connect `n` clients, even slowly. */
export function connectTimeout(n: number): number {
  return 20_000 + n * 20;
}
