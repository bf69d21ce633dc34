import { ApiKey } from '../../../../src/protocol/api-keys.js';
import { ErrorCode } from '../../../../src/protocol/errors.js';
import type { DiffCase, Step } from '../script.js';
import {
  COORDINATOR_NOT_READY,
  coordinatorReady,
  fetch,
  findCoordinator,
  listOffsets,
  newTopic,
  produce,
  type RecordSpec,
  V,
} from './steps.js';

const TXN = '{{instance:txn}}';
const PRODUCER = { producerId: '{{var:pid}}', producerEpoch: '{{var:epoch}}' };

const first: RecordSpec[] = [
  { key: 'k0', value: 'v0', timestamp: '{{t:0}}' },
  { key: 'k1', value: 'v1', timestamp: '{{t:1}}' },
];
const second: RecordSpec[] = [{ key: 'k2', value: 'v2', timestamp: '{{t:2}}' }];

/** FindCoordinator for the transactional id, then InitProducerId, saving the id and epoch. */
function initTransactions(name = 'init transactional producer id'): Step[] {
  return [
    {
      ...findCoordinator('find the transaction coordinator', TXN),
      body: { key: TXN, keyType: 1 },
      // Kafka creates __transaction_state on this first request.
      retryWhile: { path: 'errorCode', in: [ErrorCode.COORDINATOR_NOT_AVAILABLE], timeoutMs: 30_000 },
    },
    {
      name,
      apiKey: ApiKey.InitProducerId,
      version: V.initProducerId,
      body: { transactionalId: TXN, transactionTimeoutMs: 60_000 },
      retryWhile: { path: 'errorCode', in: COORDINATOR_NOT_READY, timeoutMs: 30_000 },
      save: { pid: 'producerId', epoch: 'producerEpoch' },
    },
  ];
}

function addPartitions(name: string, producer: Record<string, unknown> = PRODUCER): Step {
  return {
    name,
    apiKey: ApiKey.AddPartitionsToTxn,
    version: V.addPartitionsToTxn,
    body: {
      v3AndBelowTransactionalId: TXN,
      v3AndBelowProducerId: producer.producerId,
      v3AndBelowProducerEpoch: producer.producerEpoch,
      v3AndBelowTopics: [{ name: '{{topic}}', partitions: [0] }],
    },
  };
}

function transactionalProduce(name: string, records: RecordSpec[], baseSequence: number): Step {
  const step = produce(name, records, { batch: { ...PRODUCER, baseSequence, transactional: true } });
  return { ...step, body: { ...(step.body as object), transactionalId: TXN } };
}

function endTxn(name: string, committed: boolean, producer: Record<string, unknown> = PRODUCER): Step {
  return {
    name,
    apiKey: ApiKey.EndTxn,
    version: V.endTxn,
    body: { transactionalId: TXN, ...producer, committed },
  };
}

/**
 * Both brokers answer EndTxn once the outcome is prepared and write the markers after, so a
 * read_committed fetch is repeated while the transaction still holds the last stable offset at
 * `heldAt`: both sides are compared once the markers are in.
 */
function committedFetch(name: string, heldAt: bigint): Step {
  return {
    ...fetch(name, 0, { isolationLevel: 1 }),
    retryWhile: { path: 'responses.0.partitions.0.lastStableOffset', in: [heldAt], timeoutMs: 10_000 },
  };
}

