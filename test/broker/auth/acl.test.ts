import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AclOperation as Op,
  PatternType,
  AclPermission as Perm,
  ResourceType as Res,
} from '../../../src/broker/auth/acl.js';
import { Broker } from '../../../src/broker/broker.js';
import type { AclCreation } from '../../../src/protocol/apis/index.js';
import { ErrorCode as E } from '../../../src/protocol/errors.js';
import { buildRecordBatch } from '../../../src/protocol/record-batch.js';
import { openAuthenticated } from '../../helpers/sasl-client.js';
import type { WireClient } from '../../helpers/wire-client.js';

const ADMIN = 'User:admin';
const BOB = 'User:bob';

function acl(
  type: number,
  name: string,
  operation: number,
  principal = BOB,
  permission: number = Perm.ALLOW,
  pattern: number = PatternType.LITERAL,
): AclCreation {
  return {
    resourceType: type,
    resourceName: name,
    resourcePatternType: pattern,
    principal,
    host: '*',
    operation,
    permissionType: permission,
  };
}

async function start(dataDir: string, authorizer = true, extraUsers: string[] = []) {
  const broker = new Broker(
    {
      dataDir,
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      groups: { initialRebalanceDelayMs: 0 },
      security: {
        users: {
          admin: 'admin-secret',
          bob: 'bob-secret',
          ...Object.fromEntries(extraUsers.map((u) => [u, 'pw'])),
        },
        authorizer: authorizer ? { superUsers: [ADMIN] } : undefined,
      },
    },
    { logger: pino({ level: 'silent' }) },
  );
  await broker.start();
  return broker;
}

/** Each case runs as its own user, so grants made for one API cannot leak into another's. */
const userOf = (api: string) => `u-${api.replace(/[^A-Za-z]/g, '').toLowerCase()}`;

/** One API: what its user's request answers, the code without the ACL, the ACLs that allow it, the code with them. */
interface Case {
  api: string;
  denied: number;
  grant: AclCreation[];
  /** The code once granted (default 0); a group API may answer past the authorizer with its own error. */
  allowed?: number;
  call: (c: WireClient) => Promise<number>;
}

const topic = (api: string) => `acl-${api}`;
/** The transactional producer's user, and a user without rights on its transactional id. */
const TXN_OWNER = 'u-txn-owner';
const TXN_STRANGER = 'u-txn-stranger';
const group = (api: string) => `group-${api}`;

