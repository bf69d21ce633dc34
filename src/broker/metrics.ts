import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The broker's Prometheus metrics, on a registry of its own so several brokers (tests, the lab) can live
 * in one process without clashing over prom-client's global default registry.
 */
export class BrokerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'sluice_broker_requests_total',
    help: 'Requests handled, by API name and version',
    labelNames: ['api', 'version'] as const,
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: 'sluice_broker_request_duration_seconds',
    help: 'Time from a request being read to its response being ready, by API (long-poll fetches included)',
    labelNames: ['api'] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly bytesIn = new Counter({
    name: 'sluice_broker_bytes_in_total',
    help: 'Bytes read from client connections',
    registers: [this.registry],
  });
  readonly bytesOut = new Counter({
    name: 'sluice_broker_bytes_out_total',
    help: 'Bytes written to client connections',
    registers: [this.registry],
  });
  readonly connections = new Gauge({
    name: 'sluice_broker_connections',
    help: 'Open client connections',
    registers: [this.registry],
  });
  readonly connectionsOpened = new Counter({
    name: 'sluice_broker_connections_opened_total',
    help: 'Client connections accepted',
    registers: [this.registry],
  });
  readonly connectionsClosed = new Counter({
    name: 'sluice_broker_connections_closed_total',
    help: 'Client connections closed, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly producedRecords = new Counter({
    name: 'sluice_broker_produced_records_total',
    help: 'Records appended by Produce, by topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly produceThrottled = new Counter({
    name: 'sluice_broker_produce_throttled_total',
    help: 'Produce partition writes over quota that were accepted and throttled, by topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly produceThrottleMs = new Counter({
    name: 'sluice_broker_produce_throttle_time_ms_total',
    help: 'Throttle time reported to producers, in milliseconds',
    registers: [this.registry],
  });
  readonly produceRejected = new Counter({
    name: 'sluice_broker_produce_rejected_total',
    help: 'Produce partition writes over quota that were rejected (Kinesis-style), by topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly connectionPauses = new Counter({
    name: 'sluice_broker_connection_read_pauses_total',
    help: 'Times a connection stopped reading because its in-flight limit, a throttle or its write buffer was full',
    registers: [this.registry],
  });
  readonly requestMemoryWaits = new Counter({
    name: 'sluice_broker_request_memory_waits_total',
    help: 'Times a connection stopped reading because the request memory budget (--queued-max-request-bytes) was spent',
    registers: [this.registry],
  });
}
