import type { DtoClass } from '../core/validation.js';
import type { UnknownProperties } from '../core/options.js';

/** One handler of a client event, as the app registered it. */
export interface HandlerModel {
  /** `ClassName.method`. */
  readonly name: string;
  /** The payload's DTO, when the handler has one. */
  readonly dto: DtoClass | undefined;
  /** The class of the ack's data, when `@On` names it. */
  readonly ack: DtoClass | undefined;
}

/** A sender's topic. */
export interface SenderModel {
  readonly event: string;
  /** The sender's class name. */
  readonly by: string;
  /** A `TimedSender`'s period. */
  readonly everyMs: number | undefined;
  /** The class of the data, when `@Topic` names it. */
  readonly dto: DtoClass | undefined;
}

/**
 * What `app.asyncapi()` reads of an app, gathered by the app when asked: the
 * document layer sees plain data, never the app's internals.
 */
export interface AppModel {
  /** Client events, each with its handlers in registration order. */
  readonly handlers: ReadonlyMap<string, readonly HandlerModel[]>;
  readonly senders: readonly SenderModel[];
  /** Exact names of the `topics` option. */
  readonly optionTopics: readonly string[];
  /** Families of the `topics` option, as patterns (`room.*`). */
  readonly families: readonly string[];
  /** Channels declared now. */
  readonly channels: readonly string[];
  /** Topics whose joins and leaves are announced as `carom.presence`. */
  readonly presenceNotices: readonly string[];
  readonly path: string;
  /** True when the app has an `authenticate` hook. */
  readonly authenticates: boolean;
  readonly allowUndeclared: boolean;
  readonly unknownProperties: UnknownProperties;
  readonly maxEventLength: number;
  readonly maxSubscriptions: number;
  readonly maxPayload: number;
  readonly maxDepth: number;
  /** Where the app listens, when `listen` made its server (`host:port`). */
  readonly listening: string | undefined;
}
