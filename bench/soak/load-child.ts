/**
 * The parent's side of a load child (well-behaved clients, hostile clients):
 * `start` runs the load, `stop` asks it to wind down, `exit` ends the process,
 * and the child exits by itself when the parent goes away.
 */
import type { StartCommand } from './protocol.js';

export function answerParent(
  name: string,
  run: (start: StartCommand) => Promise<void>,
  stop: () => void,
): void {
  process.on('message', (raw: unknown) => {
    const msg = raw as { type?: string };
    if (msg.type === 'start') {
      run(msg as StartCommand).catch((err: unknown) => {
        process.stderr.write(`${name} failed: ${(err as Error).stack ?? String(err)}\n`);
        process.exit(1);
      });
    } else if (msg.type === 'stop') {
      stop();
    } else if (msg.type === 'exit') {
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready' });
}
