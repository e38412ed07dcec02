/**
 * The channels example, carom's take on the Starlette channels demo.
 *
 * Channels are events created and deleted while the app runs
 * (`app.channels.create` / `delete`, driven here by the HTTP API in `api.ts`).
 * carom announces each change to every connection (`carom.channel.created`,
 * `carom.channel.deleted`), so every page keeps its list up to date; a page
 * that connects later asks for the channels that exist with `channels.list`.
 * Pages subscribe to the channels they want; a message pushed to a channel is
 * published to its subscribers.
 */
import { Carom, Injectable, On, type CaromOptions } from '../../src/index.js';
import { exampleOrigins } from '../origins.js';

/**
 * What a channel may be called: 1 to 64 letters, digits, `.`, `_` or `-`,
 * starting with a letter or digit. Names starting with `carom.` and the
 * protocol's own event names are refused by carom itself.
 */
export const CHANNEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The ack of `channels.list`. */
export interface ChannelList {
  channels: string[];
  /**
   * When this server process's app was made (ISO). Channels live in its
   * memory: a page that sees this change after a reconnect knows the server
   * restarted and the channels it knew are gone.
   */
  serverStarted: string;
}

/** Answers `channels.list` with every channel that exists now. */
@Injectable()
export class ChannelDirectory {
  private readonly started: string;

  constructor(private readonly app: Carom) {
    this.started = new Date(app.clock.now()).toISOString();
  }

  @On('channels.list')
  list(): ChannelList {
    return { channels: this.app.channels.list(), serverStarted: this.started };
  }
}

/** The example's options. */
export function channelsOptions(): CaromOptions {
  return { handlers: [ChannelDirectory], allowedOrigins: exampleOrigins() };
}

/** The example's app. */
export function createChannelsApp(options: CaromOptions = {}): Carom {
  return new Carom({ ...channelsOptions(), ...options });
}
