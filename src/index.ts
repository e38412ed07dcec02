import 'reflect-metadata';

export { Carom, type CaromStats, type CloseOptions, type ListenOptions } from './app.js';
export type {
  CaromOptions,
  Authenticate,
  AllowedOrigins,
  ClientAddress,
  StalenessOptions,
  StaleScope,
  UnknownProperties,
  RateLimit,
  MessageGuard,
  SubscribeGuard,
} from './core/options.js';
export { DEFAULTS } from './core/options.js';
export type { TopicDeclaration } from './core/options.js';
// Requests handled once: the envelope's `key`, per identity, for a window.
export { ONCE_DEFAULTS, type OnceOptions } from './core/options.js';
export type { FirstAnswer, Claim, OnceStore } from './core/once.js';
export { MemoryOnceStore, type MemoryOnceOptions } from './core/memory-once.js';
export type { OnceStats } from './core/once-gate.js';
export type {
  DeliveryMode,
  DeliveryKey,
  DeliveryOptions,
  DeliveryCounts,
  DeliveryStats,
} from './core/delivery.js';
export { Connection } from './core/connection.js';
export {
  LocalBroker,
  type Broker,
  type BrokerNode,
  type BrokerStats,
  type ConnectionCommand,
  LocalPresence,
  type PresenceEntry,
  type PresenceStore,
  type LeaseStore,
  nodeOf,
} from './core/broker.js';
export { ConnectionRef } from './core/cluster.js';
// History and resume (issue 11): what an event keeps, where, and what the wire says of it.
export type {
  HistoryEntry,
  HistoryNode,
  HistoryOptions,
  HistoryRead,
  HistoryStore,
  Position,
} from './core/history.js';
export type { HistoryDeclaration } from './core/history-policies.js';
export type { HistorySubscribeOptions } from './core/history-subscribe.js';
export { MemoryHistory, type MemoryHistoryOptions } from './core/memory-history.js';
export {
  OTHER_EVENT,
  type CaromObserver,
  type DropReason,
  type HandlerCall,
  type ObservedApp,
  type ObservedStats,
} from './core/observer.js';
export type { Context } from './core/context.js';
export { Handler } from './core/handler.js';
export { Sender, TimedSender } from './core/sender.js';
export type { Clock, TimerHandle } from './core/clock.js';
export { systemClock } from './core/clock.js';
export { createLogger, type CaromLogger, type LogLevel } from './core/logger.js';
export type { PropertyFailure } from './core/validation.js';
export type { ErrorClass } from './core/guard.js';
export type { SubscriptionList } from './core/subscription-requests.js';
export type { Class, ValueProvider } from './core/container.js';
export { On } from './decorators/on.js';
export { Topic } from './decorators/topic.js';
export { OnConnect, OnDisconnect } from './decorators/lifecycle.js';
export { Injectable } from './decorators/injectable.js';
export { Payload } from './decorators/payload.js';
export type { OnOptions, TopicOptions } from './core/metadata.js';
export {
  CaromError,
  ClientError,
  ConnectionRefused,
  ConfigurationError,
  UsageError,
  CAROM_ERRORS,
  type AppErrorCode,
  type ErrorEntry,
  type ClientErrorOptions,
} from './core/errors.js';
export type { Interceptor } from './core/interceptors.js';
export type { OnStart, OnClose } from './core/lifecycle.js';
export { MAX_APP_CODE_LENGTH } from './core/app-code.js';
export { ErrorCode, CloseCode } from './protocol/errors.js';
export type { EnvelopeId, InboundEnvelope } from './protocol/envelope.js';
export type { WireEnvelope, WireErrorData, WireId, WireSubscriptionAck } from './protocol/wire.js';
export type { WirePosition, WireRecovery, WireRecoveryReason } from './protocol/wire.js';
export type { Channels } from './core/channels.js';
export type { DtoClass } from './core/validation.js';
export { CHANNEL_CREATED, CHANNEL_DELETED } from './protocol/names.js';
export type { TimestampFormat } from './protocol/timestamp.js';
export type { HandshakeRequest } from './core/seam.js';
export {
  readToken,
  forwardedAddress,
  type TokenSources,
  type ForwardedOptions,
} from './transport/handshake.js';
export { tokenProtocol, CAROM_PROTOCOL } from './transport/subprotocol.js';
export { CLIENT_PROTOCOL_PREFIX } from './transport/subprotocol.js';
export { serveClientModule, CLIENT_MODULE_PATH } from './transport/client-module.js';
// Typed end to end: one event map for server and client, families, scoped publishes, asks.
export type {
  AckData,
  AnswerData,
  AnyEvents,
  AskableEvent,
  AskData,
  EventMap,
  EventMapOf,
  EventSpec,
  FamilyEvent,
  MemberOf,
  PublishableEvent,
  PublishData,
  ReceivableEvent,
  ReceiveData,
  SendableEvent,
  SendData,
} from './protocol/event-map.js';
export { FamilySender, MemberSender } from './core/family-sender.js';
export type { PublishOptions } from './core/publish-options.js';
export type { RelayScope } from './core/broker.js';
export { AskError, type AskErrorCode, type AskOptions } from './core/asks.js';
export {
  eventMap,
  type Ack,
  type HandlerOf,
  type PayloadOf,
  type SenderOf,
  type FamilySenderOf,
  type TypedDecorators,
  type TypedOn,
  type PublisherOf,
} from './decorators/event-map.js';
export { asyncApiRoute, type AsyncApiRouteOptions, type DescribedApp } from './asyncapi/route.js';
export type { AsyncApiDocument, AsyncApiOptions } from './asyncapi/document.js';
