import type { IncomingMessage, ServerResponse } from 'node:http';
import { appError } from '../core/errors.js';
import type { CaromLogger } from '../core/logger.js';
import type { AsyncApiDocument, AsyncApiOptions } from './document.js';

/** What serving the document needs of an app (a `Carom` has it). */
export interface DescribedApp {
  /** Makes the document. */
  asyncapi(options?: AsyncApiOptions): Promise<AsyncApiDocument>;
  /** Where a failure to make it is logged. */
  readonly logger: CaromLogger;
}

/** Where the document is served, and what it says that the app cannot know. */
export interface AsyncApiRouteOptions extends AsyncApiOptions {
  /** The URL path, such as `/asyncapi.json`. */
  readonly path: string;
}

/**
 * The address the request reached, as `host:port`: the server's own, never
 * the `Host` header, which the client writes and which would then be served
 * to everyone after it.
 */
function serverAddress(req: IncomingMessage): string | undefined {
  const { localAddress, localPort } = req.socket;
  if (localAddress === undefined || localPort === undefined) return undefined;
  const host = localAddress.startsWith('::ffff:') ? localAddress.slice(7) : localAddress;
  return host.includes(':') ? `[${host}]:${localPort}` : `${host}:${localPort}`;
}

/**
 * A request handler that answers GET and HEAD on `options.path` with the
 * app's AsyncAPI document as JSON, and returns false for any other path so
 * that the caller's own routes run. The document is made once, on the first
 * request, and the same bytes served after: it describes the channels
 * declared by then. Its server's host is `options.host`, else the address
 * the server took the request on.
 */
export function asyncApiRoute(
  app: DescribedApp,
  options: AsyncApiRouteOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { path, ...documentOptions } = options;
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?')) {
    throw appError(
      'CAROM_ERR_BAD_ARGUMENT',
      'asyncApiRoute',
      'path',
      'a URL path such as /asyncapi.json',
      path,
    );
  }
  let body: Promise<Buffer> | undefined;
  return (req, res) => {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    if ((query === -1 ? url : url.slice(0, query)) !== path) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed\n');
      return true;
    }
    body ??= app
      .asyncapi({ host: serverAddress(req), ...documentOptions })
      .then((doc) => Buffer.from(JSON.stringify(doc)));
    body.then(
      (bytes) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
        res.end(req.method === 'HEAD' ? undefined : bytes);
      },
      (err: unknown) => {
        // The next request tries again: the failure may be a converter installed since.
        app.logger.error(`the AsyncAPI document at ${path} could not be made`, err);
        body = undefined;
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end('the AsyncAPI document could not be made\n');
      },
    );
    return true;
  };
}
