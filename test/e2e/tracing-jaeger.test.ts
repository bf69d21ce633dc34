import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import type { LagReport } from '../../src/monitor/reports.js';
import type { RunningJaeger } from '../../src/tracing/jaeger.js';
import { SPAN_NAMES } from '../../src/tracing/options.js';
import { waitFor } from '../helpers/burrow.js';
import {
  type JaegerSpan,
  type JaegerTrace,
  jaegerTrace,
  parentOf,
  startTestJaeger,
  tag,
} from '../helpers/jaeger.js';

/**
 * The lab with a real Jaeger (started here), a burst of orders into a slow consumer, and Jaeger's own query
 * API asked for the trace the burst request started: every order's spans from the producer's request to
 * the sink, linked parent to child, with durations that match the processing time and a backlog that
 * shows as time waiting in the broker. Then each order's broker wait is checked against the lag monitor's
 * time lag of its partition, sampled at that moment.
 */

const ORDERS = 24;
const PROCESSING_MS = 100;
const MONITOR_INTERVAL_MS = 250;

let jaeger: RunningJaeger;
let lab: Lab;
let trace: JaegerTrace;
const reports: { at: number; report: LagReport }[] = [];
const requestTraceId = randomBytes(16).toString('hex');
const callerSpanId = randomBytes(8).toString('hex');

