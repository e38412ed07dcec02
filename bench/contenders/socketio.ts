/**
 * Socket.IO 4 used the normal way: WebSocket transport only, a room per event
 * (`socket.join`), `io.to(room).emit` to publish, ack callbacks for requests,
 * and the same class-validator DTO for the validated request. A published
 * message carries its timestamp in its data, since Socket.IO has no envelope
 * of its own for it.
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { BODY, ECHO, ECHO_DTO, TICK, TIMED_PERIOD_MS, TOCK } from '../common.js';
import { validateEcho } from './dto.js';
import { IntervalPublisher, type BenchServer } from './types.js';

const DECLARED = new Set([TICK, TOCK]);

type Ack = (reply: unknown) => void;

export async function createServer(): Promise<BenchServer> {
  const http = createHttpServer();
  const io = new Server(http, {
    transports: ['websocket'],
    perMessageDeflate: false,
    maxHttpBufferSize: 1024 * 1024,
    serveClient: false,
  });

  io.on('connection', (socket) => {
    socket.on('subscribe', (data: { events?: unknown }, ack?: Ack) => {
      const events = Array.isArray(data?.events) ? (data.events as unknown[]) : [];
      const unknown = events.filter((e) => typeof e !== 'string' || !DECLARED.has(e));
      for (const e of events) if (typeof e === 'string' && DECLARED.has(e)) void socket.join(e);
      ack?.(unknown.length > 0 ? { error: 'UNKNOWN_EVENT', unknown } : { events });
    });
    socket.on(ECHO, (data: { n: number }, ack?: Ack) => {
      ack?.({ n: data.n });
    });
    socket.on(ECHO_DTO, (data: unknown, ack?: Ack) => {
      const result = validateEcho(data);
      ack?.(
        typeof result === 'string'
          ? { error: 'VALIDATION_FAILED', message: result }
          : { n: result.n },
      );
    });
  });

  const publish = (event: string, seq: number): number => {
    const room = io.sockets.adapter.rooms.get(event);
    io.to(event).emit(event, { seq, body: BODY, timestamp: new Date().toISOString() });
    return room?.size ?? 0;
  };

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const timed = new IntervalPublisher((seq) => publish(TOCK, seq), TIMED_PERIOD_MS);

  return {
    port: (http.address() as AddressInfo).port,
    path: '/socket.io/',
    publish: (seq) => publish(TICK, seq),
    startTimed: (count) => timed.run(count),
    connections: () => io.engine.clientsCount,
    close: async () => {
      timed.stop();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
      });
    },
  };
}
