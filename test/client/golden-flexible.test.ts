/**
 * The flexible versions the client falls back to when a broker no longer takes its preferred ones
 * (versions.ts FLEXIBLE_FALLBACK). A translating proxy in front of the embedded broker advertises only
 * those versions, converts each request to a version the broker serves and the answer back (both with
 * the shared codec), and points Metadata/FindCoordinator at itself. Every flexible request the client
 * sent is then re-encoded by @platformatic/kafka 1.x's own request builders from the same values and
 * must be byte-identical.
 */
import net from 'node:net';
import {
  describeConfigsV4,
  fetchV12,
  heartbeatV4,
  joinGroupV6,
  leaveGroupV4,
  listOffsetsV6,
  metadataV9,
  offsetCommitV8,
  produceV9,
  syncGroupV4,
} from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, ResourceType } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { fetchRecords } from '../../src/client/fetcher.js';
import { GroupMember } from '../../src/client/group.js';
import { Producer } from '../../src/client/producer.js';
import { CLIENT_VERSIONS, FLEXIBLE_FALLBACK } from '../../src/client/versions.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import {
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  describedVersions,
  encodeRequest,
  encodeResponse,
} from '../../src/protocol/messages.js';
import { decodeRecords, splitBatches } from '../../src/protocol/record-batch.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

// biome-ignore lint/suspicious/noExplicitAny: decoded bodies are checked field by field below
type Body = Record<string, any>;

function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const size = buf.readInt32BE(0);
      onFrame(buf.subarray(4, 4 + size));
      buf = buf.subarray(4 + size);
    }
  };
}

const allVersions = Object.fromEntries(
  Object.keys(CLIENT_VERSIONS).map((k) => [Number(k), describedVersions(Number(k))!]),
);

