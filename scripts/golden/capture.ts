// Captures golden request and response bytes from real Kafka clients (see test/fixtures/golden/README.md).
//
//   npx tsx scripts/golden/capture.ts [client...]     (clients: kcat, confluent-kafka, kafka-python, kafkajs, java)
//
// Each client runs a short scenario through a recording proxy (scripts/golden/proxy.ts) in front of the
// rig's Apache Kafka node, so responses are Kafka's own bytes; kafka-python pinned to old broker versions
// (requests Kafka 4 no longer serves) goes through a proxy in front of an embedded Sluice broker, and each
// client logs in once over SASL/PLAIN to a Sluice SASL listener (SaslHandshake, SaslAuthenticate). For each
// client, one exchange per API and version the Sluice broker serves is written to
// test/fixtures/golden/<client>.json; test/protocol/golden-clients.test.ts checks our codec against them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { apiName } from '../../src/protocol/api-keys.js';
import { startTestBroker } from '../../test/helpers/broker.js';
import { JAVA_RUN } from '../../test/helpers/java.js';
import { KAFKA_VERSION, kafkaCli, startKafka } from '../../test/helpers/kafka.js';
import { run } from '../../test/helpers/run.js';
import { PYTHON, pythonRuntimes } from '../../test/helpers/tools.js';
import { type RecordedExchange, startRecordingProxy } from './proxy.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'test', 'fixtures', 'golden');
const HERE = join(ROOT, 'scripts', 'golden');
/** Frames larger than this are not kept (a fixture is for reading bytes, not for bulk). */
const MAX_FRAME = 16 * 1024;

type Versions = Record<number, { min: number; max: number }>;
type Target = 'kafka' | 'sluice' | 'sluice-sasl';
interface Scenario {
  target: Target;
  /** Runs the client against `bootstrap` (the proxy); a failing client is reported, not fatal. */
  run(bootstrap: string): Promise<void>;
}
interface ClientCapture {
  /** File name under test/fixtures/golden. */
  id: string;
  describe(): Promise<string>;
  scenarios: Scenario[];
}

const quiet = { allowFailure: true, timeoutMs: 90_000 };
async function tolerate(label: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    process.stderr.write(`${label}: ${(err as Error).message.split('\n')[0]}\n`);
  }
}
const versionOf = async (cmd: string, args: string[]) =>
  (await run(cmd, args, quiet)).stdout.trim().split('\n')[0] ?? '';

const SASL_USER = { name: 'golden', password: 'golden-secret' };
const KCAT_SASL = [
  '-X',
  'security.protocol=SASL_PLAINTEXT',
  '-X',
  'sasl.mechanisms=PLAIN',
  '-X',
  `sasl.username=${SASL_USER.name}`,
  '-X',
  `sasl.password=${SASL_USER.password}`,
];
const PYTHON_SASL_LOGIN = `
import sys
from kafka import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=sys.argv[1], security_protocol='SASL_PLAINTEXT', sasl_mechanism='PLAIN',
                     sasl_plain_username='${SASL_USER.name}', sasl_plain_password='${SASL_USER.password}')
print(a.list_topics())
a.close()
`;
const CONFLUENT_SASL_LOGIN = `
import sys
from confluent_kafka.admin import AdminClient
a = AdminClient({'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN',
                 'sasl.username': '${SASL_USER.name}', 'sasl.password': '${SASL_USER.password}'})
print(a.list_topics(timeout=10))
`;

const venvPython = () => pythonRuntimes().find((r) => r.label === 'pypi')?.python ?? 'python3';

