import type { TestProject } from 'vitest/node';
import { type KafkaCluster, kafkaTool, startKafka } from '../helpers/kafka.js';
import { inCI } from '../helpers/tools.js';

/** What the kafka project's suites read with inject('kafka'). */
export interface ProvidedKafka {
  /** Why there is no Kafka (a missing tool on a developer machine); the suites skip loudly. */
  missing?: string;
  single?: { bootstrap: string; ports: number[] };
  cluster?: { bootstrap: string; ports: number[] };
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: ProvidedKafka;
  }
}

/**
 * Starts Apache Kafka once for every suite in test/kafka: a single node and a three-broker cluster, side
 * by side (about 10 s together on two cores, see docs/architecture.md), stopped when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tool = kafkaTool();
  if (!tool.available) {
    if (inCI()) throw new Error(`CI is set and Apache Kafka cannot run here: ${tool.detail}`);
    project.provide('kafka', { missing: `${tool.name} (${tool.detail})` });
    return async () => {};
  }
  const started: KafkaCluster[] = [];
  const track = (c: KafkaCluster): KafkaCluster => {
    started.push(c);
    return c;
  };
  const stopAll = () => Promise.all(started.map((c) => c.stop())).then(() => undefined);
  try {
    const [single, cluster] = await Promise.all([
      startKafka({ brokers: 1 }).then(track),
      startKafka({ brokers: 3 }).then(track),
    ]);
    const describe = (c: KafkaCluster) => ({ bootstrap: c.bootstrap, ports: c.nodes.map((n) => n.port) });
    project.provide('kafka', { single: describe(single), cluster: describe(cluster) });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return stopAll;
}
