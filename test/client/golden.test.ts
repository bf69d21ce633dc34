/**
 * Wire-format golden tests: every request our client sent while exercising the producer, fetcher, admin
 * and group member against the embedded broker is re-encoded by kafkajs 2.2.4's own request encoders
 * from the same values, and the bytes must be identical. The responses the client decoded are decoded
 * again by kafkajs's response decoders, and both readings must agree.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, ResourceType } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { fetchRecords } from '../../src/client/fetcher.js';
import { Producer } from '../../src/client/producer.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { decodeRequest, decodeResponse } from '../../src/protocol/messages.js';
import { decodeRecords, splitBatches } from '../../src/protocol/record-batch.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const require = createRequire(import.meta.url);
const kafkajsFrame = require('kafkajs/src/protocol/request.js');
const Long = require('kafkajs/src/utils/long.js');
const kreq = (api: string, v: number) => require(`kafkajs/src/protocol/requests/${api}/v${v}/request.js`);
const kres = (api: string, v: number) => require(`kafkajs/src/protocol/requests/${api}/v${v}/response.js`);

// biome-ignore lint/suspicious/noExplicitAny: kafkajs is untyped JavaScript; these are its argument and result shapes
type Body = Record<string, any>;
interface Captured {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  frame: Buffer;
  body: Body;
  response?: Buffer;
}

const KAFKAJS_NAMES: Record<number, string> = {
  [ApiKey.Produce]: 'produce',
  [ApiKey.Fetch]: 'fetch',
  [ApiKey.ListOffsets]: 'listOffsets',
  [ApiKey.Metadata]: 'metadata',
  [ApiKey.OffsetCommit]: 'offsetCommit',
  [ApiKey.OffsetFetch]: 'offsetFetch',
  [ApiKey.FindCoordinator]: 'findCoordinator',
  [ApiKey.JoinGroup]: 'joinGroup',
  [ApiKey.Heartbeat]: 'heartbeat',
  [ApiKey.LeaveGroup]: 'leaveGroup',
  [ApiKey.SyncGroup]: 'syncGroup',
  [ApiKey.DescribeGroups]: 'describeGroups',
  [ApiKey.ListGroups]: 'listGroups',
  [ApiKey.ApiVersions]: 'apiVersions',
  [ApiKey.CreateTopics]: 'createTopics',
  [ApiKey.DeleteTopics]: 'deleteTopics',
  [ApiKey.DeleteRecords]: 'deleteRecords',
  [ApiKey.InitProducerId]: 'initProducerId',
  [ApiKey.DescribeConfigs]: 'describeConfigs',
  [ApiKey.AlterConfigs]: 'alterConfigs',
  [ApiKey.CreatePartitions]: 'createPartitions',
};

/** Our decoded request body, restated in kafkajs's argument names. */
async function kafkajsArgs(c: Captured): Promise<Body> {
  const b = c.body;
  switch (c.apiKey) {
    case ApiKey.ApiVersions:
    case ApiKey.ListGroups:
      return {};
    case ApiKey.Metadata:
      return {
        topics: b.topics === null ? null : b.topics.map((t: Body) => t.name),
        allowAutoTopicCreation: b.allowAutoTopicCreation,
      };
    case ApiKey.Produce: {
      const topicData = [];
      let producerId = Long.fromInt(-1);
      let producerEpoch = 0;
      for (const t of b.topicData) {
        const partitions = [];
        for (const p of t.partitionData) {
          const [slice] = splitBatches(p.records).batches;
          const h = slice.header;
          producerId = Long.fromString(h.producerId.toString());
          producerEpoch = h.producerEpoch;
          const records = await decodeRecords(p.records);
          partitions.push({
            partition: p.index,
            firstSequence: h.baseSequence,
            messages: records.map((r) => ({
              key: r.key,
              value: r.value,
              timestamp: Number(r.timestamp),
              headers: Object.fromEntries(r.headers.map((x) => [x.key, x.value])),
            })),
          });
        }
        topicData.push({ topic: t.name, partitions });
      }
      return {
        acks: b.acks,
        timeout: b.timeoutMs,
        transactionalId: b.transactionalId,
        producerId,
        producerEpoch,
        topicData,
      };
    }
    case ApiKey.Fetch:
      return {
        replicaId: b.replicaId,
        maxWaitTime: b.maxWaitMs,
        minBytes: b.minBytes,
        maxBytes: b.maxBytes,
        isolationLevel: b.isolationLevel,
        sessionId: b.sessionId,
        sessionEpoch: b.sessionEpoch,
        rackId: b.rackId,
        forgottenTopics: b.forgottenTopicsData,
        topics: b.topics.map((t: Body) => ({
          topic: t.topic,
          partitions: t.partitions.map((p: Body) => ({
            partition: p.partition,
            currentLeaderEpoch: p.currentLeaderEpoch,
            fetchOffset: p.fetchOffset.toString(),
            logStartOffset: p.logStartOffset.toString(),
            maxBytes: p.partitionMaxBytes,
          })),
        })),
      };
    case ApiKey.ListOffsets:
      return {
        replicaId: b.replicaId,
        isolationLevel: b.isolationLevel,
        topics: b.topics.map((t: Body) => ({
          topic: t.name,
          partitions: t.partitions.map((p: Body) => ({
            partition: p.partitionIndex,
            timestamp: p.timestamp.toString(),
          })),
        })),
      };
    case ApiKey.CreateTopics:
      return {
        timeout: b.timeoutMs,
        validateOnly: b.validateOnly,
        topics: b.topics.map((t: Body) => ({
          topic: t.name,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          replicaAssignment: t.assignments.map((a: Body) => ({
            partition: a.partitionIndex,
            replicas: a.brokerIds,
          })),
          configEntries: t.configs,
        })),
      };
    case ApiKey.DeleteTopics:
      return { topics: b.topicNames, timeout: b.timeoutMs };
    case ApiKey.DeleteRecords:
      return {
        timeout: b.timeoutMs,
        topics: b.topics.map((t: Body) => ({
          topic: t.name,
          partitions: t.partitions.map((p: Body) => ({
            partition: p.partitionIndex,
            offset: p.offset.toString(),
          })),
        })),
      };
    case ApiKey.CreatePartitions:
      return {
        timeout: b.timeoutMs,
        validateOnly: b.validateOnly,
        topicPartitions: b.topics.map((t: Body) => ({
          topic: t.name,
          count: t.count,
          assignments: t.assignments === null ? undefined : t.assignments.map((a: Body) => a.brokerIds),
        })),
      };
    case ApiKey.DescribeConfigs:
      return {
        includeSynonyms: b.includeSynonyms,
        resources: b.resources.map((r: Body) => ({
          type: r.resourceType,
          name: r.resourceName,
          configNames: r.configurationKeys,
        })),
      };
    case ApiKey.AlterConfigs:
      return {
        validateOnly: b.validateOnly,
        resources: b.resources.map((r: Body) => ({
          type: r.resourceType,
          name: r.resourceName,
          configEntries: r.configs,
        })),
      };
    case ApiKey.FindCoordinator:
      return { coordinatorKey: b.key, coordinatorType: b.keyType };
    case ApiKey.JoinGroup:
      return {
        groupId: b.groupId,
        sessionTimeout: b.sessionTimeoutMs,
        rebalanceTimeout: b.rebalanceTimeoutMs,
        memberId: b.memberId,
        groupInstanceId: b.groupInstanceId,
        protocolType: b.protocolType,
        groupProtocols: b.protocols,
      };
    case ApiKey.SyncGroup:
      return {
        groupId: b.groupId,
        generationId: b.generationId,
        memberId: b.memberId,
        groupInstanceId: b.groupInstanceId,
        groupAssignment: b.assignments.map((a: Body) => ({
          memberId: a.memberId,
          memberAssignment: a.assignment,
        })),
      };
    case ApiKey.Heartbeat:
      return {
        groupId: b.groupId,
        groupGenerationId: b.generationId,
        memberId: b.memberId,
        groupInstanceId: b.groupInstanceId,
      };
    case ApiKey.LeaveGroup:
      return c.apiVersion >= 3
        ? { groupId: b.groupId, members: b.members }
        : { groupId: b.groupId, memberId: b.memberId };
    case ApiKey.OffsetCommit:
      return {
        groupId: b.groupId,
        groupGenerationId: b.generationIdOrMemberEpoch,
        memberId: b.memberId,
        topics: b.topics.map((t: Body) => ({
          topic: t.name,
          partitions: t.partitions.map((p: Body) => ({
            partition: p.partitionIndex,
            offset: p.committedOffset.toString(),
            metadata: p.committedMetadata,
          })),
        })),
      };
    case ApiKey.OffsetFetch:
      return {
        groupId: b.groupId,
        topics: b.topics.map((t: Body) => ({
          topic: t.name,
          partitions: t.partitionIndexes.map((partition: number) => ({ partition })),
        })),
      };
    case ApiKey.DescribeGroups:
      return { groupIds: b.groups };
    case ApiKey.InitProducerId:
      return { transactionalId: b.transactionalId, transactionTimeout: b.transactionTimeoutMs };
    default:
      throw new Error(`no kafkajs mapping for API ${c.apiKey}`);
  }
}

