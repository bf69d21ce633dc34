import { ApiKey } from '../../../../src/protocol/api-keys.js';
import type { DiffCase, Step } from '../script.js';
import { createTopic, metadata, newTopic, topicReady, V } from './steps.js';

const TOPIC_RESOURCE = 2;

function createTopics(name: string, topics: Array<Record<string, unknown>>, validateOnly = false): Step {
  return {
    name,
    apiKey: ApiKey.CreateTopics,
    version: V.createTopics,
    body: {
      topics: topics.map((t) => ({
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [],
        ...t,
      })),
      timeoutMs: 30_000,
      validateOnly,
    },
  };
}

function createPartitions(name: string, topic: string, count: number): Step {
  return {
    name,
    apiKey: ApiKey.CreatePartitions,
    version: V.createPartitions,
    body: { topics: [{ name: topic, count, assignments: null }], timeoutMs: 30_000, validateOnly: false },
  };
}

function deleteTopics(name: string, topics: string[]): Step {
  return {
    name,
    apiKey: ApiKey.DeleteTopics,
    version: V.deleteTopics,
    body: { topicNames: topics, timeoutMs: 30_000 },
  };
}

function describeConfigs(name: string, topic: string, keys: string[] | null): Step {
  return {
    name,
    apiKey: ApiKey.DescribeConfigs,
    version: V.describeConfigs,
    body: {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: keys }],
      includeSynonyms: false,
    },
  };
}

function alterConfigs(
  name: string,
  topic: string,
  configs: Record<string, string>,
  validateOnly = false,
): Step {
  return {
    name,
    apiKey: ApiKey.AlterConfigs,
    version: V.alterConfigs,
    body: {
      resources: [
        {
          resourceType: TOPIC_RESOURCE,
          resourceName: topic,
          configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
        },
      ],
      validateOnly,
    },
  };
}

/** IncrementalAlterConfigs operations (Kafka's AlterConfigOp.OpType). */
const [SET, DELETE, APPEND, SUBTRACT] = [0, 1, 2, 3];

