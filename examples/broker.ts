import type { Broker } from '../src/index.js';

/**
 * The broker an example runs on: with `REDIS_URL` set, a `carom/redis` broker
 * on that server, so that several example processes are one application;
 * without it, `undefined` (the app's default, a lone node). carom/redis and
 * its client are imported only when `REDIS_URL` is set, so an example without
 * Redis loads nothing of it.
 */
export async function exampleBroker(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Broker | undefined> {
  const url = env.REDIS_URL;
  if (url === undefined || url === '') return undefined;
  const { redisBroker } = await import('../src/redis/index.js');
  return redisBroker({ url });
}
