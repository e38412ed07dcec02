/**
 * The chat example, carom's take on the FastAPI WebSocket chat demo.
 *
 * - A user picks a name and joins a room: `join {name, room}`. The ack lists
 *   the room's members (the joiner included); the members already there get
 *   a `joined` notice. A connection may be in several rooms at once, under one
 *   name: the name is claimed by its first `join` (unique across the server,
 *   and across every node on a shared broker, compared without case; see
 *   names.ts) and released when the connection closes.
 * - A room is the topic `room.NAME`, declared as a family with
 *   `topics: ['room.*']`. Joining subscribes the connection from server code
 *   (`connection.subscribe`); clients may not subscribe to anything themselves
 *   (`canSubscribe` refuses), so a room's subscribers are exactly its members
 *   and nobody can listen in on a room they did not join.
 * - Everything said in a room, and every presence notice, is published on the
 *   room's topic with a `type`: `message`, `joined` or `left` (with `reason`
 *   `left` or `disconnected`). The sender of a message receives it too, like
 *   everyone else in the room, so every member sees the same order.
 * - `whisper {to, text}` goes to one user by name, wherever they are: the
 *   target need not share a room with the sender (names are unique across the
 *   server). Only the target receives the `whisper` event; the sender gets the
 *   ack. Whispers are sent with `app.to(id).send`, and `whisper` is declared by
 *   nobody, so no client can subscribe to other people's whispers.
 * - On several nodes (a `broker` shared by several processes) they are one
 *   chat, and the chat asks only the broker seam: a room's messages cross
 *   nodes as publishes; members are listed from presence on the room's topic
 *   (`app.presence`), each entry's `user` carrying the member's name; a name
 *   is found for a whisper by presence on the topic `name.<name>` that its
 *   holder is subscribed to, and reached with `app.to(id)` on whatever node
 *   holds it; names are claimed through the broker's leases.
 * - Rooms keep a history (ROOM_HISTORY): `join` subscribes with
 *   `connection.subscribeWithHistory`, replaying the room's `recent` last
 *   events to a newcomer, or what followed `since` (the last position a page
 *   saw, sent back when it rejoins after a reconnect) to a page that comes
 *   back; the ack's `recovery` says whether anything may be missing (a restart
 *   lost the in-memory history: `EPOCH`; too much was said: `GAP`), and the
 *   recent events were replayed instead. Messages are handled once per key
 *   (`once`), so a page that sends one again after losing its answer does not
 *   say it twice.
 * - Refusals come back as `error` envelopes: a bad payload (empty or too long
 *   message, bad name or room) is `VALIDATION_FAILED` with the DTO's messages;
 *   the rest are `ClientError`s (`HANDLER_ERROR`) with a stable `details.reason`:
 *   `NAME_TAKEN`, `NAME_MISMATCH`, `NOT_JOINED`, `UNKNOWN_USER`, `SELF_WHISPER`.
 */
import { Transform, Type } from 'class-transformer';
import {
  IsArray,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  Carom,
  ClientError,
  ConfigurationError,
  Injectable,
  LocalBroker,
  On,
  OnDisconnect,
  type Broker,
  type CaromOptions,
  type Connection,
  type Context,
  type HistoryOptions,
  type WireRecovery,
} from '../../src/index.js';
import { exampleOrigins } from '../origins.js';
import { ChatNames } from './names.js';

/** A user name: 1 to 24 letters, digits, `_` or `-` (any script). */
export const NAME_PATTERN = /^[\p{L}\p{N}_-]{1,24}$/u;
/** A room name: 1 to 32 lowercase letters, digits or `-`, not starting with `-`. */
export const ROOM_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** The longest message or whisper, in characters. */
export const MAX_TEXT = 500;
/**
 * The largest frame the chat accepts (its `maxPayload`), in bytes: room for a
 * message of MAX_TEXT characters of up to 4 UTF-8 bytes each, JSON-escaped,
 * and its envelope. The page refuses larger text itself, rather than send a
 * frame that makes the server close the connection with 1009.
 */
export const MAX_FRAME_BYTES = 16 * 1024;
/**
 * How long the server remembers a message's key, so that the page's retry of
 * it is not said twice; the page gives up sending a message after as long.
 */
export const ONCE_WINDOW_MS = 120_000;
/** The topic of a room. */
export const roomTopic = (room: string): string => `room.${room}`;
/**
 * The topic only the holder of a name is subscribed to, so that presence on it
 * says which connection, on which node, has the name. Nothing is published on it.
 */