const CLIENTS: ClientCapture[] = [
  {
    id: 'kcat',
    describe: async () => {
      const v = await run('kcat', ['-V'], quiet);
      return v.stdout.split('\n')[0].trim();
    },
    scenarios: [
      {
        target: 'kafka',
        async run(b) {
          const t = 'golden-kcat';
          await run('kcat', ['-b', b, '-L'], quiet);
          await run('kcat', ['-b', b, '-P', '-t', t, '-p', '0', '-K:', '-X', 'enable.idempotence=true'], {
            ...quiet,
            input: 'k1:v1\nk2:v2\n',
          });
          await run('kcat', ['-b', b, '-P', '-t', t, '-p', '0', '-z', 'gzip', '-H', 'h=x'], {
            ...quiet,
            input: 'v3\n',
          });
          await run('kcat', ['-b', b, '-C', '-t', t, '-e', '-o', 'beginning', '-J'], quiet);
          await run('kcat', ['-b', b, '-Q', '-t', `${t}:0:-1`], quiet);
          await run('kcat', ['-b', b, '-G', 'golden-kcat-g', '-e', '-o', 'beginning', t], {
            ...quiet,
            timeoutMs: 25_000,
          });
        },
      },
      { target: 'sluice-sasl', run: (b) => run('kcat', ['-b', b, ...KCAT_SASL, '-L'], quiet).then(() => {}) },
    ],
  },
  {
    id: 'confluent-kafka',
    describe: () =>
      versionOf(venvPython(), [
        '-c',
        'import confluent_kafka as c; print("confluent-kafka", c.version()[0], "/ librdkafka", c.libversion()[0])',
      ]),
    scenarios: [
      {
        target: 'kafka',
        run: (b) =>
          run(venvPython(), [join(HERE, 'confluent_kafka_scenario.py'), b, 'golden-ck'], quiet).then(
            () => {},
          ),
      },
      {
        target: 'sluice-sasl',
        run: (b) => run(venvPython(), ['-c', CONFLUENT_SASL_LOGIN, b], quiet).then(() => {}),
      },
    ],
  },
  {
    id: 'kafka-python',
    describe: async () =>
      `${await versionOf(venvPython(), ['-c', 'import kafka; print("kafka-python", kafka.__version__)'])}, ${await versionOf(PYTHON, ['-c', 'import kafka; print("kafka-python", kafka.__version__)'])} (Debian)`,
    scenarios: [
      {
        target: 'kafka',
        run: (b) =>
          run(venvPython(), [join(HERE, 'kafka_python_scenario.py'), b, 'golden-kp3'], quiet).then(() => {}),
      },
      {
        target: 'kafka',
        run: (b) =>
          run(PYTHON, [join(HERE, 'kafka_python_scenario.py'), b, 'golden-kp2'], quiet).then(() => {}),
      },
      // Pinned to older brokers: the older request versions. Kafka 4 serves only what Kafka 2.1 and later
      // send (KIP-896), so those pins also run against it, for its answers; the rest only against Sluice.
      ...[
        '0.8.2',
        '0.9',
        '0.10.0',
        '0.10.1',
        '0.10.2',
        '0.11',
        '1.0',
        '1.1',
        '2.0',
        '2.1',
        '2.2',
        '2.3',
        '2.4',
        '2.5',
        '2.6',
      ].flatMap((v): Scenario[] =>
        (Number(v.split('.')[0]) >= 2 && v !== '2.0'
          ? (['kafka', 'sluice'] as const)
          : (['sluice'] as const)
        ).map((target) => ({
          target,
          run: (b) =>
            run(venvPython(), [join(HERE, 'kafka_python_scenario.py'), b, `golden-kp-${v}`, v], quiet).then(
              () => {},
            ),
        })),
      ),
      {
        target: 'sluice',
        run: (b) =>
          run(PYTHON, [join(HERE, 'kafka_python_old_requests.py'), b, 'golden-kp-old'], quiet).then(() => {}),
      },
      {
        target: 'sluice-sasl',
        run: (b) => run(venvPython(), ['-c', PYTHON_SASL_LOGIN, b], quiet).then(() => {}),
      },
      { target: 'sluice-sasl', run: (b) => run(PYTHON, ['-c', PYTHON_SASL_LOGIN, b], quiet).then(() => {}) },
    ],
  },
  {
    id: 'kafkajs',
    describe: async () =>
      `kafkajs ${(await import('kafkajs/package.json', { with: { type: 'json' } })).default.version}`,
    scenarios: [
      { target: 'kafka', run: kafkajsScenario },
      {
        target: 'sluice-sasl',
        async run(b) {
          const sasl = {
            mechanism: 'plain' as const,
            username: SASL_USER.name,
            password: SASL_USER.password,
          };
          const admin = new Kafka({
            clientId: 'golden-kafkajs',
            brokers: [b],
            sasl,
            logLevel: logLevel.NOTHING,
          }).admin();
          await tolerate('kafkajs sasl', async () => {
            await admin.connect();
            await admin.listTopics();
          });
          await admin.disconnect();
        },
      },
    ],
  },
  {
    id: 'java',
    describe: async () => `Apache Kafka ${KAFKA_VERSION} Java client and CLI tools`,
    scenarios: [
      { target: 'kafka', run: javaScenario },
      {
        target: 'sluice-sasl',
        async run(b) {
          const config = join(mkdtempSync(join(tmpdir(), 'golden-java-')), 'sasl.properties');
          writeFileSync(
            config,
            [
              'security.protocol=SASL_PLAINTEXT',
              'sasl.mechanism=PLAIN',
              `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${SASL_USER.name}" password="${SASL_USER.password}";`,
            ].join('\n'),
          );
          await kafkaCli(
            'kafka-topics',
            ['--bootstrap-server', b, '--command-config', config, '--list'],
            quiet,
          );
        },
      },
    ],
  },
];

