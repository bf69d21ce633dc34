// Cross-checks against @platformatic/kafka 1.x's own request builders and response parsers for flexible
// versions (compact strings/arrays, tagged fields, header v2 / response header v1, ApiVersions' header v0).
import {
  apiVersionsV3,
  createTopicsV7,
  fetchV12,
  heartbeatV4,
  joinGroupV6,
  listOffsetsV6,
  metadataV9,
  offsetCommitV8,
  produceV9,
  Reader,
  Writer,
} from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import {
  decodeRequest,
  describedVersions,
  encodeRequest,
  encodeResponse,
} from '../../src/protocol/messages.js';

type PlatformaticApi = {
  createRequest: (...args: unknown[]) => Writer;
  parseResponse: (correlationId: number, apiKey: number, apiVersion: number, reader: Reader) => unknown;
  api: { key: number; version: number };
};

const CLIENT_ID = 'platformatic';
const ALL = Object.fromEntries([0, 1, 2, 3, 8, 11, 12, 18, 19].map((key) => [key, describedVersions(key)!]));

/** The frame the client's connection writes: header v2 (int16 client id + tags) when the API asks for it. */
function frame(api: PlatformaticApi, args: unknown[], headerTags = true): Buffer {
  const writer = Writer.create()
    .appendInt16(api.api.key)
    .appendInt16(api.api.version)
    .appendInt32(77)
    .appendString(CLIENT_ID, false);
  if (headerTags) writer.appendTaggedFields();
  writer.appendFrom(api.createRequest(...args));
  return writer.prependLength().buffer;
}

/** What the client's connection does with a response: skip the header (tags too when flexible), then parse. */
function parse(api: PlatformaticApi, response: Buffer, headerTags = true): unknown {
  const reader = Reader.from(response.subarray(4));
  const correlationId = reader.readInt32();
  if (headerTags) reader.skip(1);
  return api.parseResponse(correlationId, api.api.key, api.api.version, reader);
}

function roundTrip(
  api: PlatformaticApi,
  args: unknown[],
  expected: Record<string, unknown>,
  headerTags = true,
) {
  const bytes = frame(api, args, headerTags);
  const decoded = decodeRequest(bytes.subarray(4), { versions: ALL });
  expect(decoded.header).toMatchObject({
    apiKey: api.api.key,
    apiVersion: api.api.version,
    correlationId: 77,
    clientId: CLIENT_ID,
    headerVersion: 2,
  });
  expect(decoded.body).toMatchObject(expected);
  const ours = encodeRequest(api.api.key, api.api.version, 77, CLIENT_ID, decoded.body as never);
  expect(ours.toString('hex')).toBe(bytes.toString('hex'));
  return decoded.body;
}