describe('ACLs on the embedded broker', () => {
  let dataDir: string;
  let broker: Broker;
  let admin: WireClient;
  let bob: WireClient;
  let batch: Buffer;

  const createAcls = async (creations: AclCreation[]) => {
    const r = await admin.request(30, 2, { creations });
    expect(r.results.map((x) => x.errorCode)).toEqual(creations.map(() => 0));
  };

  const cases: Case[] = [
    {
      api: 'Produce',
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, topic('Produce'), Op.WRITE)],
      call: async (c) =>
        (
          await c.request(0, 7, {
            acks: -1,
            timeoutMs: 5000,
            topicData: [{ name: topic('Produce'), partitionData: [{ index: 0, records: batch }] }],
          })
        ).responses[0].partitionResponses[0].errorCode,
    },
    {
      api: 'Fetch',
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, topic('Fetch'), Op.READ)],
      call: async (c) =>
        (
          await c.request(1, 11, {
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: 1 << 20,
            isolationLevel: 0,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [
              {
                topic: topic('Fetch'),
                partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }],
              },
            ],
            forgottenTopicsData: [],
            rackId: '',
          })
        ).responses[0].partitions[0].errorCode,
    },
    {
      api: 'ListOffsets',
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, topic('ListOffsets'), Op.DESCRIBE)],
      call: async (c) =>
        (
          await c.request(2, 1, {
            replicaId: -1,
            topics: [{ name: topic('ListOffsets'), partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
          })
        ).topics[0].partitions[0].errorCode,
    },
    {
      api: 'Metadata',
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, topic('Metadata'), Op.READ)], // READ implies DESCRIBE
      call: async (c) =>
        (await c.request(3, 4, { topics: [{ name: topic('Metadata') }], allowAutoTopicCreation: false }))
          .topics[0].errorCode,
    },
    {
      api: 'CreateTopics',
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, 'bob-', Op.CREATE, BOB, Perm.ALLOW, PatternType.PREFIXED)],
      call: async (c) =>
        (
          await c.request(19, 4, {
            topics: [
              { name: 'bob-new', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
            ],
            timeoutMs: 5000,
          })
        ).topics[0].errorCode,
    },
    {
      api: 'DeleteTopics',
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, topic('DeleteTopics'), Op.DELETE)],
      call: async (c) =>
        (await c.request(20, 1, { topicNames: [topic('DeleteTopics')], timeoutMs: 5000 })).responses[0]
          .errorCode,
    },
    {
      api: 'DeleteRecords',
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, topic('DeleteRecords'), Op.DELETE)],
      call: async (c) =>
        (
          await c.request(21, 1, {
            topics: [{ name: topic('DeleteRecords'), partitions: [{ partitionIndex: 0, offset: -1n }] }],
            timeoutMs: 5000,
          })
        ).topics[0].partitions[0].errorCode,
    },
    {
      api: 'CreatePartitions',
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, topic('CreatePartitions'), Op.ALTER)],
      call: async (c) =>
        (
          await c.request(37, 1, {
            topics: [{ name: topic('CreatePartitions'), count: 2, assignments: null }],
            timeoutMs: 5000,
            validateOnly: false,
          })
        ).results[0].errorCode,
    },
    {
      api: 'DescribeConfigs (topic)',
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, topic('DescribeConfigs'), Op.ALTER_CONFIGS)], // implies DESCRIBE_CONFIGS
      call: async (c) =>
        (
          await c.request(32, 1, {
            resources: [{ resourceType: 2, resourceName: topic('DescribeConfigs'), configurationKeys: null }],
          })
        ).results[0].errorCode,
    },
    {
      api: 'DescribeConfigs (broker)',
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
      grant: [acl(Res.CLUSTER, 'kafka-cluster', Op.DESCRIBE_CONFIGS)],
      call: async (c) =>
        (
          await c.request(32, 1, {
            resources: [{ resourceType: 4, resourceName: '0', configurationKeys: null }],
          })
        ).results[0].errorCode,
    },
    {
      api: 'AlterConfigs',
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, topic('AlterConfigs'), Op.ALTER_CONFIGS)],
      call: async (c) =>
        (
          await c.request(33, 0, {
            resources: [
              {
                resourceType: 2,
                resourceName: topic('AlterConfigs'),
                configs: [{ name: 'retention.ms', value: '60000' }],
              },
            ],
            validateOnly: false,
          })
        ).responses[0].errorCode,
    },
    {
      api: 'IncrementalAlterConfigs',
      denied: E.TOPIC_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, topic('Incremental'), Op.ALTER_CONFIGS)],
      call: async (c) =>
        (
          await c.request(44, 0, {
            resources: [
              {
                resourceType: 2,
                resourceName: topic('Incremental'),
                configs: [{ name: 'retention.ms', configOperation: 0, value: '60000' }],
              },
            ],
            validateOnly: false,
          })
        ).responses[0].errorCode,
    },
    {
      api: 'DescribeLogDirs',
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
      grant: [acl(Res.CLUSTER, 'kafka-cluster', Op.DESCRIBE)],
      call: async (c) => (await c.request(35, 3, { topics: null })).errorCode ?? -1,
    },
    {
      api: 'FindCoordinator',
      denied: E.GROUP_AUTHORIZATION_FAILED,
      grant: [acl(Res.GROUP, group('Find'), Op.DESCRIBE)],
      call: async (c) => (await c.request(10, 1, { key: group('Find'), keyType: 0 })).errorCode ?? -1,
    },
    {
      api: 'JoinGroup',
      denied: E.GROUP_AUTHORIZATION_FAILED,
      grant: [acl(Res.GROUP, group('Join'), Op.READ)],
      call: async (c) =>
        (
          await c.request(11, 2, {
            groupId: group('Join'),
            sessionTimeoutMs: 10_000,
            rebalanceTimeoutMs: 10_000,
            memberId: '',
            protocolType: 'consumer',
            protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
          })
        ).errorCode,
    },
    {
      api: 'Heartbeat',
      denied: E.GROUP_AUTHORIZATION_FAILED,
      grant: [acl(Res.GROUP, group('Heartbeat'), Op.READ)],
      allowed: E.UNKNOWN_MEMBER_ID, // past the authorizer: the coordinator does not know this member
      call: async (c) =>
        (await c.request(12, 1, { groupId: group('Heartbeat'), generationId: 1, memberId: 'nobody' }))
          .errorCode,
    },
    {
      api: 'SyncGroup',
      denied: E.GROUP_AUTHORIZATION_FAILED,
      grant: [acl(Res.GROUP, group('Sync'), Op.READ)],
      allowed: E.UNKNOWN_MEMBER_ID,
      call: async (c) =>
        (
          await c.request(14, 1, {
            groupId: group('Sync'),
            generationId: 1,
            memberId: 'nobody',
            assignments: [],
          })
        ).errorCode,
    },
    {
      api: 'LeaveGroup',
      denied: E.GROUP_AUTHORIZATION_FAILED,
      grant: [acl(Res.GROUP, group('Leave'), Op.READ)],
      allowed: E.UNKNOWN_MEMBER_ID,
      call: async (c) => (await c.request(13, 1, { groupId: group('Leave'), memberId: 'nobody' })).errorCode,
    },
    {
      api: 'OffsetCommit',
      denied: E.GROUP_AUTHORIZATION_FAILED,
      grant: [acl(Res.GROUP, group('Commit'), Op.READ), acl(Res.TOPIC, topic('Commit'), Op.READ)],
      call: async (c) =>
        (
          await c.request(8, 2, {
            groupId: group('Commit'),
            generationIdOrMemberEpoch: -1,
            memberId: '',
            retentionTimeMs: -1n,
            topics: [
              {
                name: topic('Commit'),
                partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }],
              },
            ],
          })
        ).topics[0].partitions[0].errorCode,
    },
    {
      api: 'OffsetFetch',
      denied: E.GROUP_AUTHORIZATION_FAILED,
      grant: [
        acl(Res.GROUP, group('OffsetFetch'), Op.DESCRIBE),
        acl(Res.TOPIC, topic('OffsetFetch'), Op.DESCRIBE),
      ],
      call: async (c) => {
        const r = await c.request(9, 3, {
          groupId: group('OffsetFetch'),
          topics: [{ name: topic('OffsetFetch'), partitionIndexes: [0] }],
        });
        return r.errorCode || (r.topics?.[0]?.partitions[0].errorCode ?? -1);
      },
    },
    {
      api: 'DescribeGroups',
      denied: E.GROUP_AUTHORIZATION_FAILED,
      grant: [acl(Res.GROUP, group('Describe'), Op.DESCRIBE)],
      call: async (c) => (await c.request(15, 1, { groups: [group('Describe')] })).groups[0].errorCode,
    },
    {
      api: 'DeleteGroups',
      denied: E.GROUP_AUTHORIZATION_FAILED,
      grant: [acl(Res.GROUP, group('Delete'), Op.DELETE)],
      call: async (c) => (await c.request(42, 1, { groupsNames: [group('Delete')] })).results[0].errorCode,
    },
    {
      api: 'OffsetDelete',
      denied: E.GROUP_AUTHORIZATION_FAILED,
      grant: [
        acl(Res.GROUP, group('OffsetDelete'), Op.DELETE),
        acl(Res.TOPIC, topic('OffsetDelete'), Op.READ),
      ],
      call: async (c) => {
        const r = await c.request(47, 0, {
          groupId: group('OffsetDelete'),
          topics: [{ name: topic('OffsetDelete'), partitions: [{ partitionIndex: 0 }] }],
        });
        return r.errorCode || r.topics[0].partitions[0].errorCode;
      },
    },
    {
      api: 'InitProducerId',
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
      grant: [acl(Res.TOPIC, topic('Idempotent'), Op.WRITE)], // WRITE on any topic allows idempotence (KIP-679)
      call: async (c) =>
        (await c.request(22, 1, { transactionalId: null, transactionTimeoutMs: 60_000 })).errorCode,
    },
    {
      api: 'CreateAcls',
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
      grant: [acl(Res.CLUSTER, 'kafka-cluster', Op.ALTER)],
      call: async (c) =>
        (await c.request(30, 1, { creations: [acl(Res.TOPIC, 'by-bob', Op.READ, 'User:carol')] })).results[0]
          .errorCode,
    },
    {
      api: 'DescribeAcls',
      denied: E.CLUSTER_AUTHORIZATION_FAILED,
      grant: [acl(Res.CLUSTER, 'kafka-cluster', Op.DESCRIBE)],
      call: async (c) =>
        (
          await c.request(29, 1, {
            resourceTypeFilter: 1,
            resourceNameFilter: null,
            patternTypeFilter: 1,
            principalFilter: null,
            hostFilter: null,
            operation: 1,
            permissionType: 1,
          })
        ).errorCode,
    },
  ];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-acl-'));
    broker = await start(dataDir, true, [...cases.map((c) => userOf(c.api)), TXN_OWNER, TXN_STRANGER]);
    const port = broker.address.port;
    admin = await openAuthenticated(port, 'SCRAM-SHA-256', 'admin', 'admin-secret');
    bob = await openAuthenticated(port, 'SCRAM-SHA-512', 'bob', 'bob-secret');
    batch = await buildRecordBatch({ records: [{ key: 'k', value: 'v', timestamp: Date.now() }] });
    const names = [
      ...cases.map((c) => topic(c.api.split(' ')[0])),
      topic('Find'),
      topic('Commit'),
      topic('OffsetDelete'),
      topic('Incremental'),
      topic('Idempotent'),
      topic('Txn'),
      topic('TxnOther'),
      'secret',
    ];
    const created = await admin.request(19, 4, {
      topics: [...new Set(names)].map((name) => ({
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [],
      })),
      timeoutMs: 5000,
    });
    expect(created.topics.every((t) => t.errorCode === 0)).toBe(true);
    // Groups with committed offsets for the delete cases (admin is a super user).
    for (const g of [group('Delete'), group('OffsetDelete')]) {
      const r = await admin.request(8, 2, {
        groupId: g,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        retentionTimeMs: -1n,
        topics: [
          {
            name: topic('OffsetDelete'),
            partitions: [{ partitionIndex: 0, committedOffset: 0n, committedMetadata: null }],
          },
        ],
      });
      expect(r.topics[0].partitions[0].errorCode).toBe(0);
    }
  });
  afterAll(async () => {
    admin?.close();
    bob?.close();
    await broker?.stop(1_000);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const as = (c: Case) => openAuthenticated(broker.address.port, 'SCRAM-SHA-256', userOf(c.api), 'pw');
  const grantsFor = (c: Case) => c.grant.map((g) => ({ ...g, principal: `User:${userOf(c.api)}` }));

  for (const c of cases) {
    it(`${c.api}: refused without the ACL, served with it`, async () => {
      const client = await as(c);
      try {
        expect(await c.call(client)).toBe(c.denied);
        await createAcls(grantsFor(c));
        expect(await c.call(client)).toBe(c.allowed ?? 0);
      } finally {
        client.close();
      }
    });
  }

  it('Metadata for all topics lists only those the principal may describe; ListGroups likewise', async () => {
    const viewer = await as(cases.find((c) => c.api === 'Metadata')!);
    const md = await viewer.request(3, 1, { topics: null });
    const names = md.topics.map((t) => t.name);
    expect(names).toContain(topic('Metadata'));
    expect(names).not.toContain('secret');
    const adminNames = (await admin.request(3, 1, { topics: null })).topics.map((t) => t.name);
    expect(adminNames).toContain('secret');
    const groups = (await viewer.request(16, 1, {})).groups.map((g) => g.groupId);
    viewer.close();
    expect(groups).not.toContain(group('OffsetDelete'));
    expect((await admin.request(16, 1, {})).groups.map((g) => g.groupId)).toContain(group('OffsetDelete'));
  });

  it('a transaction needs WRITE on its transactional id and topics, READ on its group and offsets topics; describing it needs DESCRIBE', async () => {
    const port = broker.address.port;
    const owner = await openAuthenticated(port, 'SCRAM-SHA-256', TXN_OWNER, 'pw');
    const stranger = await openAuthenticated(port, 'SCRAM-SHA-256', TXN_STRANGER, 'pw');
    const grant = (user: string, type: number, name: string, operation: number) =>
      createAcls([acl(type, name, operation, `User:${user}`)]);
    const txnId = 'acl-txn';
    const [written, other] = [topic('Txn'), topic('TxnOther')];
    try {
      expect(
        (await owner.request(22, 1, { transactionalId: txnId, transactionTimeoutMs: 60_000 })).errorCode,
      ).toBe(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      await grant(TXN_OWNER, Res.TRANSACTIONAL_ID, txnId, Op.WRITE);
      const init = await owner.request(22, 1, { transactionalId: txnId, transactionTimeoutMs: 60_000 });
      expect(init.errorCode).toBe(0);
      const { producerId, producerEpoch } = init;
      const producer = { producerId, producerEpoch };

      const addPartitions = async (c: WireClient) =>
        (
          await c.request(24, 1, {
            v3AndBelowTransactionalId: txnId,
            v3AndBelowProducerId: producerId,
            v3AndBelowProducerEpoch: producerEpoch,
            v3AndBelowTopics: [
              { name: written, partitions: [0] },
              { name: other, partitions: [0] },
            ],
          })
        ).resultsByTopicV3AndBelow?.map((t) => [t.name, t.resultsByPartition[0].partitionErrorCode]);
      await grant(TXN_OWNER, Res.TOPIC, other, Op.WRITE);
      expect(await addPartitions(owner)).toEqual([
        [written, E.TOPIC_AUTHORIZATION_FAILED],
        [other, E.OPERATION_NOT_ATTEMPTED],
      ]);
      expect(await addPartitions(stranger)).toEqual([
        [written, E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
        [other, E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
      ]);
      // Internal topics never join through AddPartitionsToTxn, not even for a super user (Kafka's rule).
      const internal = await admin.request(24, 1, {
        v3AndBelowTransactionalId: txnId,
        v3AndBelowProducerId: producerId,
        v3AndBelowProducerEpoch: producerEpoch,
        v3AndBelowTopics: [{ name: '__consumer_offsets', partitions: [0] }],
      });
      expect(internal.resultsByTopicV3AndBelow?.[0].resultsByPartition[0].partitionErrorCode).toBe(
        E.TOPIC_AUTHORIZATION_FAILED,
      );
      await grant(TXN_OWNER, Res.TOPIC, written, Op.WRITE);
      expect(await addPartitions(owner)).toEqual([
        [written, 0],
        [other, 0],
      ]);

      // WRITE on the topic is not enough for a transactional batch: the transactional id decides.
      const records = await buildRecordBatch({
        records: [{ value: 'in-txn', timestamp: Date.now() }],
        ...producer,
        baseSequence: 0,
        transactional: true,
      });
      const produce = async (c: WireClient) =>
        (
          await c.request(0, 7, {
            transactionalId: txnId,
            acks: -1,
            timeoutMs: 5000,
            topicData: [{ name: other, partitionData: [{ index: 0, records }] }],
          })
        ).responses[0].partitionResponses[0].errorCode;
      await grant(TXN_STRANGER, Res.TOPIC, other, Op.WRITE);
      expect(await produce(stranger)).toBe(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      expect(await produce(owner)).toBe(0);

      const txnGroup = group('Txn');
      const addOffsets = async (c: WireClient) =>
        (await c.request(25, 1, { transactionalId: txnId, ...producer, groupId: txnGroup })).errorCode;
      const commitOffsets = async (c: WireClient) =>
        (
          await c.request(28, 2, {
            transactionalId: txnId,
            groupId: txnGroup,
            ...producer,
            topics: [
              {
                name: written,
                partitions: [{ partitionIndex: 0, committedOffset: 0n, committedMetadata: null }],
              },
            ],
          })
        ).topics[0].partitions[0].errorCode;
      expect(await addOffsets(owner)).toBe(E.GROUP_AUTHORIZATION_FAILED);
      expect(await commitOffsets(owner)).toBe(E.GROUP_AUTHORIZATION_FAILED);
      expect(await addOffsets(stranger)).toBe(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      await grant(TXN_OWNER, Res.GROUP, txnGroup, Op.READ);
      expect(await addOffsets(owner)).toBe(0);
      expect(await commitOffsets(stranger)).toBe(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      expect(await commitOffsets(owner)).toBe(E.TOPIC_AUTHORIZATION_FAILED); // WRITE on the topic, not READ
      await grant(TXN_OWNER, Res.TOPIC, written, Op.READ);
      expect(await commitOffsets(owner)).toBe(0);

      const describe = async (c: WireClient) =>
        (await c.request(65, 0, { transactionalIds: [txnId] })).transactionStates[0];
      const listed = async (c: WireClient) =>
        (await c.request(66, 0, { stateFilters: [], producerIdFilters: [] })).transactionStates.map(
          (t) => t.transactionalId,
        );
      expect((await describe(stranger)).errorCode).toBe(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      expect(await listed(stranger)).not.toContain(txnId);
      const seenByOwner = await describe(owner);
      expect(seenByOwner.errorCode).toBe(0);
      expect(seenByOwner.topics.map((t) => t.topic)).toEqual(expect.arrayContaining([written, other]));
      expect(await listed(owner)).toContain(txnId);
      // DESCRIBE on the id shows the transaction, but only the topics the principal may describe.
      await grant(TXN_STRANGER, Res.TRANSACTIONAL_ID, txnId, Op.DESCRIBE);
      const seenByStranger = await describe(stranger);
      expect(seenByStranger.errorCode).toBe(0);
      expect(seenByStranger.topics.map((t) => t.topic)).toEqual([other]);
      expect(await listed(stranger)).toContain(txnId);

      const endTxn = async (c: WireClient) =>
        (await c.request(26, 1, { transactionalId: txnId, ...producer, committed: true })).errorCode;
      expect(await endTxn(stranger)).toBe(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      expect(await endTxn(owner)).toBe(0);
    } finally {
      owner.close();
      stranger.close();
    }
  });

  it('a DENY beats an ALLOW, and DescribeAcls/DeleteAcls filter as Kafka does', async () => {
    const t = topic('Metadata');
    await createAcls([acl(Res.TOPIC, t, Op.READ), acl(Res.TOPIC, t, Op.DESCRIBE, BOB, Perm.DENY)]);
    const md = await bob.request(3, 4, { topics: [{ name: t }], allowAutoTopicCreation: false });
    expect(md.topics[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED);
    const described = await admin.request(29, 3, {
      resourceTypeFilter: Res.TOPIC,
      resourceNameFilter: t,
      patternTypeFilter: PatternType.MATCH,
      principalFilter: BOB,
      hostFilter: null,
      operation: Op.ANY,
      permissionType: Perm.ANY,
    });
    expect(described.resources).toHaveLength(1);
    expect(described.resources[0].acls.map((a) => a.permissionType).sort()).toEqual(
      [Perm.DENY, Perm.ALLOW].sort(),
    );
    const deleted = await admin.request(31, 2, {
      filters: [
        {
          resourceTypeFilter: Res.TOPIC,
          resourceNameFilter: t,
          patternTypeFilter: PatternType.LITERAL,
          principalFilter: BOB,
          hostFilter: null,
          operation: Op.DESCRIBE,
          permissionType: Perm.DENY,
        },
      ],
    });
    expect(deleted.filterResults[0].matchingAcls).toHaveLength(1);
    expect(
      (await bob.request(3, 4, { topics: [{ name: t }], allowAutoTopicCreation: false })).topics[0].errorCode,
    ).toBe(0);
  });

  it('refuses an ACL that is not a concrete binding with INVALID_REQUEST', async () => {
    const r = await admin.request(30, 1, { creations: [acl(Res.ANY, 'x', Op.READ)] });
    expect(r.results[0].errorCode).toBe(E.INVALID_REQUEST);
  });

  it('keeps ACLs across a restart (acls.json in the data dir)', async () => {
    const before = JSON.parse(readFileSync(join(dataDir, 'acls.json'), 'utf8')).acls.length;
    expect(before).toBeGreaterThan(20);
    admin.close();
    bob.close();
    await broker.stop(1_000);
    broker = await start(dataDir, true, [...cases.map((c) => userOf(c.api)), TXN_OWNER, TXN_STRANGER]);
    bob = await openAuthenticated(broker.address.port, 'PLAIN', 'bob', 'bob-secret');
    admin = await openAuthenticated(broker.address.port, 'PLAIN', 'admin', 'admin-secret');
    expect(broker.security.acls.size).toBe(before);
    for (const api of ['Produce', 'Fetch']) {
      const c = cases.find((x) => x.api === api)!;
      const client = await as(c);
      expect(await c.call(client)).toBe(0);
      client.close();
    }
  });

  it('answers the ACL APIs with SECURITY_DISABLED when no authorizer is configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-acl-off-'));
    const open = await start(dir, false);
    try {
      const c = await openAuthenticated(open.address.port, 'PLAIN', 'bob', 'bob-secret');
      expect(
        (await c.request(30, 1, { creations: [acl(Res.TOPIC, 't', Op.READ)] })).results[0].errorCode,
      ).toBe(E.SECURITY_DISABLED);
      // And without an authorizer everything is allowed, as before.
      expect((await c.request(3, 1, { topics: null })).topics).toBeDefined();
      c.close();
    } finally {
      await open.stop(1_000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