async function kafkajsScenario(bootstrap: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'golden-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const topic = 'golden-kafkajs-t';
  const groupId = 'golden-kafkajs-g';
  const admin = kafka.admin();
  await admin.connect();
  await tolerate('createTopics', () =>
    admin.createTopics({
      topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '600000' }] }],
    }),
  );
  await tolerate('metadata', () => admin.fetchTopicMetadata({ topics: [topic] }));
  await tolerate('createPartitions', () =>
    admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }),
  );
  await tolerate('describeConfigs', () =>
    admin.describeConfigs({ resources: [{ type: 2, name: topic }], includeSynonyms: true }),
  );
  await tolerate('alterConfigs', () =>
    admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: topic, configEntries: [{ name: 'retention.ms', value: '700000' }] }],
    }),
  );
  await tolerate('describeCluster', () => admin.describeCluster());
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await tolerate('send', () =>
    producer.send({
      topic,
      acks: -1,
      compression: 1,
      messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}`, partition: 0, headers: { h: 'x' } })),
    }),
  );
  await producer.disconnect();
  await tolerate('fetchTopicOffsets', () => admin.fetchTopicOffsets(topic));
  await tolerate('fetchTopicOffsetsByTimestamp', () => admin.fetchTopicOffsetsByTimestamp(topic, 0));
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const twoSeen = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async () => {
        seen += 1;
        if (seen >= 2) resolve();
      },
    });
  });
  await Promise.race([twoSeen, new Promise((r) => setTimeout(r, 20_000))]);
  await consumer.commitOffsets([{ topic, partition: 0, offset: '2' }]).catch(() => {});
  // A heartbeat round: kafkajs heartbeats from its fetch loop, every heartbeatInterval.
  await new Promise((r) => setTimeout(r, 1_500));
  const txProducer = kafka.producer({
    transactionalId: 'golden-kafkajs-txn',
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await txProducer.connect();
  await tolerate('transaction', async () => {
    const tx = await txProducer.transaction();
    await tx.send({ topic, messages: [{ key: 'tk', value: 'tv', partition: 1 }] });
    await tx.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }],
    });
    await tx.commit();
  });
  await txProducer.disconnect();
  await consumer.disconnect();
  await tolerate('describeGroups', () => admin.describeGroups([groupId]));
  await tolerate('listGroups', () => admin.listGroups());
  await tolerate('fetchOffsets', () => admin.fetchOffsets({ groupId, topics: [topic] }));
  await tolerate('deleteTopicRecords', () =>
    admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] }),
  );
  await tolerate('describeAcls', () =>
    admin.describeAcls({ resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 }),
  );
  await tolerate('deleteGroups', () => admin.deleteGroups([groupId]));
  await tolerate('deleteTopics', () => admin.deleteTopics({ topics: [topic] }));
  await admin.disconnect();
}

async function javaScenario(b: string): Promise<void> {
  const checks = [
    'producer-transactions',
    'consumer-commit',
    'admin-topics',
    'admin-groups',
    'admin-records',
    'admin-cluster',
    'group-static',
  ];
  await run('bash', [JAVA_RUN, 'Checks', b, 'golden-java', ...checks], { ...quiet, timeoutMs: 240_000 });
  const t = 'golden-java-cli';
  const cli = (tool: string, args: string[], input?: string) =>
    kafkaCli(tool, ['--bootstrap-server', b, ...args], { ...quiet, input });
  await cli('kafka-topics', [
    '--create',
    '--topic',
    t,
    '--partitions',
    '2',
    '--config',
    'retention.ms=600000',
  ]);
  await cli('kafka-topics', ['--describe', '--topic', t]);
  await cli('kafka-console-producer', ['--topic', t, '--property', 'parse.key=true'], 'k1\tv1\nk2\tv2\n');
  await cli('kafka-console-consumer', [
    '--topic',
    t,
    '--group',
    'golden-java-g',
    '--from-beginning',
    '--max-messages',
    '2',
  ]);
  await cli('kafka-consumer-groups', ['--describe', '--group', 'golden-java-g']);
  await cli('kafka-consumer-groups', ['--delete-offsets', '--group', 'golden-java-g', '--topic', t]);
  await cli('kafka-configs', [
    '--alter',
    '--entity-type',
    'topics',
    '--entity-name',
    t,
    '--add-config',
    'retention.ms=700000',
  ]);
  await cli('kafka-configs', ['--describe', '--entity-type', 'topics', '--entity-name', t]);
  await cli('kafka-configs', ['--describe', '--entity-type', 'brokers', '--entity-default']);
  await cli('kafka-get-offsets', ['--topic', t]);
  await cli('kafka-get-offsets', ['--topic', t, '--time', 'max-timestamp']);
  await cli('kafka-log-dirs', ['--describe', '--topic-list', t]);
  await cli('kafka-acls', ['--list']);
  await cli('kafka-acls', ['--add', '--allow-principal', 'User:golden', '--operation', 'Read', '--topic', t]);
  await cli('kafka-acls', [
    '--remove',
    '--force',
    '--allow-principal',
    'User:golden',
    '--operation',
    'Read',
    '--topic',
    t,
  ]);
  await cli('kafka-transactions', ['list']);
  await cli('kafka-transactions', ['describe', '--transactional-id', 'golden-java-txn']);
  await cli('kafka-broker-api-versions', []);
  await cli('kafka-consumer-groups', ['--delete', '--group', 'golden-java-g']);
  await cli('kafka-topics', ['--delete', '--topic', t]);
}

/** Keeps one exchange per API and version: the first with a response, small enough, served by Sluice. */
function pick(
  exchanges: RecordedExchange[],
  served: Versions,
  into: Map<string, RecordedExchange & { broker: Target }>,
  target: Target,
) {
  for (const e of exchanges) {
    const range = served[e.apiKey];
    if (!range || e.apiVersion < range.min || e.apiVersion > range.max) continue;
    if (e.request.length > MAX_FRAME || (e.response && e.response.length > MAX_FRAME)) continue;
    const key = `${e.apiKey}/${e.apiVersion}`;
    const have = into.get(key);
    // A Kafka answer beats a Sluice one (it is the independent reference); any answer beats none.
    const better =
      !have ||
      (have.response === null && e.response !== null) ||
      (have.broker === 'sluice' && target === 'kafka' && e.response !== null);
    if (better) into.set(key, { ...e, broker: target });
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const clients = wanted.length > 0 ? CLIENTS.filter((c) => wanted.includes(c.id)) : CLIENTS;
  if (clients.length === 0)
    throw new Error(`no such client; choose from ${CLIENTS.map((c) => c.id).join(', ')}`);
  const sluice = await startTestBroker({ durability: 'memory' });
  const sasl = await startTestBroker({
    durability: 'memory',
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    security: { users: { [SASL_USER.name]: SASL_USER.password } },
  });
  const saslPort = sasl.broker.listenerAddress('SASL_PLAINTEXT').port;
  const served = sluice.broker.versionTable();
  const kafka = await startKafka({ brokers: 1 });
  const kafkaPort = kafka.nodes[0].port;
  try {
    for (const client of clients) {
      const kept = new Map<string, RecordedExchange & { broker: Target }>();
      for (const scenario of client.scenarios) {
        const port = { kafka: kafkaPort, sluice: sluice.port, 'sluice-sasl': saslPort }[scenario.target];
        const upstream = { host: '127.0.0.1', port };
        const proxy = await startRecordingProxy({ upstream, served });
        await tolerate(client.id, () => scenario.run(`127.0.0.1:${proxy.port}`));
        await proxy.close();
        pick(proxy.exchanges, served, kept, scenario.target);
      }
      const frames = [...kept.values()]
        .sort((a, b) => a.apiKey - b.apiKey || a.apiVersion - b.apiVersion)
        .map((e) => ({
          api: apiName(e.apiKey),
          apiKey: e.apiKey,
          apiVersion: e.apiVersion,
          broker: e.broker === 'kafka' ? `Apache Kafka ${KAFKA_VERSION}` : 'Sluice',
          request: e.request.toString('hex'),
          response: e.response?.toString('hex') ?? null,
        }));
      const file = join(OUT, `${client.id}.json`);
      const doc = { client: await client.describe(), capturedBy: 'scripts/golden/capture.ts', frames };
      writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
      process.stdout.write(`${client.id}: ${frames.length} API versions -> ${file}\n`);
    }
  } finally {
    await kafka.stop();
    await sluice.stop();
    await sasl.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
