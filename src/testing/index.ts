export {
  createTestApp,
  TestApp,
  type TestAppOptions,
  type ConnectOptions,
  type LogLine,
} from './test-app.js';
export {
  TestClient,
  type ReceivedEnvelope,
  type ErrorData,
  type SendOptions,
  type PushRef,
  type RefuteOptions,
  type TopicData,
} from './test-client.js';
export type { Expected } from './matching.js';
export { FakeClock, settle } from './fake-clock.js';
export { FakeSocket } from './fake-socket.js';
export { BrokerHub } from './broker-hub.js';
