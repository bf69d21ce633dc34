import { describe, expect, it } from 'vitest';
import type { BrokerConnection } from '../../src/client/broker-connection.js';
import { Cluster } from '../../src/client/cluster.js';
import { ClientClosedError, ConnectionError, KafkaClientError } from '../../src/client/errors.js';
import { fetchRecords } from '../../src/client/fetcher.js';
import { ApiKey } from '../../src/protocol/api-keys.js';

/**
 * What the client does when one broker of a cluster dies (kill -9 of a Kafka broker, see
 * test/kafka/failover.test.ts for the whole drill): the metadata stops listing it and the client forgets
 * it, and a fetch whose leader cannot be reached fails only that leader's partitions. Scripted here with
 * stand-in connections, so each rule is checked on its own.
 */

type MetadataAnswer = { brokers: number[]; leaders: Record<number, number> };

/** A Cluster whose Metadata answers come from a script instead of a broker. */
class ScriptedCluster extends Cluster {
  constructor(private readonly answers: MetadataAnswer[]) {
    super({ brokers: ['127.0.0.1:1'] });
  }

  override async anyConnection(): Promise<BrokerConnection> {
    const answer = this.answers.shift();
    if (!answer) throw new Error('the script has no more Metadata answers');
    const response = {
      brokers: answer.brokers.map((nodeId) => ({ nodeId, host: '127.0.0.1', port: 19_000 + nodeId })),
      controllerId: answer.brokers[0],
      topics: [
        {
          errorCode: 0,
          name: 't',
          partitions: Object.entries(answer.leaders).map(([p, leaderId]) => ({
            partitionIndex: Number(p),
            leaderId,
          })),
        },
      ],
    };
    return { nodeId: -1, request: async () => response } as unknown as BrokerConnection;
  }
}

describe('a broker leaves the cluster', () => {
  it('is forgotten once the metadata stops listing it, and its idle connection is closed', async () => {
    const cluster = new ScriptedCluster([
      { brokers: [1, 2, 3], leaders: { 0: 3 } },
      { brokers: [1, 2], leaders: { 0: 1 } },
    ]);
    try {
      await cluster.refreshMetadata(['t']);
      expect(cluster.knownBrokers().map((b) => b.nodeId)).toEqual([1, 2, 3]);
      const toDead = cluster.broker(3);
      await cluster.refreshMetadata(['t']);
      // Admin.listGroups and the monitor visit every known broker: a dead one would fail them for good.
      expect(cluster.knownBrokers().map((b) => b.nodeId)).toEqual([1, 2]);
      expect(() => cluster.broker(3)).toThrow(KafkaClientError);
      expect(() => cluster.broker(3)).toThrow(/not in the cluster metadata/);
      await expect(toDead.request(ApiKey.Metadata, { topics: [] })).rejects.toBeInstanceOf(ClientClosedError);
      expect((await cluster.topic('t')).partitions).toEqual([{ partition: 0, leader: 1 }]);
    } finally {
      cluster.close();
    }
  });
});

describe('fetching while a leader is unreachable', () => {
  const emptyAnswer = (partition: number) => ({
    errorCode: 0,
    responses: [
      {
        topic: 't',
        partitions: [
          {
            partitionIndex: partition,
            errorCode: 0,
            highWatermark: 5n,
            lastStableOffset: 5n,
            logStartOffset: 0n,
            records: Buffer.alloc(0),
          },
        ],
      },
    ],
  });

  /** Partition 0 led by live broker 0, partition 1 by broker 1, whose requests fail with `deadError`. */
  function clusterWithDeadLeader(deadError: Error) {
    const invalidated: string[] = [];
    const live = { nodeId: 0, request: async () => emptyAnswer(0) };
    const dead = {
      nodeId: 1,
      request: async () => {
        throw deadError;
      },
    };
    const cluster = {
      leaderFor: async (_topic: string, partition: number) => (partition === 0 ? live : dead),
      broker: (nodeId: number) => (nodeId === 0 ? live : dead),
      invalidate: (topic: string) => invalidated.push(topic),
    } as unknown as Cluster;
    return { cluster, invalidated };
  }

  const request = {
    partitions: [0, 1].map((partition) => ({ topic: 't', partition, offset: 0n, maxBytes: 1024 })),
    maxBytes: 2048,
  };

  it("fails only the dead leader's partitions, retriably, and marks their metadata stale", async () => {
    const refused = new ConnectionError('cannot connect to 127.0.0.1:19001: connect ECONNREFUSED');
    const { cluster, invalidated } = clusterWithDeadLeader(refused);
    const res = await fetchRecords(cluster, request);
    const byPartition = new Map(res.partitions.map((p) => [p.partition, p]));
    expect(byPartition.get(0)).toMatchObject({ highWatermark: 5n, records: [] });
    expect(byPartition.get(0)?.error).toBeUndefined();
    expect(byPartition.get(1)?.error).toBe(refused);
    expect(byPartition.get(1)).toMatchObject({ nextOffset: 0n, records: [], bytes: 0 });
    // Next round asks the cluster who leads now (after a kill, a new leader once the broker is fenced).
    expect(invalidated).toEqual(['t']);
  });

  it('still fails the whole round on an error that retrying cannot fix', async () => {
    const closed = new ClientClosedError('Fetch v12');
    const { cluster } = clusterWithDeadLeader(closed);
    await expect(fetchRecords(cluster, request)).rejects.toBe(closed);
  });
});
