import type { DtoClass } from '../core/validation.js';
import {
  CHANNEL_NOTICE,
  ERROR_DATA,
  PRESENCE_NOTICE,
  SUBSCRIPTION_ACK,
  WELCOME,
  clientEnvelope,
  serverEnvelope,
  subscriptionRequest,
} from './envelopes.js';
import type { AppModel, HandlerModel } from './model.js';
import { dtoSchemas, type DtoSchemas, type JsonSchema } from './schemas.js';
import { securitySchemes } from './security.js';

/** What `app.asyncapi()` cannot know of the app, and the document should say. */
export interface AsyncApiOptions {
  /** `info.title`. Default `carom application`. */
  readonly title?: string;
  /** `info.version`, the application's version. Default `0.0.0`. */
  readonly version?: string;
  /** `info.description`. */
  readonly description?: string;
  /**
   * The server's `host[:port]` as clients reach it. Default: where `listen`
   * bound, else `localhost`.
   */
  readonly host?: string;
  /** `ws`, or `wss` behind TLS. Default `ws`. */
  readonly protocol?: 'ws' | 'wss';
  /**
   * The security schemes of the server, by name (AsyncAPI Security Scheme
   * Objects), replacing the ones carom lists for an app with `authenticate`
   * (the places `readToken` reads); `false` lists none.
   */
  readonly security?: Readonly<Record<string, object>> | false;
}

/** An AsyncAPI 3.0 document, as plain JSON. */
export interface AsyncApiDocument {
  /** The AsyncAPI version the document follows. */
  readonly asyncapi: '3.0.0';
  /** What the document describes. */
  readonly info: {
    /** The application's name. */
    readonly title: string;
    /** The application's version. */
    readonly version: string;
    /** More about it. */
    readonly description?: string;
  };
  /** The rest: servers, channels, operations, components. */
  readonly [field: string]: unknown;
}

/** A channel of the document while it is built: an event and what travels on it. */
interface Channel {
  readonly id: string;
  readonly body: JsonSchema & { messages: Record<string, JsonSchema> };
}

const UNKNOWN_DATA: JsonSchema = { description: 'any JSON; the application does not describe it' };
const SAFE_ID = /[^A-Za-z0-9_-]/g;

/** Builds the document; every part the app reads comes in `model`. */
class DocumentBuilder {
  private readonly channels = new Map<string, Channel>();
  private readonly ids = new Set<string>();
  private readonly operations: Record<string, JsonSchema> = {};

  constructor(
    private readonly model: AppModel,
    private readonly schemas: DtoSchemas,
  ) {}

  /** A key safe in any AsyncAPI map, unique in the document. */
  private uniqueId(text: string): string {
    const base = text.replace(SAFE_ID, '_') || '_';
    let id = base;
    for (let n = 2; this.ids.has(id); n++) id = `${base}_${n}`;
    this.ids.add(id);
    return id;
  }

  /** The channel of an exact event name, or of a family (`room.*`). */
  channel(name: string, description: string): Channel {
    const existing = this.channels.get(name);
    if (existing !== undefined) return existing;
    const body: Channel['body'] = { messages: {}, description };
    if (name.endsWith('.*')) {
      body['address'] = `${name.slice(0, -1)}{name}`;
      body['parameters'] = { name: { description: `any name under ${name.slice(0, -1)}` } };
    } else {
      // A `{` in a name would read as a parameter: such a name has no address, its
      // messages' `event` field says it.
      body['address'] = /[{}]/.test(name) ? null : name;
    }
    body['title'] = name;
    const channel = { id: this.uniqueId(name), body };
    this.channels.set(name, channel);
    return channel;
  }

  /** Adds a message to a channel; returns its reference. */
  message(channel: Channel, key: string, message: JsonSchema): { $ref: string } {
    channel.body.messages[key] = message;
    return { $ref: `#/channels/${channel.id}/messages/${key}` };
  }

  operation(id: string, operation: JsonSchema): void {
    this.operations[this.uniqueId(id)] = operation;
  }

  /** The schema of the data of one DTO, or of several that must all pass. */
  dataSchema(classes: readonly DtoClass[]): JsonSchema {
    const refs = classes.map((cls) => ({
      $ref: `#/components/schemas/${this.schemas.keys.get(cls)!}`,
    }));
    if (refs.length === 0) return UNKNOWN_DATA;
    return refs.length === 1 ? refs[0]! : { allOf: refs };
  }

