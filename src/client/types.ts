/**
 * The typed event map shared by clients and servers. Its definitions live in
 * src/protocol/event-map.ts, which the server's classes read too, so one map
 * types both ends:
 *
 * ```ts
 * type Chat = {
 *   chat: { send: { text: string }; ack: { ok: true }; receive: { from: string; text: string } };
 *   clock: { receive: { now: string } };
 * };
 * ```
 */
export type {
  AckData,
  AnswerData,
  AnyEvents,
  AskableEvent,
  AskData,
  EventMap,
  EventMapOf,
  EventSpec,
  ReceivableEvent,
  ReceiveData,
  SendableEvent,
  SendData,
} from '../protocol/event-map.js';