describe('@platformatic/kafka 1.x interoperability (flexible versions)', () => {
  it('ApiVersions v3: compact request body, response with header v0 and a compact array', () => {
    roundTrip(apiVersionsV3 as never, ['platformatic-kafka', '1.35.0'], {
      clientSoftwareName: 'platformatic-kafka',
      clientSoftwareVersion: '1.35.0',
    });
    const response = encodeResponse(ApiKey.ApiVersions, 3, 77, {
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: 3, maxVersion: 7 },
        { apiKey: 3, minVersion: 0, maxVersion: 8 },
      ],
      throttleTimeMs: 0,
    });
    expect(parse(apiVersionsV3 as never, response, false)).toEqual({
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, name: 'Produce', minVersion: 3, maxVersion: 7 },
        { apiKey: 3, name: 'Metadata', minVersion: 0, maxVersion: 8 },
      ],
      throttleTimeMs: 0,
    });
  });

  it('Metadata v9', () => {
    roundTrip(metadataV9 as never, [['orders', 'payments'], true, false], {
      topics: [
        { topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'orders' },
        { topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'payments' },
      ],
      allowAutoTopicCreation: true,
    });
    const response = encodeResponse(ApiKey.Metadata, 9, 77, {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }],
      clusterId: 'sluice',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 'orders',
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 0,
              replicaNodes: [1],
              isrNodes: [1],
              offlineReplicas: [],
            },
          ],
          topicAuthorizedOperations: -2147483648,
        },
      ],
    });
    expect(parse(metadataV9 as never, response)).toEqual({
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }],
      clusterId: 'sluice',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 'orders',
          topicId: 'orders',
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 0,
              replicaNodes: [1],
              isrNodes: [1],
              offlineReplicas: [],
            },
          ],
          topicAuthorizedOperations: -2147483648,
        },
      ],
    });
  });

  it('Produce v9: compact records stay raw bytes', () => {
    const body = roundTrip(
      produceV9 as never,
      [
        -1,
        30000,
        [
          {
            topic: 'orders',
            partition: 2,
            key: Buffer.from('k'),
            value: Buffer.from('v'),
            timestamp: 1700000000000n,
          },
        ],
        {},
      ],
      { transactionalId: null, acks: -1, timeoutMs: 30000 },
    ) as { topicData: Array<{ name: string; partitionData: Array<{ index: number; records: Buffer }> }> };
    expect(body.topicData[0].name).toBe('orders');
    expect(body.topicData[0].partitionData[0].index).toBe(2);
    // A v2 record batch: magic byte 2 at offset 16.
    expect(body.topicData[0].partitionData[0].records[16]).toBe(2);

    const response = encodeResponse(ApiKey.Produce, 9, 77, {
      responses: [
        {
          name: 'orders',
          partitionResponses: [
            {
              index: 2,
              errorCode: 0,
              baseOffset: 10n,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
              recordErrors: [],
              errorMessage: null,
            },
          ],
        },
      ],
      throttleTimeMs: 0,
    });
    expect(parse(produceV9 as never, response)).toMatchObject({
      responses: [
        {
          name: 'orders',
          partitionResponses: [
            { index: 2, errorCode: 0, baseOffset: 10n, logAppendTimeMs: -1n, logStartOffset: 0n },
          ],
        },
      ],
      throttleTimeMs: 0,
    });
  });

  it('Fetch v12: request with tagged-field struct, response whose records the client decodes', () => {
    roundTrip(
      fetchV12 as never,
      [
        5000,
        1,
        10485760,
        1,
        0,
        -1,
        [
          {
            topicId: 'orders',
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                fetchOffset: 10n,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 1048576,
              },
            ],
          },
        ],
        [],
        '',
      ],
      {
        replicaId: -1,
        maxWaitMs: 5000,
        isolationLevel: 1,
        topics: [
          { topic: 'orders', partitions: [{ partition: 0, fetchOffset: 10n, partitionMaxBytes: 1048576 }] },
        ],
      },
    );
    // Build a real batch with the client's producer encoder, then serve it in our Fetch response.
    const produced = decodeRequest(
      frame(produceV9 as never, [
        1,
        1000,
        [{ topic: 't', partition: 0, value: Buffer.from('hello'), timestamp: 5n }],
        {},
      ]).subarray(4),
      { versions: ALL },
    ).body as { topicData: Array<{ partitionData: Array<{ records: Buffer }> }> };
    const records = produced.topicData[0].partitionData[0].records;
    const response = encodeResponse(ApiKey.Fetch, 12, 77, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 1n,
              lastStableOffset: 1n,
              logStartOffset: 0n,
              abortedTransactions: [],
              preferredReadReplica: -1,
              records,
              // A tagged field the client does not read: it must skip it cleanly.
              currentLeader: { leaderId: 1, leaderEpoch: 0 },
            },
          ],
        },
      ],
    });
    const parsed = parse(fetchV12 as never, response) as {
      responses: Array<{
        topicId: string;
        partitions: Array<{ highWatermark: bigint; records: Array<{ records: Array<{ value: Buffer }> }> }>;
      }>;
    };
    expect(parsed.responses[0].topicId).toBe('orders');
    expect(parsed.responses[0].partitions[0].highWatermark).toBe(1n);
    expect(parsed.responses[0].partitions[0].records[0].records[0].value.toString()).toBe('hello');
  });

  it('CreateTopics v7', () => {
    roundTrip(
      createTopicsV7 as never,
      [
        [
          {
            name: 'orders',
            numPartitions: 3,
            replicationFactor: 1,
            assignments: [],
            configs: [{ name: 'cleanup.policy', value: 'delete' }],
          },
        ],
        5000,
        false,
      ],
      {
        topics: [
          {
            name: 'orders',
            numPartitions: 3,
            replicationFactor: 1,
            assignments: [],
            configs: [{ name: 'cleanup.policy', value: 'delete' }],
          },
        ],
        timeoutMs: 5000,
        validateOnly: false,
      },
    );
    const response = encodeResponse(ApiKey.CreateTopics, 7, 77, {
      throttleTimeMs: 0,
      topics: [
        {
          name: 'orders',
          topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
          errorCode: 0,
          errorMessage: null,
          numPartitions: 3,
          replicationFactor: 1,
          configs: [
            { name: 'cleanup.policy', value: 'delete', readOnly: false, configSource: 5, isSensitive: false },
          ],
        },
      ],
    });
    expect(parse(createTopicsV7 as never, response)).toEqual({
      throttleTimeMs: 0,
      topics: [
        {
          name: 'orders',
          topicId: '00000000-0000-0000-0000-000000000001',
          errorCode: 0,
          errorMessage: null,
          numPartitions: 3,
          replicationFactor: 1,
          configs: [
            { name: 'cleanup.policy', value: 'delete', readOnly: false, configSource: 5, isSensitive: false },
          ],
        },
      ],
    });
  });

  it('JoinGroup v6, Heartbeat v4, OffsetCommit v8 and ListOffsets v6 requests', () => {
    roundTrip(
      joinGroupV6 as never,
      ['g', 60000, 300000, '', null, 'consumer', [{ name: 'roundrobin', metadata: Buffer.from([1]) }]],
      {
        groupId: 'g',
        sessionTimeoutMs: 60000,
        rebalanceTimeoutMs: 300000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'roundrobin', metadata: Buffer.from([1]) }],
      },
    );
    roundTrip(heartbeatV4 as never, ['g', 3, 'm-1', null], {
      groupId: 'g',
      generationId: 3,
      memberId: 'm-1',
      groupInstanceId: null,
    });
    roundTrip(
      offsetCommitV8 as never,
      [
        'g',
        3,
        'm-1',
        null,
        [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null },
            ],
          },
        ],
      ],
      {
        groupId: 'g',
        generationIdOrMemberEpoch: 3,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null },
            ],
          },
        ],
      },
    );
    roundTrip(
      listOffsetsV6 as never,
      [
        -1,
        1,
        [{ name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
      ],
      {
        replicaId: -1,
        isolationLevel: 1,
        topics: [
          { name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] },
        ],
      },
    );
    const hb = encodeResponse(ApiKey.Heartbeat, 4, 77, { throttleTimeMs: 0, errorCode: 0 });
    expect(parse(heartbeatV4 as never, hb)).toEqual({ throttleTimeMs: 0, errorCode: 0 });
  });
});
