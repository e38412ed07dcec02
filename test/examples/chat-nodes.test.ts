/** The chat example on two nodes linked by an in-memory BrokerHub. */
import { BrokerHub } from '../../src/testing/index.js';
import { chatOnTwoNodes } from '../support/chat-two-nodes.js';

chatOnTwoNodes('BrokerHub', () => {
  const hub = new BrokerHub();
  return Promise.resolve({
    broker: (nodeId: string) => hub.broker(nodeId),
    settled: () => hub.settled(),
    close: () => hub.settled(),
  });
});
