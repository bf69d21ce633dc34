import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Producer } from '../../src/client/producer.js';
import { createKafkaConsumer } from '../../src/consumer/create.js';
import { fanOut, RecentTraces, SPAN_NAMES, startTracing, type Tracing } from '../../src/tracing/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/burrow.js';

/**
 * A record followed from the client producer through the broker into the consumer runtime's sink: the
 * produce span's context travels in the record's `traceparent` header, the consumer continues it, and
 * retries and the dead letter stay in the same trace. Spans go to OpenTelemetry's in-memory exporter.
 */

const SINK_MS = 60;
let broker: TestBroker;
let producerSide: Tracing;
let consumerSide: Tracing;
const exported = new InMemorySpanExporter();

beforeAll(async () => {
  broker = await startTestBroker({ durability: 'memory' });
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics([
    { topic: 'traced', numPartitions: 2 },
    { topic: 'traced.dlq', numPartitions: 1 },
  ]);
  await admin.close();
  const common = { exporters: [exported], exportDelayMs: 50 };
  producerSide = await startTracing({ serviceName: 'test-producer', ...common });
  consumerSide = await startTracing({ serviceName: 'test-consumer', ...common });
});

afterAll(async () => {
  await producerSide?.shutdown();
  await consumerSide?.shutdown();
  await broker?.stop();
});

const spanId = (s: ReadableSpan) => s.spanContext().spanId;
const traceId = (s: ReadableSpan) => s.spanContext().traceId;
const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
const durationMs = (s: ReadableSpan) => ms(s.duration);

describe('tracing a record from producer to sink', () => {
  it('links produce -> process -> broker wait, in flight, sink attempts and the dead letter in one trace', async () => {
    const producer = new Producer({ brokers: [broker.bootstrap], tracer: producerSide.produceTracer() });
    const request = producerSide.startSpan('POST /test', { kind: 'server' });
    const keys = ['ok', 'flaky', 'poison'];
    for (const key of keys) {
      await producer.produce({ topic: 'traced', key, value: key, partition: 0, context: request.context });
    }
    await producer.flush();
    request.span.end();
    await producer.close();

    const attempts = new Map<string, number>();
    const recent = new RecentTraces();
    const runtime = createKafkaConsumer({
      brokers: [broker.bootstrap],
      groupId: 'traced-group',
      topics: ['traced'],
      autoOffsetReset: 'earliest',
      concurrency: 1,
      ordering: 'partition',
      retry: { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 10 },
      sink: {
        name: 'slow',
        async write(record) {
          const key = record.key!.toString();
          const n = (attempts.get(key) ?? 0) + 1;
          attempts.set(key, n);
          await new Promise((r) => setTimeout(r, SINK_MS));
          if (key === 'poison' || (key === 'flaky' && n === 1)) throw new Error(`${key} failed`);
        },
      },
      tracer: fanOut(consumerSide.recordTracer({ groupId: 'traced-group', sinkName: 'slow' }), recent),
    });
    await runtime.start();
    await waitFor(
      'three records consumed',
      async () => (runtime.stats().consumed === 3 ? true : undefined),
      20_000,
    );
    await runtime.stop();
    await producerSide.flush();
    await consumerSide.flush();

    const spans = exported.getFinishedSpans();
    const server = spans.find((s) => s.name === 'POST /test')!;
    const sends = spans.filter((s) => s.kind === SpanKind.PRODUCER);
    const processes = spans.filter((s) => s.kind === SpanKind.CONSUMER);
    expect(sends).toHaveLength(3);
    expect(processes).toHaveLength(3);
    // One trace: the request, each record's send under it, each record's processing under its send.
    for (const s of [...sends, ...processes]) expect(traceId(s)).toBe(traceId(server));
    for (const s of sends) expect(parentId(s)).toBe(spanId(server));
    const children = (p: ReadableSpan) => spans.filter((s) => parentId(s) === spanId(p));
    for (const p of processes) {
      expect(sends.map(spanId)).toContain(parentId(p));
      const names = children(p).map((s) => s.name);
      expect(names).toContain(SPAN_NAMES.broker);
      expect(names).toContain(SPAN_NAMES.inFlight);
      const sinks = children(p).filter((s) => s.name === `${SPAN_NAMES.sink} slow`);
      const key = String(p.attributes['messaging.kafka.message.key']);
      // Every attempt is a span of its own; a failed one says so.
      expect(sinks).toHaveLength(attempts.get(key)!);
      for (const s of sinks) expect(durationMs(s)).toBeGreaterThanOrEqual(SINK_MS - 5);
      expect(sinks.filter((s) => s.status.code === 2)).toHaveLength(
        key === 'ok' ? 0 : key === 'flaky' ? 1 : 2,
      );
      expect(names.includes(SPAN_NAMES.deadLetter)).toBe(key === 'poison');
      expect(p.attributes['sluice.outcome']).toBe(key === 'poison' ? 'dead-lettered' : 'done');
      // The process span covers the record's whole way: from its timestamp to the end of the last attempt.
      const sum = children(p).reduce((n, s) => n + durationMs(s), 0);
      expect(durationMs(p)).toBeGreaterThanOrEqual(sum - 5);
    }

    // The in-memory store saw the same records, with the same trace id and the attempts as bars.
    const snap = recent.snapshot();
    expect(snap.orders).toBe(3);
    expect(new Set(snap.slowest.map((t) => t.trace_id))).toEqual(new Set([traceId(server)]));
    const poison = snap.slowest.find((t) => t.key === 'poison')!;
    expect(poison.outcome).toBe('dead-lettered');
    expect(poison.bars.filter((b) => b.part === 'sink').map((b) => b.failed)).toEqual([true, true]);
    expect(poison.bars.map((b) => b.part)).toContain('backoff');
    expect(poison.working_ms).toBeGreaterThanOrEqual(2 * (SINK_MS - 5));
    const [partition] = snap.partitions;
    expect(partition.orders).toBe(3);
    expect(partition.waiting_share).toBeGreaterThan(0);
    expect(partition.waiting_share).toBeLessThan(1);
  });

  it('keeps unsampled traces out: ratio 0 records no span and leaves the records unsampled', async () => {
    const off = new InMemorySpanExporter();
    const tracing = await startTracing({ serviceName: 'never', sampleRatio: 0, exporters: [off] });
    const producer = new Producer({ brokers: [broker.bootstrap], tracer: tracing.produceTracer() });
    await producer.produce({ topic: 'traced', value: 'x', partition: 1 });
    await producer.flush();
    await producer.close();
    await tracing.shutdown();
    expect(off.getFinishedSpans()).toHaveLength(0);
  });

  it('refuses a sample ratio or endpoint it cannot use, saying what would work', async () => {
    await expect(startTracing({ serviceName: 's', sampleRatio: 2 })).rejects.toThrow(/from 0 to 1/);
    await expect(startTracing({ serviceName: 's', otlpEndpoint: 'localhost:4318' })).rejects.toThrow(
      /http\(s\) URL such as http:\/\/127\.0\.0\.1:4318/,
    );
  });
});
