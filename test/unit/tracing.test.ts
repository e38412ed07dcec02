/**
 * carom/otel with the OpenTelemetry SDK: spans collected by its in-memory
 * exporter, context carried across a handler's awaits by the SDK's
 * AsyncLocalStorage context manager, as an application would set it up.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { Connection, Handler, On, Sender, Topic, type Context } from '../../src/index.js';
import { createTestApp, type TestApp } from '../../src/testing/index.js';
import { caromMetrics } from '../../src/metrics/index.js';
import { caromTracing } from '../../src/otel/index.js';
import { Registry } from 'prom-client';

@Topic('greeting')
class GreetingSender extends Sender<{ text: string }> {}

@On('greet', { dto: false })
class GreetHandler extends Handler<{ name: string }, string> {
  constructor(private readonly greetings: GreetingSender) {
    super();
  }

  async handle(data: { name: string }, ctx: Context): Promise<string> {
    // An await between the envelope and the publish: the context must cross it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.greetings.send({ text: `hello ${data.name}` });
    (ctx.connection as Connection).send('greeting', { text: 'just you' });
    this.greetings.sendTo(ctx.connection, { text: 'you again' });
    return 'greeted';
  }
}

@On('fail', { dto: false })
class FailHandler extends Handler {
  handle(): never {
    throw new Error('boom');
  }
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('carom-test');
const apps: TestApp[] = [];

before(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
after(() => context.disable());
afterEach(async () => {
  for (const t of apps.splice(0)) await t.close();
  exporter.reset();
});

function spanNamed(name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((s) => s.name === name);
  assert.equal(
    found.length,
    1,
    `one span '${name}' in ${exporter
      .getFinishedSpans()
      .map((s) => s.name)
      .join(', ')}`,
  );
  return found[0]!;
}

describe('carom/otel', () => {
  it('gives every handled envelope a span, and links the publishes its handler makes to it', async () => {
    const tracing = await caromTracing({ tracer });
    const t = await createTestApp({
      handlers: [GreetHandler, FailHandler],
      senders: [GreetingSender],
      observers: [tracing],
      logLevel: 'silent',
    });
    apps.push(t);
    const client = await t.connect();
    await client.subscribe('greeting');
    const reply = await client.request('greet', { name: 'Ada' });
    assert.equal(reply.data, 'greeted');

    const handled = spanNamed('greet process');
    assert.equal(handled.kind, SpanKind.CONSUMER);
    assert.equal(handled.attributes['carom.event'], 'greet');
    assert.equal(handled.attributes['carom.connection.id'], t.app.openConnections[0]!.id);
    assert.equal(handled.attributes['carom.outcome'], 'ok');
    assert.equal(handled.attributes['carom.error.code'], undefined);
    assert.equal(handled.status.code, SpanStatusCode.UNSET);

    const publishes = exporter.getFinishedSpans().filter((s) => s.name === 'greeting publish');
    assert.equal(publishes.length, 3, 'the publish, the send and the sendTo');
    const ids = handled.spanContext();
    for (const publish of publishes) {
      assert.equal(publish.kind, SpanKind.PRODUCER);
      assert.equal(
        publish.parentSpanContext?.spanId,
        ids.spanId,
        'a child of the handled envelope',
      );
      assert.equal(publish.spanContext().traceId, ids.traceId);
      assert.deepEqual(
        publish.links.map((l) => l.context.spanId),
        [ids.spanId],
      );
    }
    assert.deepEqual(
      publishes.map((p) => p.attributes['carom.recipients']),
      [1, 1, 1],
    );
    // The subscription was handled too, and caused no publish.
    assert.equal(spanNamed('subscribe process').attributes['carom.outcome'], 'ok');
  });

  it("records an envelope's error code, and names a made-up event's span by its label", async () => {
    const tracing = await caromTracing({ tracer });
    const t = await createTestApp({
      handlers: [FailHandler],
      observers: [tracing],
      logLevel: 'silent',
    });
    apps.push(t);
    const client = await t.connect();
    assert.equal((await client.request('fail')).data.code, 'HANDLER_ERROR');
    assert.equal((await client.request('evil-123')).data.code, 'UNKNOWN_EVENT');

    const failed = spanNamed('fail process');
    assert.equal(failed.attributes['carom.outcome'], 'error');
    assert.equal(failed.attributes['carom.error.code'], 'HANDLER_ERROR');
    assert.equal(failed.status.code, SpanStatusCode.ERROR);
    const unknown = spanNamed('(other) process');
    assert.equal(unknown.attributes['carom.event'], 'evil-123');
    assert.equal(unknown.attributes['carom.error.code'], 'UNKNOWN_EVENT');
  });

  it('traces and counts at once when given both observers', async () => {
    const tracing = await caromTracing({ tracer });
    const metrics = await caromMetrics({ registry: new Registry() });
    const t = await createTestApp({
      handlers: [GreetHandler],
      senders: [GreetingSender],
      observers: [metrics, tracing],
      logLevel: 'silent',
    });
    apps.push(t);
    const client = await t.connect();
    await client.subscribe('greeting');
    await client.request('greet', { name: 'Bo' });
    const handled = spanNamed('greet process');
    const publishes = exporter.getFinishedSpans().filter((s) => s.name === 'greeting publish');
    assert.equal(publishes.length, 3);
    for (const p of publishes)
      assert.equal(p.parentSpanContext?.spanId, handled.spanContext().spanId);
    const values = await metrics.values();
    assert.equal(values['carom_frames_sent_total{event="greeting"}'], 3);
    assert.equal(values['carom_handler_duration_seconds_count{event="greet",outcome="ok"}'], 1);
  });
});
