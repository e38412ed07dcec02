import { CloseCode } from '../protocol/errors.js';
import type { Clock } from './clock.js';
import type { Session } from './session.js';

/** Share of the grace period over which connections are told to leave; the rest lets the last ones finish. */
const SPREAD = 0.8;

/**
 * Empties the app gently for `app.close({ graceMs })`. Connection number `i`
 * of `n` is told to leave at `graceMs × 0.8 × i / n`, so thousands of clients
 * do not land on the next node at once. From then on it takes no new
 * envelopes (they are answered `UNAVAILABLE`), but those it has queued or in
 * flight are handled and answered; once it is idle it is closed with 1012
 * (service restart), which a client reads as "reconnect, elsewhere". What is
 * still open when the grace period ends is left to the caller, which closes it
 * with 1001. Resolves when every connection has been closed or the period is over.
 */
export function drain(sessions: readonly Session[], clock: Clock, graceMs: number): Promise<void> {
  if (sessions.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = sessions.length;
    const timers: unknown[] = [];
    const done = (): void => {
      for (const t of timers) clock.clearTimeout(t);
      resolve();
    };
    const closed = (): void => {
      if (--left === 0) done();
    };
    timers.push(clock.setTimeout(done, graceMs));
    sessions.forEach((session, i) => {
      const leave = (): void => {
        if (!session.open) return closed();
        session.inbound.drain(() => {
          session.close(CloseCode.SERVICE_RESTART, 'server restarting');
          closed();
        });
      };
      timers.push(clock.setTimeout(leave, (graceMs * SPREAD * i) / sessions.length));
    });
  });
}