  /** A client event: its envelope, the handlers that take it, and its ack. */
  clientEvent(event: string, handlers: readonly HandlerModel[]): void {
    const names = handlers.map((h) => h.name).join(', ');
    const channel = this.channel(event, `the event \`${event}\``);
    const dtos = handlers.flatMap((h) => (h.dto === undefined ? [] : [h.dto]));
    const received = this.message(channel, 'fromClient', {
      name: event,
      title: `${event}, from a client`,
      summary: `handled by ${names}`,
      payload: clientEnvelope({ const: event }, this.dataSchema(dtos)),
    });
    const acks = handlers.flatMap((h) => (h.ack === undefined ? [] : [h.ack]));
    const ackData =
      acks.length === 0
        ? {
            description: 'what the handlers return: the first value that is not undefined, or null',
          }
        : { oneOf: [...acks.map((a) => this.dataSchema([a])), { type: 'null' }] };
    this.operation(`receive_${event}`, {
      action: 'receive',
      channel: { $ref: `#/channels/${channel.id}` },
      summary: `a client sends \`${event}\`; handled by ${names}`,
      messages: [received],
      reply: this.ackReply(event, ackData),
    });
  }

  /** The reply of a request: an `ack` on the `ack` channel (or an `error`, described there). */
  private ackReply(event: string, data: JsonSchema): JsonSchema {
    const acks = this.channel('ack', 'the reply to an envelope with an `id` that was handled');
    const ref = this.message(acks, this.uniqueId(`ack_${event}`), {
      name: 'ack',
      title: `the ack of ${event}`,
      payload: serverEnvelope({ const: 'ack' }, data, true),
    });
    return { channel: { $ref: `#/channels/${acks.id}` }, messages: [ref] };
  }

  /** An event the server publishes: a sender's, a name or family of the `topics` option, a channel. */
  published(name: string, by: string, data: JsonSchema, extra: JsonSchema = {}): void {
    const family = name.endsWith('.*');
    const channel = this.channel(name, family ? `the events ${name}` : `the event \`${name}\``);
    const prefix = name.slice(0, -1);
    const event = family
      ? { type: 'string', pattern: `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` }
      : { const: name };
    const sent = this.message(channel, 'fromServer', {
      name,
      title: `${name}, published`,
      summary: `published by ${by} to the connections subscribed to it`,
      payload: serverEnvelope(event, data),
    });
    this.operation(`send_${name}`, {
      action: 'send',
      channel: { $ref: `#/channels/${channel.id}` },
      summary: `published by ${by}`,
      messages: [sent],
      ...extra,
    });
  }

  /** The events carom itself defines (docs/PROTOCOL.md). */
  reserved(): void {
    const { maxEventLength, maxSubscriptions } = this.model;
    for (const [name, what] of [
      ['subscribe', 'adds names and patterns to the connection’s subscriptions'],
      ['unsubscribe', 'removes them; an exact name a pattern still covers becomes an exclusion'],
    ] as const) {
      const channel = this.channel(name, `reserved: ${what}`);
      const received = this.message(channel, 'fromClient', {
        name,
        payload: clientEnvelope(
          { const: name },
          subscriptionRequest(maxEventLength, maxSubscriptions),
        ),
      });
      this.operation(`receive_${name}`, {
        action: 'receive',
        channel: { $ref: `#/channels/${channel.id}` },
        summary: what,
        messages: [received],
        reply: this.ackReply(name, SUBSCRIPTION_ACK),
      });
    }
    const ping = this.channel('carom.ping', 'reserved, extension: a heartbeat a browser can send');
    this.operation('receive_carom.ping', {
      action: 'receive',
      channel: { $ref: `#/channels/${ping.id}` },
      messages: [
        this.message(ping, 'fromClient', {
          name: 'carom.ping',
          payload: clientEnvelope({ const: 'carom.ping' }, {}),
        }),
      ],
      reply: this.ackReply('carom.ping', { type: 'null' }),
    });
    const errors = this.channel(
      'error',
      'reserved: the answer to every envelope that cannot be handled (but a stale one without an id)',
    );
    const error = this.message(errors, 'error', {
      name: 'error',
      payload: {
        ...serverEnvelope({ const: 'error' }, ERROR_DATA),
        description: 'carries the `id` of the envelope refused, when it had one and it was read',
      },
    });
    this.operation('send_error', {
      action: 'send',
      channel: { $ref: `#/channels/${errors.id}` },
      messages: [error],
    });
    const notices: Array<[string, string, JsonSchema]> = [
      [
        'carom.channel.created',
        'reserved: a channel was declared, to every connection',
        CHANNEL_NOTICE,
      ],
      [
        'carom.channel.deleted',
        'reserved: a channel was removed, to every connection',
        CHANNEL_NOTICE,
      ],
      [
        'carom.welcome',
        'reserved, extension: the connection is accepted; only to clients that offered the `carom` subprotocol',
        WELCOME,
      ],
    ];
    if (this.model.presenceNotices.length > 0) {
      notices.push([
        'carom.presence',
        `reserved, extension: a join or a leave on ${this.model.presenceNotices.join(', ')}, to its subscribers`,
        PRESENCE_NOTICE,
      ]);
    }
    for (const [name, description, data] of notices) {
      const channel = this.channel(name, description);
      this.operation(`send_${name}`, {
        action: 'send',
        channel: { $ref: `#/channels/${channel.id}` },
        messages: [
          this.message(channel, 'fromServer', {
            name,
            payload: serverEnvelope({ const: name }, data),
          }),
        ],
      });
    }
  }