export const transactionCases: DiffCase[] = [
  {
    name: 'transaction-abort-then-commit',
    title:
      'a transaction aborted then one committed: last stable offset, read_committed and read_uncommitted fetches, aborted transactions, ListOffsets',
    steps: [
      ...newTopic(),
      ...initTransactions(),
      addPartitions('add the partition'),
      transactionalProduce('produce in the first transaction', first, 0),
      fetch('read_uncommitted fetch while it is open', 0),
      fetch('read_committed fetch while it is open', 0, { isolationLevel: 1 }),
      listOffsets('latest, read_committed, while open', -1n, { isolationLevel: 1 }),
      listOffsets('latest, read_uncommitted, while open', -1n),
      endTxn('abort', false),
      committedFetch('read_committed fetch after the abort', 0n),
      {
        // The complete record may still be on its way after the markers: CONCURRENT_TRANSACTIONS until then.
        ...addPartitions('add the partition again'),
        retryWhile: {
          path: 'resultsByTopicV3AndBelow.0.resultsByPartition.0.partitionErrorCode',
          in: [ErrorCode.CONCURRENT_TRANSACTIONS],
          timeoutMs: 10_000,
        },
      },
      transactionalProduce('produce in the second transaction', second, 2),
      endTxn('commit', true),
      committedFetch('read_committed fetch after the commit', 3n),
      fetch('read_uncommitted fetch after the commit', 0),
      listOffsets('latest, read_committed, after the commit', -1n, { isolationLevel: 1 }),
      {
        ...endTxn('commit again (a retry)', true),
        retryWhile: { path: 'errorCode', in: [ErrorCode.CONCURRENT_TRANSACTIONS], timeoutMs: 10_000 },
      },
      endTxn('abort after the commit', false),
    ],
  },
  {
    name: 'transaction-fencing',
    title: 'a second InitProducerId fences the first epoch; a transaction needs its partitions added first',
    steps: [
      ...newTopic(),
      ...initTransactions(),
      {
        name: 'init again (a new instance)',
        apiKey: ApiKey.InitProducerId,
        version: V.initProducerId,
        body: { transactionalId: TXN, transactionTimeoutMs: 60_000 },
        save: { epoch2: 'producerEpoch' },
      },
      addPartitions('add a partition with the fenced epoch'),
      endTxn('end with the fenced epoch', true),
      endTxn('end a transaction that has no partitions', true, {
        producerId: '{{var:pid}}',
        producerEpoch: '{{var:epoch2}}',
      }),
      addPartitions('add with an unknown producer id', {
        producerId: 12345n,
        producerEpoch: '{{var:epoch2}}',
      }),
      {
        name: 'InitProducerId with an empty transactional id',
        apiKey: ApiKey.InitProducerId,
        version: V.initProducerId,
        body: { transactionalId: '', transactionTimeoutMs: 60_000 },
      },
      {
        name: 'InitProducerId with a timeout over transaction.max.timeout.ms',
        apiKey: ApiKey.InitProducerId,
        version: V.initProducerId,
        body: { transactionalId: TXN, transactionTimeoutMs: 3_600_000 },
      },
    ],
  },
  {
    name: 'transaction-offsets',
    title: 'offsets committed in a transaction: invisible while open, visible after the commit',
    steps: [
      ...newTopic(),
      ...coordinatorReady(),
      ...initTransactions(),
      {
        name: 'add the group offsets',
        apiKey: ApiKey.AddOffsetsToTxn,
        version: V.addOffsetsToTxn,
        body: { transactionalId: TXN, ...PRODUCER, groupId: '{{group}}' },
        retryWhile: { path: 'errorCode', in: COORDINATOR_NOT_READY, timeoutMs: 30_000 },
      },
      {
        name: 'commit offsets in the transaction',
        apiKey: ApiKey.TxnOffsetCommit,
        version: V.txnOffsetCommit,
        body: {
          transactionalId: TXN,
          groupId: '{{group}}',
          ...PRODUCER,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [
            {
              name: '{{topic}}',
              partitions: [
                { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: 'm' },
              ],
            },
          ],
        },
      },
      offsetFetch('offsets while the transaction is open'),
      endTxn('commit', true),
      {
        ...offsetFetch('offsets after the commit'),
        retryWhile: { path: 'topics.0.partitions.0.committedOffset', in: [-1n], timeoutMs: 10_000 },
      },
    ],
  },
];

function offsetFetch(name: string): Step {
  return {
    name,
    apiKey: ApiKey.OffsetFetch,
    version: 5,
    body: { groupId: '{{group}}', topics: [{ name: '{{topic}}', partitionIndexes: [0] }] },
  };
}
