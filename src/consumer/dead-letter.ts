import type { Cluster } from '../client/cluster.js';
import { Producer } from '../client/producer.js';
import type { ConsumerRecord, DeadLetterInfo, DeadLetterPublisher } from './types.js';

/** Header names added to a dead-lettered record (the original headers are kept before them). */
export const DLQ_HEADERS = {
  /** A short label to group dead letters by: the error's string `code` if it has one, else its class name. */
  reason: 'sluice.dlq.reason',
  error: 'sluice.dlq.error',
  attempts: 'sluice.dlq.attempts',
  topic: 'sluice.dlq.source.topic',
  partition: 'sluice.dlq.source.partition',
  offset: 'sluice.dlq.source.offset',
  timestamp: 'sluice.dlq.source.timestamp',
} as const;

/** What dead letters are grouped by: an error's string `code` (e.g. ECONNRESET), else its class name. */
export function reasonOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code.slice(0, 200);
    if (error instanceof Error) return error.name;
  }
  return typeof error;
}

/** The dead-letter topic of a source topic unless configured otherwise: `<topic>.dlq`. */
export function defaultDeadLetterTopic(sourceTopic: string): string {
  return `${sourceTopic}.dlq`;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** The record as it goes to the dead-letter topic: original key, value and headers, plus why and where from. */
export function deadLetterMessage(
  record: ConsumerRecord,
  info: DeadLetterInfo,
): { key: Buffer | null; value: Buffer | null; headers: { key: string; value: Buffer | null }[] } {
  return {
    key: record.key,
    value: record.value,
    headers: [
      ...record.headers,
      { key: DLQ_HEADERS.reason, value: Buffer.from(reasonOf(info.error)) },
      { key: DLQ_HEADERS.error, value: Buffer.from(describeError(info.error).slice(0, 2000)) },
      { key: DLQ_HEADERS.attempts, value: Buffer.from(String(info.attempts)) },
      { key: DLQ_HEADERS.topic, value: Buffer.from(record.topic) },
      { key: DLQ_HEADERS.partition, value: Buffer.from(String(record.partition)) },
      { key: DLQ_HEADERS.offset, value: Buffer.from(record.offset.toString()) },
      { key: DLQ_HEADERS.timestamp, value: Buffer.from(String(record.timestamp)) },
    ],
  };
}

export interface KafkaDeadLetterOptions {
  cluster: Cluster;
  /** Default `<source topic>.dlq`. */
  topic?: string | ((sourceTopic: string) => string);
}

/** Writes exhausted records to a Kafka topic and resolves once the broker acknowledged them. */
export class KafkaDeadLetter implements DeadLetterPublisher {
  private readonly producer: Producer;
  private readonly topicFor: (sourceTopic: string) => string;

  constructor(options: KafkaDeadLetterOptions) {
    this.producer = new Producer({ cluster: options.cluster, lingerMs: 0, acks: -1 });
    const t = options.topic;
    this.topicFor = typeof t === 'function' ? t : typeof t === 'string' ? () => t : defaultDeadLetterTopic;
  }

  async publish(record: ConsumerRecord, info: DeadLetterInfo): Promise<void> {
    const topic = this.topicFor(record.topic);
    const [delivery] = await this.producer.send([{ topic, ...deadLetterMessage(record, info) }]);
    if (delivery.status !== 'delivered') {
      throw new Error(`dead-letter write to "${topic}" was not delivered (${delivery.status})`);
    }
  }

  async close(): Promise<void> {
    await this.producer.close({ flush: true });
  }
}