let broker: TestBroker;
const captured: Captured[] = [];
let groupsServed = false;

beforeAll(async () => {
  broker = await startTestBroker();
  const byCorrelation = new Map<number, Captured>();
  const cluster = new Cluster({
    brokers: [broker.bootstrap],
    clientId: 'golden-client',
    tap: {
      request(frame) {
        const payload = Buffer.from(frame.subarray(4));
        const { header, body } = decodeRequest(payload);
        const c: Captured = { ...header, frame: Buffer.from(frame), body };
        captured.push(c);
        byCorrelation.set(header.correlationId, c);
      },
      response(frame) {
        const c = byCorrelation.get(frame.readInt32BE(0));
        if (c) c.response = Buffer.from(frame);
      },
    },
  });
  const admin = new Admin({ cluster });
  await admin.connect();
  await admin.createTopics([{ topic: 'golden', numPartitions: 2, configs: { 'retention.ms': '3600000' } }]);
  const producer = new Producer({ cluster, lingerMs: 0 });
  await producer.send([
    { topic: 'golden', key: 'k1', value: 'v1', headers: { trace: 'abc' }, timestamp: 1_700_000_000_000 },
    { topic: 'golden', key: null, value: 'v2', partition: 1, timestamp: 1_700_000_000_001 },
  ]);
  await producer.close();
  const idempotent = new Producer({ cluster, lingerMs: 0, idempotent: true });
  await idempotent.send([
    { topic: 'golden', key: 'k2', value: 'v3', partition: 0, timestamp: 1_700_000_000_002 },
  ]);
  await idempotent.close();
  await fetchRecords(cluster, {
    partitions: [
      { topic: 'golden', partition: 0, offset: 0n, maxBytes: 4096 },
      { topic: 'golden', partition: 1, offset: 0n, maxBytes: 4096 },
    ],
    maxBytes: 65536,
    maxWaitMs: 0,
  });
  await admin.listOffsets('golden', 'earliest');
  await admin.listOffsets('golden', { timestamp: 1_700_000_000_000 });
  await admin.describeConfigs({ type: ResourceType.Topic, name: 'golden' }, ['retention.ms']);
  await admin.alterConfigs({ type: ResourceType.Topic, name: 'golden' }, { 'retention.ms': '7200000' });
  await admin.createPartitions('golden', 3);
  await admin.deleteRecords('golden', [{ partition: 0, offset: 1n }]);
  const versions = await (await cluster.anyConnection()).ready();
  groupsServed = versions.has(ApiKey.JoinGroup) && versions.has(ApiKey.FindCoordinator);
  if (groupsServed) {
    const consumer = new ConsumerClient({ cluster, groupId: 'golden-group' });
    const { GroupMember } = await import('../../src/client/group.js');
    const member = new GroupMember({
      cluster,
      groupId: 'golden-group',
      topics: ['golden'],
      heartbeatIntervalMs: 50,
      sessionTimeoutMs: 6000,
    });
    await member.join();
    await new Promise((r) => setTimeout(r, 120));
    await consumer.commit([{ topic: 'golden', partition: 0, offset: 1n, metadata: 'golden-meta' }], member);
    await admin.fetchOffsets('golden-group', [{ topic: 'golden', partitions: [0, 1] }]);
    await admin.describeGroup('golden-group');
    await admin.listGroups();
    await member.leave();
  }
  await admin.deleteTopics(['golden']);
  cluster.close();
}, 60_000);

