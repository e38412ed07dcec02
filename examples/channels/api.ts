/**
 * The channels example's HTTP API. Every request under `/api/` needs
 * `Authorization: Bearer TOKEN`; without it (or with another token) the answer
 * is 401. Bodies are JSON (the content type is not checked, so `curl -d` works);
 * errors answer a JSON body `{"error": CODE, "message": TEXT}`.
 *
 * | request                               | success                                   | errors |
 * | ------------------------------------- | ----------------------------------------- | ------ |
 * | `GET /api/channels`                   | 200 `{"channels": [...]}`                 | |
 * | `POST /api/channels` `{"name": "news"}` | 201 `{"name": "news"}`, `Location` header | 400 `bad_json`, `bad_name`; 409 `exists` |
 * | `DELETE /api/channels/NAME`           | 204                                       | 404 `not_found` |
 * | `POST /api/channels/NAME/messages` (any JSON) | 202 `{"channel", "received"}`: how many subscribers it was sent to | 404 `not_found`; 400 `bad_json` |
 *
 * Also: 401 `unauthorized` when no bearer token came, 401 `invalid_token` when
 * one came that is not the server's (both with `WWW-Authenticate: Bearer`, the
 * second with `error="invalid_token"` as RFC 6750 has it), 404 `not_found`
 * for any other path, 405 `method_not_allowed` (with `Allow`), 413
 * `too_large` for a body over 64 KiB. The token is checked before anything
 * else, so an unauthorized client learns nothing about the channels.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Carom } from '../../src/index.js';
import { CHANNEL_PATTERN } from './app.js';

/** The largest request body accepted, in bytes. */
export const MAX_BODY = 64 * 1024;

/** The path prefix the API answers under. */
export const API_PREFIX = '/api/';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  const json = `${JSON.stringify(body)}\n`;
  res
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(json),
      'cache-control': 'no-store',
      ...headers,
    })
    .end(json);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

const REALM = 'Bearer realm="carom channels"';

/**
 * Refuses a request that does not carry `Authorization: Bearer <token>`
 * (compared in constant time): `unauthorized` when it carries no bearer token
 * at all, `invalid_token` when it carries another one. Telling the two apart
 * says nothing about the token, and tells a user which mistake to fix.
 */
function checkToken(req: IncomingMessage, token: string): void {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) {
    throw new HttpError(401, 'unauthorized', 'no token: send Authorization: Bearer <token>', {
      'www-authenticate': REALM,
    });
  }
  if (!timingSafeEqual(digest(match[1]!), digest(token))) {
    throw new HttpError(
      401,
      'invalid_token',
      'wrong token: use the one the server printed at start (or its CHANNELS_TOKEN)',
      { 'www-authenticate': `${REALM}, error="invalid_token"` },
    );
  }
}

/** Reads the whole body as JSON; `undefined` never comes back (an empty body is bad JSON). */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) {
      reject(new HttpError(413, 'too_large', `the body is over ${MAX_BODY} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY) {
        failed = true;
        reject(new HttpError(413, 'too_large', `the body is over ${MAX_BODY} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      failed = true;
      reject(err);
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(JSON.parse(text) as unknown);
      } catch {
        reject(
          new HttpError(
            400,
            'bad_json',
            text.trim() === '' ? 'the body is empty; send JSON' : 'the body is not valid JSON',
          ),
        );
      }
    });
  });
}

function notFound(name: string): HttpError {
  return new HttpError(404, 'not_found', `no channel named "${name}"`);
}

function methodNotAllowed(allow: string): HttpError {
  return new HttpError(405, 'method_not_allowed', `use ${allow}`, { allow });
}

function channelName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'bad_name', 'the channel name in the path is not valid URL encoding');
  }
}

/**
 * Makes the API's request handler. It answers requests under `/api/` and
 * returns true; for any other path it returns false without touching the response.
 */
export function createChannelsApi(
  app: Carom,
  token: string,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    checkToken(req, token);
    const parts = path.slice(API_PREFIX.length).split('/');
    const method = req.method ?? 'GET';

    if (parts.length === 1 && parts[0] === 'channels') {
      if (method === 'GET' || method === 'HEAD') {
        send(res, 200, { channels: app.channels.list() });
        return;
      }
      if (method !== 'POST') throw methodNotAllowed('GET, POST');
      const body = await readJson(req);
      const name = (body as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || !CHANNEL_PATTERN.test(name)) {
        throw new HttpError(
          400,
          'bad_name',
          'send {"name": NAME}: 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
        );
      }
      if (app.channels.has(name)) {
        throw new HttpError(409, 'exists', `the channel "${name}" exists already`);
      }
      try {
        app.channels.create(name);
      } catch (err) {
        // Reserved names (carom.*, subscribe, ...) and names something else declared.
        throw new HttpError(400, 'bad_name', (err as Error).message);
      }
      send(res, 201, { name }, { location: `${API_PREFIX}channels/${encodeURIComponent(name)}` });
      return;
    }

    if (parts.length === 2 && parts[0] === 'channels') {
      if (method !== 'DELETE') throw methodNotAllowed('DELETE');
      const name = channelName(parts[1]!);
      if (!app.channels.has(name)) throw notFound(name);
      app.channels.delete(name);
      send(res, 204);
      return;
    }

    if (parts.length === 3 && parts[0] === 'channels' && parts[2] === 'messages') {
      if (method !== 'POST') throw methodNotAllowed('POST');
      const name = channelName(parts[1]!);
      if (!app.channels.has(name)) throw notFound(name);
      const data = await readJson(req);
      // The channel may have been deleted while the body arrived.
      if (!app.channels.has(name)) throw notFound(name);
      const received = app.publish(name, data);
      send(res, 202, { channel: name, received });
      return;
    }

    throw new HttpError(404, 'not_found', `no such API path: ${path}`);
  }

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!path.startsWith(API_PREFIX) && path !== '/api') return false;
    route(req, res, path).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof HttpError) {
        const headers = { ...err.headers };
        if (err.status === 413) {
          // Stop reading the rest of the body: answer and close.
          headers.connection = 'close';
          req.resume();
        }
        send(res, err.status, { error: err.code, message: err.message }, headers);
      } else {
        send(res, 500, { error: 'internal', message: 'the server failed' });
      }
    });
    return true;
  };
}
