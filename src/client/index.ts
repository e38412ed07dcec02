export {
  connect,
  CaromClient,
  RequestError,
  type ClientOptions,
  type ClientState,
  type CloseInfo,
  type ReconnectOptions,
  type ServerEnvelope,
  type ServerError,
  type WebSocketConstructor,
  type WebSocketLike,
} from './client.js';
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
} from './types.js';
