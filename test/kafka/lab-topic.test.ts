import { expect, it } from 'vitest';
import { ensureTopic } from '../../src/lab/setup.js';
import { kafkaCli } from '../helpers/kafka.js';
import { describeWithKafka, uniqueName } from '../helpers/targets.js';

describeWithKafka('the lab topic on the three-broker cluster', (kafka) => {
  it("gets the cluster's replication factor (3), not a single copy", async () => {
    const bootstrap = kafka().cluster.bootstrap;
    const topic = uniqueName('lab-orders');
    await ensureTopic(bootstrap.split(','), topic, 4);
    const out = (
      await kafkaCli('kafka-topics', ['--bootstrap-server', bootstrap, '--describe', '--topic', topic])
    ).stdout;
    expect(out).toMatch(/PartitionCount: 4\s+ReplicationFactor: 3/);
    expect(out.match(/Replicas: \d,\d,\d/g)).toHaveLength(4);
  });
});
