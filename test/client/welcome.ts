/**
 * A connect hook that sends `carom.welcome`, for the integration tests of the
 * client against a real app. The server sends the welcome itself once issue 8's
 * server side lands; until then this stands in for it, and after it the client
 * ignores the second welcome (a test of that lives in client-unit.test.ts).
 */
import { OnConnect, type Connection } from '../../src/index.js';

/** Sends the welcome a carom server sends to a `carom` subprotocol client. */
export class Welcome {
  @OnConnect()
  welcome(connection: Connection): void {
    connection.send('carom.welcome', { connection: connection.id });
  }
}
