import { ApiKey } from '../../../../src/protocol/api-keys.js';
import { ErrorCode } from '../../../../src/protocol/errors.js';
import type { DiffCase, Step } from '../script.js';
import { fetch, listOffsets, metadata, newTopic, produce, type RecordSpec, V } from './steps.js';

const three: RecordSpec[] = [
  { key: 'k0', value: 'v0', timestamp: '{{t:1000}}', headers: [{ key: 'h', value: 'x' }] },
  { key: null, value: 'v1', timestamp: '{{t:500}}' },
  { key: 'k2', value: null, timestamp: '{{t:2000}}' },
];
const two: RecordSpec[] = [
  { key: 'k3', value: 'v3'.repeat(50), timestamp: '{{t:3000}}' },
  { key: 'k4', value: 'v4'.repeat(50), timestamp: '{{t:2500}}' },
];

export const produceFetchCases: DiffCase[] = [
  {
    name: 'fetch-offsets',
    title: 'produce two batches, fetch from the start, mid-batch, the high watermark and out of range',
    steps: [
      ...newTopic('{{topic}}', { partitions: 2 }),
      produce('produce batch 1', three),
      produce('produce batch 2', two),
      fetch('fetch from 0', 0),
      fetch('fetch mid-batch', 1),
      fetch('fetch second batch', 3),
      fetch('fetch at high watermark', 5),
      fetch('fetch past high watermark', 6),
      fetch('fetch negative offset', -1),
      fetch('fetch empty partition 1', 0, { partition: 1 }),
      fetch('fetch read_committed', 0, { isolationLevel: 1 }),
      produce('produce a gzip batch', two, { batch: { compression: 'gzip' } }),
      fetch('fetch the gzip batch', 5),
    ],
  },
  {
    name: 'fetch-max-bytes',
    title: 'max_bytes: a first batch larger than the limit still comes whole; later partitions get nothing',
    steps: [
      ...newTopic('{{topic}}', { partitions: 2 }),
      produce('produce p0 batch 1', three),
      produce('produce p0 batch 2', two),
      produce('produce p1', two, { partition: 1 }),
      fetch('partition max 10 bytes', 0, { partitionMaxBytes: 10 }),
      fetch('request max 10 bytes', 0, { maxBytes: 10 }),
      fetch('request max 10 bytes over two partitions', 0, {
        maxBytes: 10,
        more: [{ partition: 1, offset: 0 }],
      }),
      fetch('partition max just past batch 1', 0, { partitionMaxBytes: 200 }),
    ],
  },
  {
    // KIP-74: only the first partition of the response that has data may exceed its limits; a later
    // partition whose first batch does not fit answers no records and no error, so the client asks again.
    name: 'fetch-oversized-batches',
    title:
      'three partitions, each one batch larger than partition_max_bytes: only the first with data gets it',
    steps: [
      ...newTopic('{{topic}}', { partitions: 3 }),
      produce('produce p0', two),
      produce('produce p1', two, { partition: 1 }),
      produce('produce p2', two, { partition: 2 }),
      fetch('partition max 10 bytes each', 0, {
        partitionMaxBytes: 10,
        more: [
          { partition: 1, offset: 0, partitionMaxBytes: 10 },
          { partition: 2, offset: 0, partitionMaxBytes: 10 },
        ],
      }),
      fetch('p0 at its high watermark, so p1 is the first with data', 2, {
        partitionMaxBytes: 10,
        more: [
          { partition: 1, offset: 0, partitionMaxBytes: 10 },
          { partition: 2, offset: 0, partitionMaxBytes: 10 },
        ],
      }),
      fetch('p1 fits, p2 does not', 0, {
        partition: 1,
        more: [{ partition: 2, offset: 0, partitionMaxBytes: 10 }],
      }),
    ],
  },
  {
    name: 'unknown-topic-partition',
    title: 'produce, fetch, list offsets and metadata for an unknown topic and an unknown partition',
    steps: [
      ...newTopic(),
      fetch('fetch unknown topic', 0, { topic: '{{topic:missing}}' }),
      fetch('fetch unknown partition', 0, { partition: 7 }),
      listOffsets('list unknown topic', -1n, { topic: '{{topic:missing}}' }),
      listOffsets('list unknown partition', -1n, { partition: 7 }),
      metadata('metadata unknown topic, no auto-create', ['{{topic:missing}}']),
      metadata('metadata known and invalid name', ['{{topic}}', 'bad/name']),
      produce('produce unknown partition', three, { partition: 7 }),
      // Last: on Sluice this creates the topic (see intended.ts).
      produce('produce unknown topic', three, { topic: '{{topic:missing}}' }),
    ],
  },
  {
    name: 'empty-topic',
    title: 'an empty topic: fetch at 0 and 1, earliest, latest and by-time offsets',
    steps: [
      ...newTopic(),
      fetch('fetch at 0', 0),
      fetch('fetch at 1', 1),
      listOffsets('earliest', -2n),
      listOffsets('latest', -1n),
      listOffsets('by time', '{{t:0}}'),
      listOffsets('max timestamp of an empty partition', -3n, { version: 7 }),
    ],
  },
  {
    name: 'create-time',
    title: 'CreateTime: the producer timestamps come back in fetch and drive ListOffsets by time',
    steps: [
      ...newTopic(),
      produce('produce', three),
      produce('produce later', two),
      fetch('fetch', 0),
      listOffsets('earliest', -2n),
      listOffsets('latest', -1n),
      listOffsets('before every record', '{{t:0}}'),
      listOffsets('t+600 (first record at or after it is offset 0)', '{{t:600}}'),
      listOffsets('t+1500', '{{t:1500}}'),
      listOffsets('t+2600', '{{t:2600}}'),
      listOffsets('after every record', '{{t:9000}}'),
      listOffsets('max timestamp at v5', -3n),
      listOffsets('max timestamp at v7', -3n, { version: 7 }),
    ],
  },
  {
    name: 'log-append-time',
    title: 'LogAppendTime: the broker stamps the batch and answers the append time',
    steps: [
      ...newTopic('{{topic}}', { configs: { 'message.timestamp.type': 'LogAppendTime' } }),
      produce('produce', three),
      fetch('fetch', 0),
      listOffsets('latest', -1n),
    ],
  },
  {
    name: 'compacted-keyless',
    title:
      'a compacted topic refuses a batch with a keyless record (INVALID_RECORD, record_errors); keyed ones append',
    steps: [
      ...newTopic('{{topic}}', { configs: { 'cleanup.policy': 'compact' } }),
      {
        ...produce('keyed, keyless, keyed at v11', [
          { key: 'a', value: '1' },
          { key: null, value: '2' },
          { key: 'b', value: '3' },
        ]),
        version: 11,
      },
      { ...produce('keyed only at v11', [{ key: 'a', value: '1' }]), version: 11 },
      listOffsets('latest', -1n),
    ],
  },
  {
    name: 'produce-errors',
    title: 'bad acks, a batch over max.message.bytes, a timestamp far in the future',
    steps: [
      ...newTopic('{{topic}}', { configs: { 'max.message.bytes': '200' } }),
      produce('acks 2', three, { acks: 2 }),
      produce('batch over max.message.bytes', two),
      produce('timestamp two hours ahead', [{ value: 'x', timestamp: '{{t:7200000}}' }]),
      produce('timestamp one minute ahead', [{ value: 'x', timestamp: '{{t:60000}}' }]),
      fetch('fetch', 0),
    ],
  },
  {
    name: 'idempotent-produce',
    title: 'an idempotent producer: duplicate batch answered with its offset, a sequence gap refused',
    steps: [
      ...newTopic(),
      {
        name: 'init producer id',
        apiKey: ApiKey.InitProducerId,
        version: V.initProducerId,
        body: { transactionalId: null, transactionTimeoutMs: 60_000 },
        // Kafka's producer id manager answers COORDINATOR_LOAD_IN_PROGRESS until it has a block of ids.
        retryWhile: { path: 'errorCode', in: [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS] },
        save: { pid: 'producerId', epoch: 'producerEpoch' },
      },
      produce('seq 0', three, {
        batch: { producerId: '{{var:pid}}', producerEpoch: '{{var:epoch}}', baseSequence: 0 },
      }),
      produce('seq 3', two, {
        batch: { producerId: '{{var:pid}}', producerEpoch: '{{var:epoch}}', baseSequence: 3 },
      }),
      produce('seq 3 again (duplicate)', two, {
        batch: { producerId: '{{var:pid}}', producerEpoch: '{{var:epoch}}', baseSequence: 3 },
      }),
      produce('seq 9 (gap)', two, {
        batch: { producerId: '{{var:pid}}', producerEpoch: '{{var:epoch}}', baseSequence: 9 },
      }),
      fetch('fetch', 0),
    ],
  },
];

/** DeleteRecords for partition 0 of the case's topic. */
function deleteRecords(name: string, offset: bigint, partitionIndex = 0): Step {
  return {
    name,
    apiKey: ApiKey.DeleteRecords,
    version: V.deleteRecords,
    body: { topics: [{ name: '{{topic}}', partitions: [{ partitionIndex, offset }] }], timeoutMs: 10_000 },
  };
}

export const logStartCases: DiffCase[] = [
  {
    name: 'log-start-after-delete-records',
    title: 'DeleteRecords moves the log start: earliest offset, fetch below it, logStartOffset in answers',
    steps: [
      ...newTopic(),
      produce('produce batch 1', three),
      produce('produce batch 2', two),
      deleteRecords('DeleteRecords before offset 3', 3n),
      listOffsets('earliest', -2n),
      fetch('fetch at 0, below the log start', 0),
      fetch('fetch at 3', 3),
      produce('produce after', [{ value: 'after' }]),
      deleteRecords('DeleteRecords past the high watermark', 99n),
      deleteRecords('DeleteRecords -1 (up to the high watermark)', -1n),
      deleteRecords('DeleteRecords on an unknown partition', 0n, 7),
      listOffsets('earliest after -1', -2n),
    ],
  },
];
