/**
 * The fraud-detection job on Kafka, as a job module for `sluice engine run`: transactions are read from a
 * topic (JSON values, keyed by card), scored by the same operators as the simulated example, and every
 * decision is written to another topic. Run it in several processes with the same --group and they share
 * the partitions.
 *
 *   sluice engine run dist/engine/examples/fraud-kafka.js --brokers 127.0.0.1:9092 --group fraud \
 *     --strategy stop-sources --param slowCostMs=5
 */

import type { ProducerOverflowPolicy } from '../../client/accumulator.js';
import { Job } from '../job.js';
import { kafkaSink, kafkaSource } from '../kafka/io.js';
import type { EngineJobContext, EngineJobDefinition } from '../kafka/job-module.js';
import { addScoring, type Decision, newStats, type Transaction } from './fraud-detection.js';

/** `--param` names the job understands, with their defaults. */
export const FRAUD_KAFKA_DEFAULTS = {
  input: 'transactions',
  output: 'decisions',
  /** Source instances (group members) per process. */
  sources: '2',
  slowInstance: '1',
  slowCostMs: '5',
  aggregatorCostMs: '1.5',
  queueCapacity: '200',
  sessionTimeoutMs: '10000',
  /** Bytes one fetch of a source instance may bring in: with the queues, what a process holds. */
  fetchBytes: '65536',
  /** The decisions producer's overflow policy. */
  policy: 'block',
};

export default function fraudKafkaJob(ctx: EngineJobContext): EngineJobDefinition {
  const p = { ...FRAUD_KAFKA_DEFAULTS, ...ctx.params };
  const unknown = Object.keys(ctx.params).filter((k) => !(k in FRAUD_KAFKA_DEFAULTS));
  if (unknown.length > 0) {
    throw new Error(
      `fraud job: unknown --param ${unknown.join(', ')}; known: ${Object.keys(FRAUD_KAFKA_DEFAULTS).join(', ')}`,
    );
  }
  const num = (name: keyof typeof FRAUD_KAFKA_DEFAULTS): number => {
    const n = Number(p[name]);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`fraud job: --param ${name}=${p[name]}; give a number >= 0`);
    return n;
  };
  const stats = newStats();
  const job = new Job('fraud-detection');
  const transactions = job.source(
    'transactions',
    kafkaSource<Transaction>({
      brokers: ctx.brokers,
      clusterOptions: { security: ctx.security },
      groupId: ctx.groupId,
      topics: [p.input],
      parallelism: num('sources'),
      sessionTimeoutMs: num('sessionTimeoutMs'),
      maxBytes: num('fetchBytes'),
      decode: (r) => JSON.parse(String(r.value)) as Transaction,
    }),
  );
  const aggregator = addScoring(
    job,
    transactions,
    {
      slowInstance: num('slowInstance'),
      slowCostMs: num('slowCostMs'),
      aggregatorCostMs: num('aggregatorCostMs'),
      queueCapacity: num('queueCapacity'),
    },
    stats,
  );
  const decisions = job.sink<Decision>(
    'decisions',
    kafkaSink<Decision>({
      brokers: ctx.brokers,
      clusterOptions: { security: ctx.security },
      topic: p.output,
      policy: p.policy as ProducerOverflowPolicy,
      encode: (d) => ({ key: d.txId, value: JSON.stringify(d) }),
    }),
  );
  job.connect(aggregator, decisions);
  return { job };
}