beforeAll(async () => {
  jaeger = await startTestJaeger();
  lab = await Lab.start({
    memory: true,
    ports: { broker: 0, producer: 0, consumer: 0, monitor: 0 },
    partitions: 2,
    processingTimeMs: PROCESSING_MS,
    monitorIntervalMs: MONITOR_INTERVAL_MS,
    tracing: { otlpEndpoint: jaeger.otlpEndpoint, sampleRatio: 1, exportDelayMs: 200 },
  });
  // Each report's own time: when the monitor computed the lag in it.
  lab.monitor!.monitor.onReport((report) => reports.push({ at: Date.parse(report.timestamp), report }));
  // The caller's own trace: the producer continues it, so the whole burst is one trace we can ask for.
  const res = await fetch(`${lab.urls.producer}/burst`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${requestTraceId}-${callerSpanId}-01` },
    body: JSON.stringify({ count: ORDERS, delay_ms: 0 }),
  });
  expect(res.status).toBe(200);
  const consumer = lab.consumers[0].consumer;
  await waitFor(
    `${ORDERS} orders through the sink`,
    async () => (consumer.runtime.stats().consumed >= ORDERS ? true : undefined),
    30_000,
  );
  // 1 request + 1 admission + per order: send, process, broker wait, in flight, sink.
  const expected = 2 + ORDERS * 5;
  trace = await waitFor(
    `${expected} spans of trace ${requestTraceId} in Jaeger`,
    async () => {
      const t = await jaegerTrace(jaeger, requestTraceId);
      return t && t.spans.length >= expected ? t : undefined;
    },
    20_000,
    () => jaeger.logTail(),
  );
}, 90_000);

afterAll(async () => {
  await lab?.stop();
  await jaeger?.stop();
});

const service = (s: JaegerSpan) => trace.processes[s.processID].serviceName;
const ms = (us: number) => us / 1000;

describe('tracing: the lab into a real Jaeger', () => {
  it('links each order from the burst request through produce to the consumer and its waits and sink', () => {
    const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
    const request = trace.spans.find((s) => s.operationName === 'POST /burst')!;
    expect(service(request)).toBe('sluice-producer');
    expect(parentOf(request)).toBe(callerSpanId);
    const admission = trace.spans.find((s) => s.operationName === SPAN_NAMES.admission)!;
    expect(parentOf(admission)).toBe(request.spanID);

    const sends = trace.spans.filter((s) => tag(s, 'span.kind') === 'producer');
    const processes = trace.spans.filter((s) => tag(s, 'span.kind') === 'consumer');
    expect(sends).toHaveLength(ORDERS);
    expect(processes).toHaveLength(ORDERS);
    for (const s of sends) {
      expect(service(s)).toBe('sluice-producer');
      expect(parentOf(s)).toBe(request.spanID);
    }
    for (const p of processes) {
      expect(service(p)).toBe('sluice-consumer');
      expect(byId.get(parentOf(p)!)?.operationName).toBe(`${SPAN_NAMES.produce} orders`);
      const children = trace.spans.filter((s) => parentOf(s) === p.spanID);
      const [broker, inFlight, sink] = [
        SPAN_NAMES.broker,
        SPAN_NAMES.inFlight,
        `${SPAN_NAMES.sink} simulated`,
      ].map((name) => children.find((c) => c.operationName === name)!);
      expect([broker, inFlight, sink].every(Boolean)).toBe(true);
      // One after the other: in the broker, then held, then in the sink, inside the order's own span.
      expect(broker.startTime).toBe(p.startTime);
      expect(inFlight.startTime).toBeGreaterThanOrEqual(broker.startTime + broker.duration - 1);
      expect(sink.startTime).toBeGreaterThanOrEqual(inFlight.startTime + inFlight.duration - 1);
      expect(p.startTime + p.duration).toBeGreaterThanOrEqual(sink.startTime + sink.duration - 1);
      // The sink takes the processing time (a timer may fire a little late, never early).
      expect(ms(sink.duration)).toBeGreaterThanOrEqual(PROCESSING_MS - 2);
      expect(ms(sink.duration)).toBeLessThan(PROCESSING_MS * 5);
    }
    // One consumer at 100 ms per order: the backlog, not the work, is where the last orders' time went.
    const last = processes.reduce((a, b) => (a.startTime + a.duration > b.startTime + b.duration ? a : b));
    const waited = trace.spans
      .filter((s) => parentOf(s) === last.spanID && s.operationName !== `${SPAN_NAMES.sink} simulated`)
      .reduce((n, s) => n + ms(s.duration), 0);
    expect(waited).toBeGreaterThanOrEqual((ORDERS - 1) * PROCESSING_MS * 0.9);
    expect(ms(last.duration)).toBeGreaterThanOrEqual(ORDERS * PROCESSING_MS * 0.9);
  });

  it("matches each order's broker wait with the monitor's time lag of its partition, within one collection interval", () => {
    const processes = trace.spans.filter((s) => tag(s, 'span.kind') === 'consumer');
    let compared = 0;
    for (const p of processes) {
      const partition = Number(tag(p, 'messaging.destination.partition.id'));
      const broker = trace.spans.find(
        (s) => parentOf(s) === p.spanID && s.operationName === SPAN_NAMES.broker,
      )!;
      const fetchedAt = ms(broker.startTime + broker.duration);
      const waitedMs = ms(broker.duration);
      // The monitor's last collection before the fetch (at most one interval before it): the order was
      // still in the broker then, so the partition's oldest unconsumed order was at most as young as it.
      const sample = reports
        .filter((r) => r.at <= fetchedAt && r.at >= fetchedAt - MONITOR_INTERVAL_MS - 50)
        .at(-1);
      if (!sample) continue;
      const lag = sample.report.partitions.find((x) => x.partition === partition && x.topic === 'orders');
      if (!lag || lag.lag_seconds === null || !lag.lag) continue;
      compared++;
      expect(Math.abs(lag.lag_seconds * 1000 - waitedMs)).toBeLessThanOrEqual(MONITOR_INTERVAL_MS + 50);
    }
    // Most orders waited long enough for a collection to see them waiting.
    expect(compared).toBeGreaterThanOrEqual(ORDERS / 2);
  });

  it('serves the slowest orders and the waiting share per partition on /lab/traces without Jaeger', async () => {
    const res = await fetch(`${lab.urls.monitor}/lab/traces`);
    const body = (await res.json()) as {
      orders: number;
      slowest: { trace_id: string; total_ms: number; bars: { part: string; duration_ms: number }[] }[];
      partitions: { partition: number; orders: number; waiting_share: number }[];
    };
    expect(body.orders).toBe(ORDERS);
    expect(body.slowest[0].trace_id).toBe(requestTraceId);
    expect(body.slowest[0].total_ms).toBeGreaterThanOrEqual(body.slowest.at(-1)!.total_ms);
    expect(body.slowest[0].bars.map((b) => b.part)).toEqual(['broker', 'in flight', 'sink']);
    expect(body.partitions.map((p) => p.partition)).toEqual([0, 1]);
    expect(body.partitions.reduce((n, p) => n + p.orders, 0)).toBe(ORDERS);
    // A burst into one slow consumer: most of the time is spent waiting.
    for (const p of body.partitions) expect(p.waiting_share).toBeGreaterThan(0.5);
  });
});
