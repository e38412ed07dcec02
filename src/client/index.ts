/**
 * `carom/client`: the client for browsers and Node. This entry is also what
 * the build bundles into the one module served at `/carom/client.js`.
 */
export { connect, CaromClient, type ServerEnvelope } from './client.js';
export {
  exponentialBackoff,
  type BackoffPolicy,
  type ExponentialBackoffOptions,
  type ReconnectOptions,
} from './backoff.js';
export { ClientErrorCode, CloseCode } from './codes.js';
export { RequestError, type ServerError } from './errors.js';
export { CHANNEL_CREATED, CHANNEL_DELETED, PRESENCE, WELCOME } from './names.js';
export type { ClientOptions, EmitOptions, RequestOptions, SubscribeOptions } from './options.js';
export type { EventRecovery, RecoveryReason, RecoveryReport } from './recovery.js';
export type { StreamPosition } from './positions.js';
export type { WebSocketConstructor, WebSocketLike } from './socket.js';
export type { ClientState, CloseInfo } from './state.js';
export type { TokenSource, TokenPlace } from './token.js';
export type { Listener } from './listeners.js';
export type {
  EventMap,
  EventMapOf,
  EventSpec,
  AnyEvents,
  SendableEvent,
  ReceivableEvent,
  SendData,
  AckData,
  ReceiveData,
  AskableEvent,
  AskData,
  AnswerData,
  ReservedEvents,
  PresenceNotice,
  ChannelNotice,
  PresenceMember,
  ListenableEvent,
  ListenData,
  ListenPattern,
  PatternEvent,
  PatternEnvelope,
  PatternData,
  SubscriptionAck,
} from './types.js';
export { ANSWER_FAILED, NO_ANSWER, type Answerer } from './answers.js';
