/**
 * What the carom/redis resume tests do as a client: subscribe with `resume`
 * or `recent` and read the ack's recovery report, and check what arrived.
 */
import assert from 'node:assert/strict';
import type { Client } from '../integration/helpers.js';

/** A position as the wire carries it. */
export interface Position {
  epoch: string;
  offset: number;
}

/** One event's entry in the ack's `recovery`. */
export interface Recovery extends Position {
  recovered: boolean;
  replayed: number;
  reason?: string;
}

let nextId = 1;

/** Subscribes with `resume` (and optionally `recent`), and returns the ack's recovery report. */
export async function resubscribe(
  client: Client,
  events: string[],
  resume: Record<string, Position> | undefined,
  recent?: number,
): Promise<Record<string, Recovery>> {
  const id = nextId++;
  const data: Record<string, unknown> = { events };
  if (resume !== undefined) data.resume = resume;
  if (recent !== undefined) data.recent = recent;
  const acked = client.next(
    (e) => (e.event === 'ack' || e.event === 'error') && e.id === id,
    20_000,
  );
  client.send({ event: 'subscribe', id, data });
  const reply = await acked;
  assert.equal(reply.event, 'ack', JSON.stringify(reply.data));
  return (reply.data as { recovery?: Record<string, Recovery> }).recovery ?? {};
}

/** What a client received of `event`: each message's `n` and position, in the order received. */
export function received(client: Client, event: string): { n: number; position: Position }[] {
  return client.messages
    .filter((e) => e.event === event)
    .map((e) => ({
      n: (e.data as { n: number }).n,
      position: (e as unknown as { position: Position }).position,
    }));
}

/** Checks offsets run 1..count in one epoch, each message once, in order. */
export function allOnceInOrder(got: { position: Position }[], epoch: string, count: number): void {
  assert.equal(got.length, count, `${got.length} messages, ${count} expected`);
  got.forEach((m, i) => {
    assert.equal(m.position.epoch, epoch);
    assert.equal(m.position.offset, i + 1, `message ${i}`);
  });
}
