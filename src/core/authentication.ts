import { ConnectionRefused } from './errors.js';
import { isInstance, readString } from './guard.js';
import type { CaromLogger } from './logger.js';
import type { Authenticate } from './options.js';
import type { Admission, HandshakeRequest } from './seam.js';

const ANYONE: Admission = Object.freeze({ ok: true, user: undefined });
const UNAUTHORIZED: Admission = Object.freeze({ ok: false, reason: 'unauthorized' });

/**
 * Runs the application's `authenticate` for one handshake and reads its answer
 * as an Admission: a user to accept, or a reason to refuse. It never throws or
 * rejects, whatever `authenticate` does: a `ConnectionRefused` gives its message
 * as the reason; any other throw is the application's bug, logged, and refuses
 * as `unauthorized` rather than letting a failing check let the client in.
 */
export async function authenticateHandshake(
  authenticate: Authenticate | undefined,
  request: HandshakeRequest,
  logger: CaromLogger,
): Promise<Admission> {
  if (!authenticate) return ANYONE;
  try {
    const user = await authenticate(request);
    if (user === false || user === null || user === undefined) return UNAUTHORIZED;
    return { ok: true, user };
  } catch (err) {
    if (isInstance(err, ConnectionRefused)) {
      return { ok: false, reason: readString(err, 'message') ?? 'unauthorized' };
    }
    logger.error('authenticate threw; refusing the connection', err);
    return UNAUTHORIZED;
  }
}