afterAll(async () => {
  await broker?.stop();
});

describe('requests as the client sends them equal kafkajs 2.2.4 encodings', () => {
  it('covers every request type the exercise was meant to send', () => {
    const seen = new Set(captured.map((c) => `${c.apiKey}v${c.apiVersion}`));
    const expected = ['18v2', '3v6', '19v3', '0v7', '1v11', '2v3', '32v2', '33v1', '37v1', '20v1', '22v1'];
    if (groupsServed) expected.push('10v2', '11v5', '14v3', '12v3', '8v5', '9v4', '15v2', '16v2', '13v3');
    else
      console.warn('golden: the embedded broker does not serve group APIs yet; group requests not covered');
    for (const e of expected) expect(seen, `request ${e}`).toContain(e);
  });

  it('is byte-identical for every captured request', async () => {
    let compared = 0;
    for (const c of captured) {
      if (c.apiKey === ApiKey.Metadata && Array.isArray(c.body.topics) && c.body.topics.length === 0) {
        // kafkajs turns an empty topic list into null ("all topics"), so it cannot say "no topics", which
        // is what we ask when we only want the broker list. Checked by hand: an empty int32-counted array,
        // then allow_auto_topic_creation = false.
        expect(c.frame.subarray(-5).toString('hex')).toBe('0000000000');
        compared++;
        continue;
      }
      const name = KAFKAJS_NAMES[c.apiKey];
      const request = kreq(name, c.apiVersion)(await kafkajsArgs(c));
      const theirs = await kafkajsFrame({ correlationId: c.correlationId, clientId: c.clientId, request });
      if (!c.frame.equals(theirs.buffer))
        console.log(name, c.apiVersion, c.frame.toString('hex'), theirs.buffer.toString('hex'));
      expect(c.frame.toString('hex'), `${name} v${c.apiVersion}`).toBe(theirs.buffer.toString('hex'));
      compared++;
    }
    expect(compared).toBe(captured.length);
    expect(compared).toBeGreaterThanOrEqual(10);
  });
});