export const adminCases: DiffCase[] = [
  {
    name: 'create-topics-errors',
    title: 'CreateTopics: duplicates, bad partition counts and replication factors, bad names and configs',
    steps: [
      ...newTopic(),
      createTopic('{{topic}}', {}, { name: 'create again' }),
      createTopics('same name twice in one request', [
        { name: '{{topic:twice}}' },
        { name: '{{topic:twice}}' },
      ]),
      createTopics('zero partitions', [{ name: '{{topic:zero}}', numPartitions: 0 }]),
      createTopics('negative partitions (not -1)', [{ name: '{{topic:neg}}', numPartitions: -5 }]),
      createTopics('replication factor 0', [{ name: '{{topic:rf0}}', replicationFactor: 0 }]),
      createTopics('replication factor 3 on one broker', [{ name: '{{topic:rf3}}', replicationFactor: 3 }]),
      createTopics('defaults (-1, -1)', [
        { name: '{{topic:defaults}}', numPartitions: -1, replicationFactor: -1 },
      ]),
      createTopics('name with a slash', [{ name: 'bad/{{topic}}' }]),
      createTopics('name ".."', [{ name: '..' }]),
      createTopics('name of 250 characters', [{ name: `{{topic}}${'x'.repeat(240)}` }]),
      createTopics('unknown config', [
        { name: '{{topic:cfg1}}', configs: [{ name: 'no.such.config', value: '1' }] },
      ]),
      createTopics('bad config value', [
        { name: '{{topic:cfg2}}', configs: [{ name: 'cleanup.policy', value: 'bogus' }] },
      ]),
      createTopics('non-numeric retention', [
        { name: '{{topic:cfg3}}', configs: [{ name: 'retention.ms', value: 'soon' }] },
      ]),
      createTopics('validate only', [{ name: '{{topic:dry}}' }], true),
      metadata('metadata: defaults created, dry run not', [
        '{{topic:defaults}}',
        '{{topic:dry}}',
        '{{topic:zero}}',
      ]),
    ],
  },
  {
    name: 'create-partitions',
    title: 'CreatePartitions: increase, same count, decrease, unknown topic',
    steps: [
      ...newTopic('{{topic}}', { partitions: 2 }),
      createPartitions('increase to 3', '{{topic}}', 3),
      createPartitions('same count', '{{topic}}', 3),
      createPartitions('decrease to 1', '{{topic}}', 1),
      createPartitions('unknown topic', '{{topic:missing}}', 2),
      ...topicReady('{{topic}}', 3),
      metadata('metadata shows 3 partitions', ['{{topic}}']),
    ],
  },
  {
    name: 'delete-topics',
    title: 'DeleteTopics: an existing topic, then again, and an unknown one',
    steps: [
      ...newTopic(),
      deleteTopics('delete', ['{{topic}}']),
      deleteTopics('delete again and an unknown one', ['{{topic}}', '{{topic:missing}}']),
      // Kafka's broker applies the deletion to its metadata cache a moment after the controller answered.
      {
        ...metadata('metadata after delete', ['{{topic}}']),
        retryWhile: { path: 'topics.0.errorCode', in: [0] },
      },
    ],
  },
  {
    name: 'configs',
    title: 'DescribeConfigs and AlterConfigs: unknown topic, invalid values, a change read back',
    steps: [
      ...newTopic('{{topic}}', { configs: { 'retention.ms': '3600000' } }),
      describeConfigs('describe set and default keys', '{{topic}}', ['retention.ms', 'cleanup.policy']),
      describeConfigs('describe unknown topic', '{{topic:missing}}', ['retention.ms']),
      alterConfigs('alter unknown topic', '{{topic:missing}}', { 'retention.ms': '1000' }),
      alterConfigs('alter with an invalid value', '{{topic}}', { 'cleanup.policy': 'bogus' }),
      alterConfigs('alter an unknown config', '{{topic}}', { 'no.such.config': '1' }),
      alterConfigs('alter validate only', '{{topic}}', { 'retention.ms': '5000' }, true),
      alterConfigs('alter (replaces every config)', '{{topic}}', { 'cleanup.policy': 'compact' }),
      {
        ...describeConfigs('describe after alter', '{{topic}}', ['retention.ms', 'cleanup.policy']),
        // Kafka's broker applies the controller's config record a moment after AlterConfigs answers.
        retryWhile: { path: 'results.0.configs.0.value', in: ['delete'] },
      },
    ],
  },
  {
    name: 'incremental-alter-configs',
    title: 'IncrementalAlterConfigs: set, delete, append, subtract, validate only, bad values and topics',
    steps: [
      ...newTopic('{{topic}}', { configs: { 'retention.ms': '3600000' } }),
      incrementalAlter('set one, leave the other', [['segment.bytes', SET, '1048576']]),
      incrementalAlter('append compact to cleanup.policy', [['cleanup.policy', APPEND, 'compact']]),
      incrementalAlter('validate only', [['retention.ms', SET, '1000']], { validateOnly: true }),
      incrementalAlter('an invalid value', [['retention.ms', SET, 'soon']]),
      incrementalAlter('an unknown topic', [['retention.ms', SET, '1000']], { topic: '{{topic:missing}}' }),
      {
        ...describeConfigs('describe after', '{{topic}}', ['cleanup.policy', 'segment.bytes']),
        retryWhile: { path: 'results.0.configs.0.value', in: ['delete'] },
      },
      incrementalAlter('delete segment.bytes, subtract delete', [
        ['segment.bytes', DELETE, null],
        ['cleanup.policy', SUBTRACT, 'delete'],
      ]),
      {
        ...describeConfigs('describe after delete', '{{topic}}', ['cleanup.policy', 'segment.bytes']),
        retryWhile: { path: 'results.0.configs.0.value', in: ['delete,compact'] },
      },
      // Alone: Kafka lists configs in its own order, Sluice by name.
      describeConfigs('retention.ms kept through validate only and a bad value', '{{topic}}', [
        'retention.ms',
      ]),
    ],
  },
];

function incrementalAlter(
  name: string,
  ops: Array<[name: string, op: number, value: string | null]>,
  opts: { topic?: string; validateOnly?: boolean } = {},
): Step {
  return {
    name,
    apiKey: ApiKey.IncrementalAlterConfigs,
    version: 1,
    body: {
      resources: [
        {
          resourceType: TOPIC_RESOURCE,
          resourceName: opts.topic ?? '{{topic}}',
          configs: ops.map(([n, configOperation, value]) => ({ name: n, configOperation, value })),
        },
      ],
      validateOnly: opts.validateOnly ?? false,
    },
  };
}