export const nameTopic = (name: string): string => `name.${name.toLowerCase()}`;

const ROOM_PREFIX = 'room.';

/**
 * What each room keeps for pages that join it or come back: its last 200
 * events (messages and presence notices) of the last hour. In memory on a
 * lone node, so a restart loses it (the page is told); in Redis Streams with
 * a Redis broker.
 */
export const ROOM_HISTORY: HistoryOptions = { size: 200, ttlMs: 3_600_000 };

/**
 * A chat connection's user: a guest at the handshake, given its name by its
 * first `join`, before it is subscribed to any room, so every presence entry
 * of a room carries the name (entries are written when a connection joins a
 * topic). The name never changes afterwards.
 */
export interface ChatUser {
  name: string | undefined;
}

function nameIn(user: unknown): string | undefined {
  const name = (user as Partial<ChatUser> | null | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** Trims strings (a message of blanks is empty); leaves other values for the validators to refuse. */
const Trimmed = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** Room names are case-insensitive: `Lobby` is `lobby`. */
const RoomName = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().toLowerCase() : value,
  );

const NAME_RULE = { message: 'a name is 1 to 24 letters, digits, - or _' };
const ROOM_RULE = {
  message: 'a room name is 1 to 32 letters, digits or -, and does not start with -',
};

/** Where a page stands in a room's history: the last event of the room it saw. */
export class RoomPosition {
  @IsString() @Length(1, 64) epoch!: string;
  @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) offset!: number;
}

/**
 * `join`: who you are and where you go; and, optionally, what of the room's
 * history to show: what followed `since` (a page that comes back after a
 * reconnect sends the last position it saw), else the room's `recent` last
 * events (a page joining for the first time, or one whose `since` is gone).
 */
export class JoinRoom {
  @Trimmed() @IsString(NAME_RULE) @Matches(NAME_PATTERN, NAME_RULE) name!: string;
  @RoomName() @IsString(ROOM_RULE) @Matches(ROOM_PATTERN, ROOM_RULE) room!: string;
  // An object: an array would pass ValidateNested with nothing in it.
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RoomPosition)
  since?: RoomPosition;
  @IsOptional() @IsInt() @Min(0) @Max(ROOM_HISTORY.size) recent?: number;
}

/** `leave`: the room to leave. */
export class LeaveRoom {
  @RoomName() @IsString(ROOM_RULE) @Matches(ROOM_PATTERN, ROOM_RULE) room!: string;
}

/** `message`: something said in a room you are in. */
export class SayInRoom {
  @RoomName() @IsString(ROOM_RULE) @Matches(ROOM_PATTERN, ROOM_RULE) room!: string;
  @Trimmed()
  @IsString({ message: 'a message is text' })
  @IsNotEmpty({ message: 'a message cannot be empty' })
  @MaxLength(MAX_TEXT, { message: `a message is at most ${MAX_TEXT} characters` })
  text!: string;
}

/** `whisper`: something said to one user. */
export class Whisper {
  @Trimmed() @IsString(NAME_RULE) @Matches(NAME_PATTERN, NAME_RULE) to!: string;
  @Trimmed()
  @IsString({ message: 'a message is text' })
  @IsNotEmpty({ message: 'a message cannot be empty' })
  @MaxLength(MAX_TEXT, { message: `a message is at most ${MAX_TEXT} characters` })
  text!: string;
}

/** What is published on a room's topic. */
export type RoomEvent =
  | { type: 'message'; room: string; from: string; text: string }
  | { type: 'joined'; room: string; name: string }
  | { type: 'left'; room: string; name: string; reason: 'left' | 'disconnected' };

/** The `whisper` event the target receives. */
export interface WhisperEvent {
  from: string;
  to: string;
  text: string;
}

/**
 * The ack of `join`. A class, so that `@On('join', { ack: Joined })` can give
 * the AsyncAPI document its schema (the decorators describe it; nothing
 * checks an ack at run time).
 */
export class Joined {
  @IsString() room!: string;
  @IsString() name!: string;
  /** Everyone in the room, the joiner included, sorted. */
  @IsArray() @IsString({ each: true }) members!: string[];
  /**
   * What became of the room's history, when the join asked for it (`since` or
   * `recent`) and entered the room: the events replayed came before this ack;
   * `recovered` false (with `reason` GAP or EPOCH) says events may be missing
   * since `since`, and the `recent` ones were replayed instead. `epoch` and
   * `offset` are where the room stands now: the page continues from there.
   */
  @IsOptional() recovery?: WireRecovery;
}