  build(options: AsyncApiOptions): AsyncApiDocument {
    const m = this.model;
    const schemes =
      options.security === false
        ? {}
        : (options.security ?? (m.authenticates ? securitySchemes() : {}));
    const server: JsonSchema = {
      host: options.host ?? m.listening ?? 'localhost',
      protocol: options.protocol ?? 'ws',
      pathname: m.path,
      description:
        `carom protocol version 1 over WebSocket: one JSON envelope per text frame, at most ${m.maxPayload} bytes ` +
        `(larger closes with 1009), event names of at most ${m.maxEventLength} characters, data nested at most ${m.maxDepth} levels.` +
        (m.allowUndeclared ? ' Clients may subscribe to undeclared names.' : ''),
    };
    const names = Object.keys(schemes);
    if (names.length > 0) {
      server['security'] = names.map((name) => ({ $ref: `#/components/securitySchemes/${name}` }));
    }
    const document: JsonSchema = {
      asyncapi: '3.0.0',
      info: {
        title: options.title ?? 'carom application',
        version: options.version ?? '0.0.0',
        ...(options.description === undefined ? {} : { description: options.description }),
      },
      defaultContentType: 'application/json',
      servers: { carom: server },
      channels: Object.fromEntries([...this.channels.values()].map((c) => [c.id, c.body])),
      operations: this.operations,
      components: { schemas: this.schemas.schemas, securitySchemes: schemes },
    };
    return document as unknown as AsyncApiDocument;
  }
}

/**
 * The AsyncAPI 3.0 document of an app: the events clients send (with their
 * DTOs' schemas and their acks'), the events it publishes (senders, the
 * `topics` option's names and families, channels declared now), carom's
 * reserved events, the error envelope with its codes, the server and its
 * security schemes.
 */
export async function asyncApiDocument(
  model: AppModel,
  options: AsyncApiOptions = {},
): Promise<AsyncApiDocument> {
  const classes = new Set<DtoClass>();
  for (const handlers of model.handlers.values()) {
    for (const h of handlers) {
      if (h.dto !== undefined) classes.add(h.dto);
      if (h.ack !== undefined) classes.add(h.ack);
    }
  }
  for (const s of model.senders) if (s.dto !== undefined) classes.add(s.dto);
  const builder = new DocumentBuilder(
    model,
    await dtoSchemas(classes, model.unknownProperties === 'refuse'),
  );
  for (const [event, handlers] of model.handlers) builder.clientEvent(event, handlers);
  for (const s of model.senders) {
    const data = s.dto === undefined ? UNKNOWN_DATA : builder.dataSchema([s.dto]);
    const extra = s.everyMs === undefined ? {} : { 'x-carom-every-ms': s.everyMs };
    builder.published(
      s.event,
      s.everyMs === undefined ? s.by : `${s.by}, every ${s.everyMs} ms`,
      data,
      extra,
    );
  }
  for (const name of model.optionTopics) builder.published(name, 'the application', UNKNOWN_DATA);
  for (const family of model.families) builder.published(family, 'the application', UNKNOWN_DATA);
  for (const name of model.channels) builder.published(name, 'a channel', UNKNOWN_DATA);
  builder.reserved();
  return builder.build(options);
}
