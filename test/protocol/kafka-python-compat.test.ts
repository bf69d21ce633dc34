// Cross-checks against kafka-python 2.0.2's protocol classes (Debian's python3-kafka), which send the old
// versions our table keeps for it: ApiVersions v0, Metadata v0/v1, ListOffsets v0/v1, FindCoordinator v0,
// JoinGroup v2, OffsetCommit v2, OffsetFetch v1... Its request bytes decode to the expected bodies and
// re-encode identically; its response classes decode what we encode.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { decodeRequest, encodeRequest, encodeResponse } from '../../src/protocol/messages.js';

const PYTHON = '/usr/bin/python3';
const RECORDS_HEX = '0000000000000000000000390000000002a0b1c2d3';

// Builds each request with kafka-python's own classes and header, and decodes the responses we hand it.
const SCRIPT = `
import sys, json
from kafka.protocol.api import RequestHeader
from kafka.protocol import admin, metadata, offset, commit, group, fetch, produce
RECORDS = bytes.fromhex('${RECORDS_HEX}')
requests = {
  'ApiVersions v0': admin.ApiVersionRequest[0](),
  'Metadata v0': metadata.MetadataRequest[0](topics=['orders', 'payments']),
  'Metadata v1 all topics': metadata.MetadataRequest[1](topics=None),
  'Metadata v5': metadata.MetadataRequest[5](topics=['orders'], allow_auto_topic_creation=False),
  'ListOffsets v0': offset.OffsetRequest[0](-1, [('orders', [(0, -1, 1)])]),
  'ListOffsets v1': offset.OffsetRequest[1](-1, [('orders', [(0, -2)])]),
  'FindCoordinator v0': commit.GroupCoordinatorRequest[0]('g'),
  'JoinGroup v2': group.JoinGroupRequest[2]('g', 10000, 300000, '', 'consumer', [('range', b'\\x00\\x01')]),
  'SyncGroup v1': group.SyncGroupRequest[1]('g', 1, 'm-1', [('m-1', b'\\x09')]),
  'Heartbeat v1': group.HeartbeatRequest[1]('g', 1, 'm-1'),
  'OffsetCommit v2': commit.OffsetCommitRequest[2]('g', 1, 'm-1', -1, [('orders', [(0, 42, '')])]),
  'OffsetFetch v1': commit.OffsetFetchRequest[1]('g', [('orders', [0, 1])]),
  'Fetch v4': fetch.FetchRequest[4](-1, 500, 1, 52428800, 0, [('orders', [(0, 41, 1048576)])]),
  'Produce v7': produce.ProduceRequest[7](None, -1, 30000, [('orders', [(0, RECORDS)])]),
  'CreateTopics v3': admin.CreateTopicsRequest[3]([('orders', 3, 1, [], [('retention.ms', '60000')])], 5000, False),
  'ListGroups v1': admin.ListGroupsRequest[1](),
}
out = {'requests': {}, 'responses': {}}
for name, req in requests.items():
  header = RequestHeader(req, correlation_id=7, client_id='kafka-python')  # encode() holds only a weak reference
  out['requests'][name] = (header.encode() + req.encode()).hex()
modules = {'admin': admin, 'metadata': metadata, 'offset': offset, 'commit': commit, 'group': group, 'fetch': fetch, 'produce': produce}
def plain(v):
  if isinstance(v, bytes): return {'hex': v.hex()}
  if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
  if isinstance(v, (list, tuple)): return [plain(x) for x in v]
  return v
for name, r in json.load(sys.stdin).items():
  cls = getattr(modules[r['module']], r['cls'])[r['version']]
  out['responses'][name] = plain(cls.decode(bytes.fromhex(r['hex'])).to_object())
print(json.dumps(out))
`;

interface PyCase {
  name: string;
  key: number;
  version: number;
  body: Record<string, unknown>;
}