/** Why a request was refused, in `details.reason` of the error. */
export type ChatRefusal =
  'NAME_TAKEN' | 'NAME_MISMATCH' | 'NOT_JOINED' | 'UNKNOWN_USER' | 'SELF_WHISPER';

function refuse(reason: ChatRefusal, message: string, details: object = {}): ClientError {
  return new ClientError(message, { details: { reason, ...details } });
}

function byName(a: string, b: string): number {
  return a.localeCompare(b, undefined, { sensitivity: 'base' });
}

/** The chat: names, rooms, messages and whispers. */
@Injectable()
export class ChatRooms {
  constructor(
    private readonly app: Carom,
    private readonly names: ChatNames,
  ) {}

  /** The name a connection chose, if it joined a room yet. */
  static nameOf(connection: Connection): string | undefined {
    return nameIn(connection.user);
  }

  @On('join', { ack: Joined })
  async join(msg: JoinRoom, ctx: Context): Promise<Joined> {
    const { connection } = ctx;
    const name = await this.claim(connection, msg.name);
    const topic = roomTopic(msg.room);
    let recovery: WireRecovery | undefined;
    if (!connection.subscriptions.includes(topic)) {
      // What the room said first (its `recent` events are the ones before this join); then
      // the members already there get a notice, and the joiner, left out by name (a history
      // delivers in its own order: later, from Redis), gets the list instead.
      recovery = await connection.subscribeWithHistory(topic, {
        since: msg.since ?? undefined,
        recent: msg.recent ?? undefined,
      });
      this.app.publish(topic, { type: 'joined', room: msg.room, name } satisfies RoomEvent, {
        except: connection,
      });
    }
    const members = await this.members(msg.room);
    // A store across nodes may answer before it has the joiner's own entry.
    if (!members.includes(name)) members.push(name);
    const joined: Joined = { room: msg.room, name, members: members.sort(byName) };
    if (recovery !== undefined) joined.recovery = recovery;
    return joined;
  }

  @On('leave')
  leave(msg: LeaveRoom, ctx: Context): { room: string } {
    const name = this.requireMember(ctx.connection, msg.room);
    const topic = roomTopic(msg.room);
    ctx.connection.unsubscribe(topic);
    this.app.publish(topic, {
      type: 'left',
      room: msg.room,
      name,
      reason: 'left',
    } satisfies RoomEvent);
    return { room: msg.room };
  }

  @On('message')
  say(msg: SayInRoom, ctx: Context): { ok: true } {
    const from = this.requireMember(ctx.connection, msg.room);
    this.app.publish(roomTopic(msg.room), {
      type: 'message',
      room: msg.room,
      from,
      text: msg.text,
    } satisfies RoomEvent);
    return { ok: true };
  }

  @On('whisper')
  async whisper(msg: Whisper, ctx: Context): Promise<{ to: string }> {
    const from = ChatRooms.nameOf(ctx.connection);
    if (from === undefined) {
      throw refuse('NOT_JOINED', 'join a room (and pick a name) before you whisper');
    }
    const [target] = await this.app.presence(nameTopic(msg.to));
    if (target === undefined) {
      throw refuse('UNKNOWN_USER', `nobody called "${msg.to}" is here`, { to: msg.to });
    }
    if (target.connectionId === ctx.connection.id) {
      throw refuse('SELF_WHISPER', 'you cannot whisper to yourself');
    }
    const to = nameIn(target.user) ?? msg.to;
    // Wherever the target is held; like every relay across nodes, at most once.
    this.app
      .to(target.connectionId)
      .send('whisper', { from, to, text: msg.text } satisfies WhisperEvent);
    return { to };
  }

