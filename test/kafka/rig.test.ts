import { expect, it } from 'vitest';
import { kafkaCli } from '../helpers/kafka.js';
import { describeWithKafka } from '../helpers/targets.js';

describeWithKafka('the Apache Kafka rig', (kafka) => {
  it('runs a single node and a three-broker cluster that list all their brokers', async () => {
    const single = await kafkaCli('kafka-broker-api-versions', [
      '--bootstrap-server',
      kafka().single.bootstrap,
    ]);
    expect(single.stdout.match(/\(id: \d+ rack: null/g)).toHaveLength(1);
    const cluster = await kafkaCli('kafka-broker-api-versions', [
      '--bootstrap-server',
      kafka().cluster.bootstrap,
    ]);
    expect(cluster.stdout.match(/\(id: \d+ rack: null/g)).toHaveLength(3);
  });

  it('creates topics on the cluster with replication factor 3 and min.insync.replicas=2', async () => {
    const bootstrap = kafka().cluster.bootstrap;
    await kafkaCli('kafka-topics', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--topic',
      'rig-rf',
      '--partitions',
      '2',
    ]);
    const out = (
      await kafkaCli('kafka-topics', ['--bootstrap-server', bootstrap, '--describe', '--topic', 'rig-rf'])
    ).stdout;
    expect(out).toMatch(/ReplicationFactor: 3/);
    expect(out).toMatch(/min\.insync\.replicas=2/);
    expect(out.match(/Isr: \d,\d,\d/g)).toHaveLength(2);
  });
});