const REQUESTS: PyCase[] = [
  { name: 'ApiVersions v0', key: ApiKey.ApiVersions, version: 0, body: {} },
  {
    name: 'Metadata v0',
    key: ApiKey.Metadata,
    version: 0,
    body: { topics: [{ name: 'orders' }, { name: 'payments' }] },
  },
  { name: 'Metadata v1 all topics', key: ApiKey.Metadata, version: 1, body: { topics: null } },
  {
    name: 'Metadata v5',
    key: ApiKey.Metadata,
    version: 5,
    body: { topics: [{ name: 'orders' }], allowAutoTopicCreation: false },
  },
  {
    name: 'ListOffsets v0',
    key: ApiKey.ListOffsets,
    version: 0,
    body: {
      replicaId: -1,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }],
    },
  },
  {
    name: 'ListOffsets v1',
    key: ApiKey.ListOffsets,
    version: 1,
    body: {
      replicaId: -1,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, timestamp: -2n }] }],
    },
  },
  { name: 'FindCoordinator v0', key: ApiKey.FindCoordinator, version: 0, body: { key: 'g', keyType: 0 } },
  {
    name: 'JoinGroup v2',
    key: ApiKey.JoinGroup,
    version: 2,
    body: {
      groupId: 'g',
      sessionTimeoutMs: 10000,
      rebalanceTimeoutMs: 300000,
      memberId: '',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0, 1]) }],
    },
  },
  {
    name: 'SyncGroup v1',
    key: ApiKey.SyncGroup,
    version: 1,
    body: {
      groupId: 'g',
      generationId: 1,
      memberId: 'm-1',
      assignments: [{ memberId: 'm-1', assignment: Buffer.from([9]) }],
    },
  },
  {
    name: 'Heartbeat v1',
    key: ApiKey.Heartbeat,
    version: 1,
    body: { groupId: 'g', generationId: 1, memberId: 'm-1' },
  },
  {
    name: 'OffsetCommit v2',
    key: ApiKey.OffsetCommit,
    version: 2,
    body: {
      groupId: 'g',
      generationIdOrMemberEpoch: 1,
      memberId: 'm-1',
      retentionTimeMs: -1n,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedMetadata: '' }] },
      ],
    },
  },
  {
    name: 'OffsetFetch v1',
    key: ApiKey.OffsetFetch,
    version: 1,
    body: { groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] },
  },
  {
    name: 'Fetch v4',
    key: ApiKey.Fetch,
    version: 4,
    body: {
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 52428800,
      isolationLevel: 0,
      topics: [
        { topic: 'orders', partitions: [{ partition: 0, fetchOffset: 41n, partitionMaxBytes: 1048576 }] },
      ],
    },
  },
  {
    name: 'Produce v7',
    key: ApiKey.Produce,
    version: 7,
    body: {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [
        { name: 'orders', partitionData: [{ index: 0, records: Buffer.from(RECORDS_HEX, 'hex') }] },
      ],
    },
  },
  {
    name: 'CreateTopics v3',
    key: ApiKey.CreateTopics,
    version: 3,
    body: {
      topics: [
        {
          name: 'orders',
          numPartitions: 3,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'retention.ms', value: '60000' }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    },
  },
  { name: 'ListGroups v1', key: ApiKey.ListGroups, version: 1, body: {} },
];

interface PyResponse {
  module: string;
  cls: string;
  key: number;
  version: number;
  ours: Record<string, unknown>;
  expected: unknown;
}

