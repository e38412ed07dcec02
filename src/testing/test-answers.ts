import { ANSWER, ASK } from '../protocol/names.js';
import type { FakeSocket } from './fake-socket.js';

/**
 * Answers the `carom.ask` frames of one event that arrive on a test socket,
 * with what `fn` returns (or an error answer for what it throws), the way the
 * real client's `answer` does. The answer is sent after the frame that asked
 * has been written, never from inside the server's write.
 */
export function answerAsks(
  socket: FakeSocket,
  event: string,
  fn: (data: any) => unknown,
): () => void {
  return socket.watch((text) => {
    const ask = readAsk(text, event);
    if (ask === undefined) return;
    Promise.resolve()
      .then(() => fn(ask.data))
      .then(
        (data) => ({ ask: ask.id, data: data === undefined ? null : data }),
        (err: unknown) => ({
          ask: ask.id,
          error: { code: 'ANSWER_FAILED', message: err instanceof Error ? err.message : 'failed' },
        }),
      )
      .then((answer) => {
        if (!socket.closed) socket.deliverText(JSON.stringify({ event: ANSWER, data: answer }));
      })
      .catch(() => undefined);
  });
}

function readAsk(text: string, event: string): { id: number; data: unknown } | undefined {
  const envelope = JSON.parse(text) as { event: string; data: unknown };
  if (envelope.event !== ASK) return undefined;
  const data = envelope.data as { ask: number; event: string; data: unknown };
  return data.event === event ? { id: data.ask, data: data.data } : undefined;
}
