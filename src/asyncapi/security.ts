/**
 * The places `readToken` finds a token, as AsyncAPI security schemes: an app
 * with `authenticate` most often reads its token there. A client offers one of
 * them; the server's `security` lists them as alternatives.
 */
export function securitySchemes(): Record<string, object> {
  return {
    bearer: {
      type: 'http',
      scheme: 'bearer',
      description: 'an `Authorization: Bearer <token>` header on the upgrade request (from Node)',
    },
    subprotocol: {
      type: 'httpApiKey',
      name: 'Sec-WebSocket-Protocol',
      in: 'header',
      description:
        "the subprotocol entry `carom.token.<base64url of the token's UTF-8, no padding>`, offered beside `carom` (what carom's client sends from a browser); the server never selects it",
    },
    cookie: {
      type: 'httpApiKey',
      name: 'token',
      in: 'cookie',
      description: 'a `token` cookie, for a session the page already has',
    },
    query: {
      type: 'httpApiKey',
      name: 'token',
      in: 'query',
      description:
        'the `token` query parameter, for clients that can do none of the others (proxies and logs keep URLs)',
    },
  };
}