async function startProxy(brokerPort: number) {
  const sockets: net.Socket[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(brokerPort, '127.0.0.1');
    sockets.push(client, upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    const pending = new Map<number, { apiKey: number; clientVersion: number; brokerVersion: number }>();
    client.on(
      'data',
      frames((frame) => {
        const h = decodeRequestHeader(frame);
        const flexible = FLEXIBLE_FALLBACK[h.apiKey] === h.apiVersion;
        const brokerVersion = flexible ? CLIENT_VERSIONS[h.apiKey].max : h.apiVersion;
        pending.set(h.correlationId, { apiKey: h.apiKey, clientVersion: h.apiVersion, brokerVersion });
        if (!flexible) {
          const out = Buffer.alloc(4);
          out.writeInt32BE(frame.length);
          upstream.write(Buffer.concat([out, frame]));
          return;
        }
        const { body } = decodeRequest(frame, { versions: allVersions });
        upstream.write(encodeRequest(h.apiKey, brokerVersion, h.correlationId, h.clientId, body as never));
      }),
    );
    upstream.on(
      'data',
      frames((frame) => {
        const cid = frame.readInt32BE(0);
        const p = pending.get(cid)!;
        pending.delete(cid);
        const body = decodeResponse(p.apiKey, p.brokerVersion, frame).body as Body;
        if (p.apiKey === ApiKey.ApiVersions) {
          for (const k of body.apiKeys) {
            const v = FLEXIBLE_FALLBACK[k.apiKey];
            if (v !== undefined) {
              k.minVersion = v;
              k.maxVersion = v;
            }
          }
        }
        if (p.apiKey === ApiKey.Metadata) for (const b of body.brokers) b.port = port;
        if (p.apiKey === ApiKey.FindCoordinator) body.port = port;
        client.write(encodeResponse(p.apiKey, p.clientVersion, cid, body as never));
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let broker: TestBroker;
let proxy: Awaited<ReturnType<typeof startProxy>>;
const captured: { apiKey: number; apiVersion: number; frame: Buffer; body: Body }[] = [];

beforeAll(async () => {
  broker = await startTestBroker({ groups: { minSessionTimeoutMs: 300 } });
  proxy = await startProxy(broker.port);
  const cluster = new Cluster({
    brokers: [`127.0.0.1:${proxy.port}`],
    clientId: 'flex-client',
    tap: {
      request(frame) {
        const payload = Buffer.from(frame.subarray(4));
        const h = decodeRequestHeader(payload);
        if (FLEXIBLE_FALLBACK[h.apiKey] !== h.apiVersion) return;
        captured.push({ ...h, frame: payload, body: decodeRequest(payload, { versions: allVersions }).body });
      },
      response: () => {},
    },
  });
  const admin = new Admin({ cluster });
  await admin.connect();
  await admin.createTopics([{ topic: 'flex', numPartitions: 1 }]);
  const producer = new Producer({ cluster, lingerMs: 0 });
  await producer.send([
    { topic: 'flex', partition: 0, key: 'k', value: 'v1', headers: { h: 'x' }, timestamp: 1_700_000_000_000 },
    { topic: 'flex', partition: 0, value: 'v2', timestamp: 1_700_000_000_001 },
  ]);
  await producer.close();
  const fetched = await fetchRecords(cluster, {
    partitions: [{ topic: 'flex', partition: 0, offset: 0n, maxBytes: 4096 }],
    maxBytes: 4096,
    maxWaitMs: 0,
  });
  expect(fetched.partitions[0].records.map((r) => r.value?.toString())).toEqual(['v1', 'v2']);
  await admin.listOffsets('flex', 'latest');
  await admin.describeConfigs({ type: ResourceType.Topic, name: 'flex' }, ['retention.ms']);
  const member = new GroupMember({
    cluster,
    groupId: 'flex-group',
    topics: ['flex'],
    sessionTimeoutMs: 1000,
    heartbeatIntervalMs: 50,
  });
  await member.join();
  await new Promise((r) => setTimeout(r, 120));
  await member.commit([{ topic: 'flex', partition: 0, offset: 2n, metadata: 'm' }]);
  await member.leave();
  cluster.close();
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await broker?.stop();
});

async function platformaticBody(apiKey: number, b: Body): Promise<Buffer> {
  switch (apiKey) {
    case ApiKey.Metadata:
      return metadataV9.createRequest(
        b.topics === null ? null : b.topics.map((t: Body) => t.name),
        b.allowAutoTopicCreation,
        b.includeTopicAuthorizedOperations,
      ).buffer;
    case ApiKey.Produce: {
      const t = b.topicData[0];
      const p = t.partitionData[0];
      const h = splitBatches(p.records).batches[0].header;
      const records = await decodeRecords(p.records);
      return produceV9.createRequest(
        b.acks,
        b.timeoutMs,
        records.map((r) => ({
          topic: t.name,
          partition: p.index,
          key: r.key ?? undefined,
          value: r.value ?? undefined,
          timestamp: r.timestamp,
          headers: new Map(r.headers.map((x) => [Buffer.from(x.key), x.value])),
        })) as never,
        {
          producerId: h.producerId,
          producerEpoch: h.producerEpoch,
          sequences: { getWithDefault: () => h.baseSequence },
        } as never,
      ).buffer;
    }
    case ApiKey.Fetch:
      return fetchV12.createRequest(
        b.maxWaitMs,
        b.minBytes,
        b.maxBytes,
        b.isolationLevel,
        b.sessionId,
        b.sessionEpoch,
        b.topics.map((t: Body) => ({
          topicId: t.topic,
          partitions: t.partitions.map((p: Body) => ({
            partition: p.partition,
            currentLeaderEpoch: p.currentLeaderEpoch,
            fetchOffset: p.fetchOffset,
            lastFetchedEpoch: p.lastFetchedEpoch,
            partitionMaxBytes: p.partitionMaxBytes,
          })),
        })),
        b.forgottenTopicsData,
        b.rackId,
      ).buffer;
    case ApiKey.ListOffsets:
      return listOffsetsV6.createRequest(b.replicaId, b.isolationLevel, b.topics).buffer;
    case ApiKey.DescribeConfigs:
      return describeConfigsV4.createRequest(b.resources, b.includeSynonyms, b.includeDocumentation).buffer;
    case ApiKey.JoinGroup:
      return joinGroupV6.createRequest(
        b.groupId,
        b.sessionTimeoutMs,
        b.rebalanceTimeoutMs,
        b.memberId,
        b.groupInstanceId,
        b.protocolType,
        b.protocols,
      ).buffer;
    case ApiKey.SyncGroup:
      return syncGroupV4.createRequest(
        b.groupId,
        b.generationId,
        b.memberId,
        b.groupInstanceId,
        null,
        null,
        b.assignments,
      ).buffer;
    case ApiKey.Heartbeat:
      return heartbeatV4.createRequest(b.groupId, b.generationId, b.memberId, b.groupInstanceId).buffer;
    case ApiKey.LeaveGroup:
      return leaveGroupV4.createRequest(b.groupId, b.members).buffer;
    case ApiKey.OffsetCommit:
      return offsetCommitV8.createRequest(
        b.groupId,
        b.generationIdOrMemberEpoch,
        b.memberId,
        b.groupInstanceId,
        b.topics,
      ).buffer;
    default:
      throw new Error(`no platformatic mapping for API ${apiKey}`);
  }
}

describe('flexible fallback versions equal @platformatic/kafka 1.x encodings', () => {
  it('sent every fallback version through the proxy', () => {
    const seen = new Set(captured.map((c) => c.apiKey));
    for (const key of Object.keys(FLEXIBLE_FALLBACK).map(Number)) expect(seen, `API ${key}`).toContain(key);
  });

  it('is byte-identical for every captured request, header v2 included', async () => {
    for (const c of captured) {
      // Request header v2: key, version, correlation id, client id (int16 string), empty tag buffer.
      const clientId = Buffer.from('flex-client');
      expect(c.frame.readInt16BE(0)).toBe(c.apiKey);
      expect(c.frame.readInt16BE(2)).toBe(c.apiVersion);
      expect(c.frame.readInt16BE(8)).toBe(clientId.length);
      expect(c.frame.subarray(10, 10 + clientId.length).equals(clientId)).toBe(true);
      expect(c.frame[10 + clientId.length]).toBe(0);
      const ours = c.frame.subarray(11 + clientId.length);
      const theirs = await platformaticBody(c.apiKey, c.body);
      expect(ours.toString('hex'), `API ${c.apiKey} v${c.apiVersion}`).toBe(theirs.toString('hex'));
    }
    expect(captured.length).toBeGreaterThanOrEqual(10);
    expect(new Set(captured.map((c) => `${c.apiKey}v${c.apiVersion}`))).toEqual(
      new Set(Object.entries(FLEXIBLE_FALLBACK).map(([k, v]) => `${k}v${v}`)),
    );
  });
});