describe('responses: kafkajs reads the same bytes the same way', () => {
  const both = async (c: Captured) => {
    const ours = decodeResponse(c.apiKey, c.apiVersion, c.response!).body as Body;
    const r = kres(KAFKAJS_NAMES[c.apiKey], c.apiVersion);
    const theirs = await r.decode(c.response!.subarray(4));
    return { ours, theirs };
  };
  const first = (apiKey: number) => {
    const c = captured.find((x) => x.apiKey === apiKey && x.response);
    if (!c) throw new Error(`no ${apiKey} response captured`);
    return c;
  };

  it('Metadata: brokers, controller, partition leaders', async () => {
    const { ours, theirs } = await both(first(ApiKey.Metadata));
    expect(theirs.brokers.map((b: Body) => [b.nodeId, b.host, b.port])).toEqual(
      ours.brokers.map((b: Body) => [b.nodeId, b.host, b.port]),
    );
    expect(theirs.controllerId).toBe(ours.controllerId);
    expect(
      theirs.topicMetadata.map((t: Body) => [
        t.topic,
        t.partitionMetadata.map((p: Body) => [p.partitionId, p.leader]),
      ]),
    ).toEqual(
      ours.topics.map((t: Body) => [t.name, t.partitions.map((p: Body) => [p.partitionIndex, p.leaderId])]),
    );
  });

  it('Produce: base offsets and error codes', async () => {
    const { ours, theirs } = await both(first(ApiKey.Produce));
    expect(
      theirs.topics.map((t: Body) => t.partitions.map((p: Body) => [p.partition, p.errorCode, p.baseOffset])),
    ).toEqual(
      ours.responses.map((t: Body) =>
        t.partitionResponses.map((p: Body) => [p.index, p.errorCode, p.baseOffset.toString()]),
      ),
    );
  });

  it('Fetch: high watermarks and record values', async () => {
    const { ours, theirs } = await both(first(ApiKey.Fetch));
    const theirSummary = theirs.responses.flatMap((t: Body) =>
      t.partitions.map((p: Body) => [
        p.partition,
        p.highWatermark,
        p.messages.map((m: Body) => m.value.toString()),
      ]),
    );
    const ourSummary = [];
    for (const t of ours.responses) {
      for (const p of t.partitions) {
        const values = [];
        for (const s of splitBatches(p.records).batches) {
          for (const r of await decodeRecords(p.records.subarray(s.position, s.position + s.size)))
            values.push(r.value!.toString());
        }
        ourSummary.push([p.partitionIndex, p.highWatermark.toString(), values]);
      }
    }
    expect(theirSummary).toEqual(ourSummary);
    expect(ourSummary.flatMap((s) => s[2])).toEqual(expect.arrayContaining(['v1', 'v2']));
  });

  it('ListOffsets, DescribeConfigs and CreateTopics agree', async () => {
    const lo = await both(first(ApiKey.ListOffsets));
    expect(
      lo.theirs.responses.flatMap((t: Body) => t.partitions.map((p: Body) => [p.partition, p.offset])),
    ).toEqual(
      lo.ours.topics.flatMap((t: Body) =>
        t.partitions.map((p: Body) => [p.partitionIndex, p.offset.toString()]),
      ),
    );
    const dc = await both(first(ApiKey.DescribeConfigs));
    expect(dc.theirs.resources[0].configEntries.map((e: Body) => [e.configName, e.configValue])).toEqual(
      dc.ours.results[0].configs.map((e: Body) => [e.name, e.value]),
    );
    const ct = await both(first(ApiKey.CreateTopics));
    expect(ct.theirs.topicErrors.map((t: Body) => [t.topic, t.errorCode])).toEqual(
      ct.ours.topics.map((t: Body) => [t.name, t.errorCode]),
    );
  });
});