const RESPONSES: Record<string, PyResponse> = {
  'ApiVersions v0': {
    module: 'admin',
    cls: 'ApiVersionResponse',
    key: ApiKey.ApiVersions,
    version: 0,
    ours: { errorCode: 0, apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 8 }] },
    expected: { error_code: 0, api_versions: [{ api_key: 3, min_version: 0, max_version: 8 }] },
  },
  'Metadata v1': {
    module: 'metadata',
    cls: 'MetadataResponse',
    key: ApiKey.Metadata,
    version: 1,
    ours: {
      brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }],
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: '__consumer_offsets',
          isInternal: true,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }],
        },
      ],
    },
    expected: {
      brokers: [{ node_id: 1, host: '127.0.0.1', port: 9092, rack: null }],
      controller_id: 1,
      topics: [
        {
          error_code: 0,
          topic: '__consumer_offsets',
          is_internal: true,
          partitions: [{ error_code: 0, partition: 0, leader: 1, replicas: [1], isr: [1] }],
        },
      ],
    },
  },
  'ListOffsets v0': {
    module: 'offset',
    cls: 'OffsetResponse',
    key: ApiKey.ListOffsets,
    version: 0,
    ours: {
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [43n] }] }],
    },
    expected: { topics: [{ topic: 'orders', partitions: [{ partition: 0, error_code: 0, offsets: [43] }] }] },
  },
  'FindCoordinator v0': {
    module: 'commit',
    cls: 'GroupCoordinatorResponse',
    key: ApiKey.FindCoordinator,
    version: 0,
    ours: { errorCode: 0, nodeId: 1, host: '127.0.0.1', port: 9092 },
    expected: { error_code: 0, coordinator_id: 1, host: '127.0.0.1', port: 9092 },
  },
  'JoinGroup v2': {
    module: 'group',
    cls: 'JoinGroupResponse',
    key: ApiKey.JoinGroup,
    version: 2,
    ours: {
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: 1,
      protocolName: 'range',
      leader: 'm-1',
      memberId: 'm-1',
      members: [{ memberId: 'm-1', metadata: Buffer.from([0, 1]) }],
    },
    expected: {
      throttle_time_ms: 0,
      error_code: 0,
      generation_id: 1,
      group_protocol: 'range',
      leader_id: 'm-1',
      member_id: 'm-1',
      members: [{ member_id: 'm-1', member_metadata: { hex: '0001' } }],
    },
  },
  'OffsetFetch v1': {
    module: 'commit',
    cls: 'OffsetFetchResponse',
    key: ApiKey.OffsetFetch,
    version: 1,
    ours: {
      topics: [
        {
          name: 'orders',
          partitions: [{ partitionIndex: 0, committedOffset: 42n, metadata: '', errorCode: 0 }],
        },
      ],
    },
    expected: {
      topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: 42, metadata: '', error_code: 0 }] }],
    },
  },
  'Fetch v4': {
    module: 'fetch',
    cls: 'FetchResponse',
    key: ApiKey.Fetch,
    version: 4,
    ours: {
      throttleTimeMs: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 43n,
              lastStableOffset: 43n,
              abortedTransactions: [],
              records: Buffer.from(RECORDS_HEX, 'hex'),
            },
          ],
        },
      ],
    },
    expected: {
      throttle_time_ms: 0,
      topics: [
        {
          topics: 'orders',
          partitions: [
            {
              partition: 0,
              error_code: 0,
              highwater_offset: 43,
              last_stable_offset: 43,
              aborted_transactions: [],
              message_set: { hex: RECORDS_HEX },
            },
          ],
        },
      ],
    },
  },
  'Produce v7': {
    module: 'produce',
    cls: 'ProduceResponse',
    key: ApiKey.Produce,
    version: 7,
    ours: {
      responses: [
        {
          name: 'orders',
          partitionResponses: [
            { index: 0, errorCode: 0, baseOffset: 41n, logAppendTimeMs: -1n, logStartOffset: 0n },
          ],
        },
      ],
      throttleTimeMs: 0,
    },
    expected: {
      topics: [
        {
          topic: 'orders',
          partitions: [{ partition: 0, error_code: 0, offset: 41, timestamp: -1, log_start_offset: 0 }],
        },
      ],
      throttle_time_ms: 0,
    },
  },
  'ListGroups v1': {
    module: 'admin',
    cls: 'ListGroupsResponse',
    key: ApiKey.ListGroups,
    version: 1,
    ours: { throttleTimeMs: 0, errorCode: 0, groups: [{ groupId: 'g', protocolType: 'consumer' }] },
    expected: { throttle_time_ms: 0, error_code: 0, groups: [{ group: 'g', protocol_type: 'consumer' }] },
  },
};

function kafkaPythonAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import kafka.protocol'], { cwd: tmpdir() }).status === 0;
}

const available = kafkaPythonAvailable();
if (!available) {
  const message = `kafka-python (python3-kafka) not found at ${PYTHON}: skipping the kafka-python protocol cross-checks`;
  if (process.env.CI) throw new Error(`${message} (required in CI)`);
  console.warn(`\n!!! ${message}\n`);
}

describe.skipIf(!available)('kafka-python 2.0.2 interoperability', () => {
  const responses = Object.fromEntries(
    Object.entries(RESPONSES).map(([name, r]) => [
      name,
      {
        module: r.module,
        cls: r.cls,
        version: r.version,
        // kafka-python's response classes read the body after the size prefix and correlation id.
        hex: encodeResponse(r.key, r.version, 7, r.ours as never)
          .subarray(8)
          .toString('hex'),
      },
    ]),
  );
  // cwd outside the repo: kafka-python's modules must not be shadowed by anything on the path.
  const run = available
    ? spawnSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(responses), cwd: tmpdir(), encoding: 'utf8' })
    : null;
  const result = run && run.status === 0 ? JSON.parse(run.stdout) : null;

  it('the python side ran', () => {
    // Show python's own error output if it failed.
    expect(run?.status, run?.stderr).toBe(0);
    expect(result).not.toBeNull();
  });

  it.each(REQUESTS.map((c) => [c.name, c] as const))(
    'request %s: decoded as expected, re-encoded identically',
    (_name, c) => {
      const bytes = Buffer.from(result.requests[c.name], 'hex');
      const decoded = decodeRequest(bytes);
      expect(decoded.header).toMatchObject({
        apiKey: c.key,
        apiVersion: c.version,
        correlationId: 7,
        clientId: 'kafka-python',
      });
      expect(decoded.body).toMatchObject(c.body);
      const ours = encodeRequest(c.key, c.version, 7, 'kafka-python', decoded.body as never);
      expect(ours.subarray(4).toString('hex')).toBe(bytes.toString('hex'));
    },
  );

  it.each(Object.keys(RESPONSES))('response %s: kafka-python decodes what we encode', (name) => {
    expect(result.responses[name]).toEqual(RESPONSES[name].expected);
  });
});