  /**
   * The rooms with at least one member, for the page's lobby, with their
   * members counted on every node. The rooms are those this node has a member
   * in: presence answers for a topic it is asked about, and cannot list
   * topics, so a room whose members are all on other nodes is not listed here
   * (it can still be joined by name, and is the same room).
   */
  @On('rooms')
  async rooms(): Promise<{ rooms: Array<{ room: string; members: number }> }> {
    const here = new Set<string>();
    for (const connection of this.app.openConnections) {
      for (const topic of connection.subscriptions) {
        if (topic.startsWith(ROOM_PREFIX)) here.add(topic.slice(ROOM_PREFIX.length));
      }
    }
    const rooms = await Promise.all(
      [...here].map(async (room) => ({
        room,
        members: (await this.app.presence(roomTopic(room))).length,
      })),
    );
    return { rooms: rooms.sort((a, b) => b.members - a.members || byName(a.room, b.room)) };
  }

  /** Tells each room the connection was in that it is gone, and frees its name. */
  @OnDisconnect()
  gone(connection: Connection): void {
    const name = ChatRooms.nameOf(connection);
    if (name === undefined) return;
    this.names.release(name, connection);
    for (const topic of connection.subscriptions) {
      if (!topic.startsWith(ROOM_PREFIX)) continue;
      const room = topic.slice(ROOM_PREFIX.length);
      this.app.publish(topic, {
        type: 'left',
        room,
        name,
        reason: 'disconnected',
      } satisfies RoomEvent);
    }
  }

  /** The members of a room on every node, by name, sorted. */
  async members(room: string): Promise<string[]> {
    const entries = await this.app.presence(roomTopic(room));
    return entries
      .map((e) => nameIn(e.user))
      .filter((n): n is string => n !== undefined)
      .sort(byName);
  }

  /** Gives the connection its name on its first join; later joins must use the same one. */
  private async claim(connection: Connection, wanted: string): Promise<string> {
    const current = ChatRooms.nameOf(connection);
    if (current !== undefined) {
      if (current.toLowerCase() !== wanted.toLowerCase()) {
        throw refuse('NAME_MISMATCH', `you are "${current}" on this connection`, {
          name: current,
        });
      }
      return current;
    }
    const user = connection.user as ChatUser | undefined;
    if (typeof user !== 'object' || user === null) {
      // Only the chat's own authenticate makes users; a connection without one cannot carry a name.
      throw new ClientError('this connection cannot pick a name');
    }
    if (!(await this.names.claim(wanted, connection))) {
      throw refuse('NAME_TAKEN', `the name "${wanted}" is taken; pick another`, { name: wanted });
    }
    user.name = wanted;
    connection.subscribe(nameTopic(wanted));
    return wanted;
  }

  /** The connection's name, when it is in the room; otherwise a `NOT_JOINED` refusal. */
  private requireMember(connection: Connection, room: string): string {
    const name = ChatRooms.nameOf(connection);
    if (name === undefined || !connection.subscriptions.includes(roomTopic(room))) {
      throw refuse('NOT_JOINED', `you are not in room "${room}"; join it first`, { room });
    }
    return name;
  }
}

/**
 * The chat's options: the room and name families, presence on both, no client
 * subscriptions (rooms are joined with `join`, and whispers need no
 * subscription), a guest user for every connection to carry its name, and the
 * broker, whose leases keep names unique: pass a shared one to run the chat
 * on several nodes. A broker without leases or presence is refused.
 */
export function chatOptions(broker: Broker = new LocalBroker()): CaromOptions {
  if (broker.leases === undefined) {
    throw new ConfigurationError(
      'the chat keeps names unique through leases: its broker has none',
      'CAROM_ERR_NO_LEASE_STORE',
    );
  }
  return {
    handlers: [ChatRooms],
    providers: [new ChatNames(broker.leases)],
    allowedOrigins: exampleOrigins(),
    topics: [{ name: 'room.*', history: ROOM_HISTORY }, 'name.*'],
    presence: ['room.*', 'name.*'],
    authenticate: (): ChatUser => ({ name: undefined }),
    canSubscribe: () => false,
    maxPayload: MAX_FRAME_BYTES,
    // The page sends each message with a key and sends it again after a reconnect when its
    // answer was lost: the server says it once. It waits at most this long for a
    // connection (its SEND_TIMEOUT_MS), so a repeat always comes within the window. A
    // broker that keeps no keys gets the default (the app warns, and handles keys as none).
    once: broker.once === undefined ? undefined : { windowMs: ONCE_WINDOW_MS },
    broker,
  };
}

/** The example's app; `broker` links it to the chat's other nodes. */
export function createChatApp(options: CaromOptions = {}): Carom {
  const { broker, ...rest } = options;
  return new Carom({ ...chatOptions(broker), ...rest });
}
