/**
 * How long the client waits before its `attempt`-th reconnection: doubling from
 * 50 ms up to 2 s, with a random part so that many nodes do not all knock on a
 * restarted server in the same instant.
 */
export function reconnectDelay(attempt: number): number {
  const base = Math.min(50 * 2 ** Math.min(attempt, 6), 2000);
  return Math.round(base / 2 + Math.random() * (base / 2));
}
