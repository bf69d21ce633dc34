import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import type { BrokerOptions } from '../../src/broker/config.js';
import type { ProvidedKafka } from '../kafka/global-setup.js';
import { startTestBroker, type TestBroker } from './broker.js';
import { inCI } from './tools.js';

/**
 * Where a parameterised suite runs: the embedded broker, or Apache Kafka from the rig. A suite is written
 * once as a function of its target and registered twice (test/e2e… for Sluice, test/kafka… for Kafka),
 * so the two runs can never drift apart. Where Kafka behaves differently the suite branches on `kind`
 * and says why.
 */
export interface BrokerTarget {
  kind: 'sluice' | 'kafka';
  /** For test titles: "sluice" or "kafka×3". */
  label: string;
  bootstrap: string;
  /** Number of brokers: 1 for the embedded broker, 3 for the cluster. */
  brokers: number;
  /** The embedded broker itself, for suites that look inside it; undefined on Kafka. */
  embedded?: TestBroker;
}

/** A getter: the target exists only once beforeAll has run. */
export type Target = () => BrokerTarget;

/** Registers `suite` against an embedded broker started for this file. */
export function onEmbeddedBroker(
  title: string,
  suite: (target: Target) => void,
  options: BrokerOptions = {},
): void {
  describe(`${title} [sluice]`, () => {
    let target: BrokerTarget | undefined;
    beforeAll(async () => {
      const embedded = await startTestBroker({ durability: 'memory', ...options });
      target = { kind: 'sluice', label: 'sluice', bootstrap: embedded.bootstrap, brokers: 1, embedded };
    });
    afterAll(async () => {
      await target?.embedded?.stop();
    });
    suite(() => {
      if (!target) throw new Error('the embedded broker did not start');
      return target;
    });
  });
}

type StartedKafka = Required<Omit<ProvidedKafka, 'missing'>>;

/**
 * `describe` for suites that need Apache Kafka from the rig (test/kafka/global-setup.ts). Without Java and
 * Maven it skips loudly on a developer machine; under CI the global setup has already failed the run.
 */
export function describeWithKafka(title: string, body: (kafka: () => StartedKafka) => void): void {
  const provided = inject('kafka');
  if (provided.missing || !provided.single || !provided.cluster) {
    const why = provided.missing ?? 'the kafka project did not start Kafka';
    if (inCI()) {
      describe(title, () =>
        it('has Apache Kafka to run against', () => {
          throw new Error(why);
        }),
      );
      return;
    }
    process.stderr.write(
      `\n!! SKIPPING "${title}": ${why}\n!! Nothing is compared with Apache Kafka here.\n\n`,
    );
    describe.skip(title, () => body(() => provided as StartedKafka));
    return;
  }
  const started = provided as StartedKafka;
  describe(title, () => body(() => started));
}

/** Registers `suite` against the rig's three-broker Kafka cluster. */
export function onKafkaCluster(title: string, suite: (target: Target) => void): void {
  describeWithKafka(`${title} [kafka×3]`, (kafka) => {
    suite(() => ({ kind: 'kafka', label: 'kafka×3', bootstrap: kafka().cluster.bootstrap, brokers: 3 }));
  });
}

/**
 * Registers `suite` against the rig's single Kafka node: for suites whose outputs name brokers, log
 * dirs and replication factors, which a single node prints as the embedded broker does.
 */
export function onKafkaNode(title: string, suite: (target: Target) => void): void {
  describeWithKafka(`${title} [kafka]`, (kafka) => {
    suite(() => ({ kind: 'kafka', label: 'kafka', bootstrap: kafka().single.bootstrap, brokers: 1 }));
  });
}

/**
 * A topic or group name no other file of the run uses: the kafka project shares one cluster between
 * all its files, and ListGroups there shows every file's groups.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
