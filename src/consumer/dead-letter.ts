import type { Cluster } from '../client/cluster.js';
import { Producer } from '../client/producer.js';
import type { ConsumerRecord, DeadLetterInfo, DeadLetterPublisher } from './types.js';

/** Header names added to a dead-lettered record (the original headers are kept before them). */
export const DLQ_HEADERS = {
  error: 'sluice.dlq.error',
  attempts: 'sluice.dlq.attempts',
  topic: 'sluice.dlq.source.topic',
  partition: 'sluice.dlq.source.partition',
  offset: 'sluice.dlq.source.offset',
  timestamp: 'sluice.dlq.source.timestamp',
} as const;

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
    this.topicFor = typeof t === 'function' ? t : typeof t === 'string' ? () => t : (s) => `${s}.dlq`;
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
