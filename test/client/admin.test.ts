import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, ResourceType } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { KafkaBrokerError } from '../../src/client/errors.js';
import { Producer } from '../../src/client/producer.js';
import { chooseVersion } from '../../src/client/versions.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
let cluster: Cluster;
let admin: Admin;

beforeAll(async () => {
  broker = await startTestBroker();
  cluster = new Cluster({ brokers: [broker.bootstrap], clientId: 'admin-test' });
  admin = new Admin({ cluster });
  await admin.connect();
});

afterAll(async () => {
  cluster?.close();
  await broker?.stop();
});

describe('admin against the embedded broker', () => {
  it('creates, grows, configures and deletes topics, with clear errors', async () => {
    await admin.createTopics([{ topic: 'adm', numPartitions: 2, configs: { 'retention.ms': '60000' } }]);
    await expect(admin.createTopics([{ topic: 'adm', numPartitions: 2 }])).rejects.toThrow(
      /CreateTopics "adm".*TOPIC_ALREADY_EXISTS.*Pick another name/,
    );
    await admin.createPartitions('adm', 5);
    expect((await cluster.topic('adm')).partitions).toHaveLength(5);
    await expect(admin.createPartitions('adm', 3)).rejects.toBeInstanceOf(KafkaBrokerError);

    const before = await admin.describeConfigs({ type: ResourceType.Topic, name: 'adm' }, ['retention.ms']);
    expect(before).toEqual([expect.objectContaining({ name: 'retention.ms', value: '60000' })]);
    await admin.alterConfigs({ type: ResourceType.Topic, name: 'adm' }, { 'retention.ms': '120000' });
    const after = await admin.describeConfigs({ type: ResourceType.Topic, name: 'adm' }, ['retention.ms']);
    expect(after[0].value).toBe('120000');
    await expect(
      admin.alterConfigs({ type: ResourceType.Topic, name: 'adm' }, { 'no.such.config': '1' }),
    ).rejects.toThrow(/INVALID_CONFIG/);

    await admin.deleteTopics(['adm']);
    await cluster.refreshMetadata(null);
    expect(cluster.cachedTopic('adm')).toBeUndefined();
    await expect(admin.deleteTopics(['adm'])).rejects.toThrow(/UNKNOWN_TOPIC_OR_PARTITION/);
  });

  it('lists offsets: earliest, latest and by timestamp', async () => {
    await admin.createTopics([{ topic: 'times', numPartitions: 1 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    for (let i = 0; i < 5; i++) {
      await producer.send([
        { topic: 'times', partition: 0, value: `t${i}`, timestamp: 1_000_000 + i * 1000 },
      ]);
    }
    await producer.close();
    expect((await admin.listOffsets('times', 'earliest'))[0].offset).toBe(0n);
    expect((await admin.listOffsets('times', 'latest'))[0].offset).toBe(5n);
    const byTime = await admin.listOffsets('times', { timestamp: 1_002_500 });
    expect(byTime[0]).toMatchObject({ offset: 3n, timestamp: 1_003_000 });
  });
});

describe('version choice', () => {
  const broker = (entries: [number, number, number][]) =>
    new Map(entries.map(([k, min, max]) => [k, { min, max }]));

  it('takes the highest version both sides support, preferring the non-flexible ones we implement', () => {
    expect(chooseVersion(ApiKey.Fetch, broker([[ApiKey.Fetch, 4, 17]]), 'b')).toBe(11);
    expect(chooseVersion(ApiKey.Metadata, broker([[ApiKey.Metadata, 0, 4]]), 'b')).toBe(4);
    expect(chooseVersion(ApiKey.Produce, broker([[ApiKey.Produce, 3, 11]]), 'b')).toBe(7);
  });

  it('falls back to the lowest version a newer broker accepts when it dropped ours', () => {
    expect(chooseVersion(ApiKey.Fetch, broker([[ApiKey.Fetch, 12, 17]]), 'b')).toBe(12);
    // Fetch 13+ names topics by id, which our requests do not carry: no silent malformed request.
    expect(() => chooseVersion(ApiKey.Fetch, broker([[ApiKey.Fetch, 13, 17]]), 'b')).toThrow(
      /no common Fetch version/,
    );
    expect(() =>
      chooseVersion(ApiKey.FindCoordinator, broker([[ApiKey.FindCoordinator, 4, 6]]), 'b'),
    ).toThrow(/no common FindCoordinator version/);
  });

  it('says so when there is nothing in common', () => {
    expect(() => chooseVersion(ApiKey.Produce, broker([[ApiKey.Fetch, 4, 11]]), 'b')).toThrow(
      /does not support Produce at all/,
    );
    expect(() => chooseVersion(ApiKey.Produce, broker([[ApiKey.Produce, 0, 2]]), 'b')).toThrow(
      /no common Produce version with broker b: it accepts 0-2, this client 3-7/,
    );
  });
});
