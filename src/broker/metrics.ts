import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every broker series is named `sluice_broker_<name>`. */
const PREFIX = 'sluice_broker_';

/**
 * The broker's Prometheus metrics, on a registry of its own so several brokers (tests, the lab) can live
 * in one process without clashing over prom-client's global default registry.
 */
export class BrokerMetrics {
  readonly registry = new Registry();
  readonly requests = this.counter('requests_total', 'Requests handled, by API name and version', [
    'api',
    'version',
  ]);
  readonly requestSeconds = this.histogram(
    'request_duration_seconds',
    'Time from a request being read to its response being ready, by API (long-poll fetches included)',
    ['api'],
    [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  );
  readonly bytesIn = this.counter('bytes_in_total', 'Bytes read from client connections');
  readonly bytesOut = this.counter('bytes_out_total', 'Bytes written to client connections');
  readonly connections = this.gauge('connections', 'Open client connections');
  readonly connectionsOpened = this.counter('connections_opened_total', 'Client connections accepted');
  readonly connectionsClosed = this.counter(
    'connections_closed_total',
    'Client connections closed, by reason',
    ['reason'],
  );
  readonly producedRecords = this.perTopicCounter(
    'produced_records_total',
    'Records appended by Produce, by topic',
  );
  readonly produceThrottled = this.perTopicCounter(
    'produce_throttled_total',
    'Produce partition writes over quota that were accepted and throttled, by topic',
  );
  readonly produceThrottleMs = this.counter(
    'produce_throttle_time_ms_total',
    'Throttle time reported to producers, in milliseconds',
  );
  readonly produceRejected = this.perTopicCounter(
    'produce_rejected_total',
    'Produce partition writes over quota that were rejected (Kinesis-style), by topic',
  );
  readonly connectionPauses = this.counter(
    'connection_read_pauses_total',
    'Times a connection stopped reading because its in-flight limit, a throttle or its write buffer was full',
  );
  readonly requestMemoryWaits = this.counter(
    'request_memory_waits_total',
    'Times a connection stopped reading because the request memory budget (--queued-max-request-bytes) was spent',
  );

  private counter<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ): Counter<L> {
    return new Counter({ name: PREFIX + name, help, labelNames, registers: [this.registry] });
  }

  private perTopicCounter(name: string, help: string): Counter<'topic'> {
    return this.counter(name, help, ['topic']);
  }

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name: PREFIX + name, help, registers: [this.registry] });
  }

  private histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) {
    return new Histogram<L>({ name: PREFIX + name, help, labelNames, buckets, registers: [this.registry] });
  }
}
