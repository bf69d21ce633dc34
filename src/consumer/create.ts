import type { ConsumerRuntimeOptions, DeadLetterOptions } from './config.js';
import { KafkaDeadLetter } from './dead-letter.js';
import { KafkaSource, type KafkaSourceOptions } from './kafka-record-source.js';
import { ConsumerRuntime } from './runtime.js';

export interface KafkaConsumerOptions
  extends Omit<ConsumerRuntimeOptions, 'source' | 'deadLetter'>,
    Omit<KafkaSourceOptions, 'clock'> {
  /** Dead-letter exhausted records to Kafka (default topic `<topic>.dlq`); `false` to skip them instead. */
  deadLetter?: DeadLetterOptions | false;
}

/** A runtime reading from Kafka through a consumer group, dead-lettering to Kafka: the usual setup. */
export function createKafkaConsumer(options: KafkaConsumerOptions): ConsumerRuntime {
  const source = new KafkaSource({ ...options, clock: options.clock });
  const dl = options.deadLetter;
  const deadLetter =
    dl === false
      ? undefined
      : (dl?.publisher ?? new KafkaDeadLetter({ cluster: source.cluster, topic: dl?.topic }));
  return new ConsumerRuntime({ ...options, source, deadLetter });
}
