import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { kafkaCli, kafkaTool } from '../helpers/kafka.js';
import { killChildren, run } from '../helpers/run.js';
import { describeWithTools, PYTHON, tools } from '../helpers/tools.js';

// Real clients against `sluice broker`'s secured listeners: librdkafka (kcat, confluent-kafka), kafka-python
// (its pre-KIP-152 SaslHandshake v0 flow), kafkajs, and Kafka's own Java tools with a client properties file.
// The authorizer is on with allow.everyone.if.no.acl.found, so only topics with ACLs are closed: that shows
// the principal each client ends up with (SASL user, or the DN of its TLS client certificate).

const USERS = { alice: 'alice-secret', admin: 'admin-secret' };
const CERT_TOPIC = 'cert-only';

describeWithTools(
  'secured listeners with real clients',
  [tools.kcat(), tools.pythonKafka(), tools.confluentKafka(), kafkaTool()],
  () => {
    let certs: TestCerts;
    let dataDir: string;
    let broker: Broker;
    let port: Record<'SASL_PLAINTEXT' | 'SSL' | 'SASL_SSL', number>;

    beforeAll(async () => {
      certs = makeTestCerts();
      dataDir = mkdtempSync(join(tmpdir(), 'sluice-security-compat-'));
      broker = new Broker(
        {
          dataDir,
          listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
          groups: { initialRebalanceDelayMs: 0 },
          security: {
            tls: {
              certFile: certs.brokerCert,
              keyFile: certs.brokerKey,
              caFile: certs.ca,
              clientAuth: 'requested',
            },
            users: USERS,
            authorizer: { superUsers: ['User:admin'], allowEveryoneIfNoAclFound: true },
          },
        },
        { logger: pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' }) },
      );
      await broker.start();
      port = {
        SASL_PLAINTEXT: broker.listenerAddress('SASL_PLAINTEXT').port,
        SSL: broker.listenerAddress('SSL').port,
        SASL_SSL: broker.listenerAddress('SASL_SSL').port,
      };
      await broker.security.acls.add(
        ['READ', 'WRITE'].map((op) => ({
          resourceType: 2,
          resourceName: CERT_TOPIC,
          patternType: 3,
          principal: certs.clientPrincipal,
          host: '*',
          operation: op === 'READ' ? 3 : 4,
          permissionType: 3,
        })),
      );
    });
    afterAll(async () => {
      killChildren();
      await broker?.stop(1_000);
      rmSync(dataDir, { recursive: true, force: true });
      certs?.cleanup();
    });

    const kcatConf = (protocol: keyof typeof port, mechanism?: string, password = USERS.alice) => [
      '-b',
      `127.0.0.1:${port[protocol]}`,
      '-X',
      `security.protocol=${protocol}`,
      ...(protocol.endsWith('SSL') ? ['-X', `ssl.ca.location=${certs.ca}`] : []),
      ...(mechanism
        ? [
            '-X',
            `sasl.mechanism=${mechanism}`,
            '-X',
            'sasl.username=alice',
            '-X',
            `sasl.password=${password}`,
          ]
        : []),
    ];

    const kcatRoundTrip = async (conf: string[], topic: string, value: string) => {
      await run('kcat', [...conf, '-P', '-t', topic], { input: `${value}\n`, timeoutMs: 20_000 });
      const out = await run('kcat', [...conf, '-C', '-t', topic, '-o', 'beginning', '-e', '-q'], {
        timeoutMs: 20_000,
      });
      return out.stdout.trim().split('\n');
    };

    for (const [protocol, mechanism] of [
      ['SASL_PLAINTEXT', 'PLAIN'],
      ['SASL_PLAINTEXT', 'SCRAM-SHA-256'],
      ['SASL_PLAINTEXT', 'SCRAM-SHA-512'],
      ['SASL_SSL', 'SCRAM-SHA-512'],
      ['SASL_SSL', 'PLAIN'],
      ['SSL', undefined],
    ] as const) {
      it(`kcat produces and consumes over ${protocol}${mechanism ? ` with ${mechanism}` : ''}`, async () => {
        const topic = `kcat-${protocol}-${mechanism ?? 'tls'}`.toLowerCase();
        expect(await kcatRoundTrip(kcatConf(protocol, mechanism), topic, 'hello')).toEqual(['hello']);
      });
    }

    it('kcat with a wrong password fails with the broker error, and the broker keeps serving', async () => {
      const bad = await run(
        'kcat',
        [...kcatConf('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'nope'), '-L', '-m', '3'],
        {
          allowFailure: true,
          timeoutMs: 20_000,
        },
      );
      expect(bad.stderr).toMatch(/invalid credentials with SASL mechanism SCRAM-SHA-256/);
      expect(bad.stderr).not.toContain('nope');
      const ok = await run('kcat', [...kcatConf('SASL_PLAINTEXT', 'PLAIN'), '-L', '-J'], {
        timeoutMs: 20_000,
      });
      expect(JSON.parse(ok.stdout).brokers[0].name).toBe(`127.0.0.1:${port.SASL_PLAINTEXT}`);
    });

    it('a TLS client certificate becomes the principal (its DN), which ACLs name', async () => {
      const withCert = [
        ...kcatConf('SSL'),
        '-X',
        `ssl.certificate.location=${certs.clientCert}`,
        '-X',
        `ssl.key.location=${certs.clientKey}`,
      ];
      expect(await kcatRoundTrip(withCert, CERT_TOPIC, 'signed')).toEqual(['signed']);
      const anonymous = await run('kcat', [...kcatConf('SSL'), '-P', '-t', CERT_TOPIC], {
        input: 'anonymous\n',
        allowFailure: true,
        timeoutMs: 20_000,
      });
      expect(anonymous.stderr).toMatch(/[Aa]uthorization/);
    });

    it('confluent-kafka (librdkafka) produces and consumes in a group over SASL_SSL with SCRAM-SHA-256', async () => {
      const script = `
import sys, confluent_kafka as ck
conf = {'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_SSL', 'ssl.ca.location': sys.argv[2],
        'sasl.mechanism': 'SCRAM-SHA-256', 'sasl.username': 'alice', 'sasl.password': 'alice-secret'}
p = ck.Producer(conf)
for i in range(3): p.produce('ck-secure', value=b'v%d' % i)
assert p.flush(15) == 0
c = ck.Consumer({**conf, 'group.id': 'ck-secure-group', 'auto.offset.reset': 'earliest'})
c.subscribe(['ck-secure'])
got = []
while len(got) < 3:
    m = c.poll(15)
    assert m is not None and not m.error(), m and m.error()
    got.append(m.value().decode())
c.commit(asynchronous=False)
c.close()
print(','.join(got))
`;
      const out = await run(PYTHON, ['-c', script, `127.0.0.1:${port.SASL_SSL}`, certs.ca], {
        timeoutMs: 60_000,
      });
      expect(out.stdout.trim()).toBe('v0,v1,v2');
    });

    it('kafka-python authenticates with SaslHandshake v0 and bare tokens (SCRAM-SHA-512, and PLAIN over TLS)', async () => {
      const script = `
import sys
from kafka import KafkaProducer, KafkaConsumer
p = KafkaProducer(bootstrap_servers=sys.argv[1], security_protocol='SASL_PLAINTEXT', sasl_mechanism='SCRAM-SHA-512',
                  sasl_plain_username='alice', sasl_plain_password='alice-secret')
p.send('kpy-secure', b'from-python').get(timeout=15)
p.close()
c = KafkaConsumer('kpy-secure', bootstrap_servers=sys.argv[2], security_protocol='SASL_SSL', ssl_cafile=sys.argv[3],
                  sasl_mechanism='PLAIN', sasl_plain_username='alice', sasl_plain_password='alice-secret',
                  auto_offset_reset='earliest', consumer_timeout_ms=15000)
print(next(iter(c)).value.decode())
c.close()
`;
      const out = await run(
        PYTHON,
        ['-c', script, `127.0.0.1:${port.SASL_PLAINTEXT}`, `localhost:${port.SASL_SSL}`, certs.ca],
        {
          timeoutMs: 60_000,
        },
      );
      expect(out.stdout.trim()).toBe('from-python');
    });

    it('kafkajs produces and administers over SASL_SSL with SCRAM-SHA-512, and reports a bad password', async () => {
      const client = (password: string) =>
        new Kafka({
          brokers: [`127.0.0.1:${port.SASL_SSL}`],
          clientId: 'security-kafkajs',
          ssl: { ca: [readFileSync(certs.ca)], servername: 'localhost' },
          sasl: { mechanism: 'scram-sha-512', username: 'alice', password },
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
        });
      const producer = client('alice-secret').producer();
      await producer.connect();
      const [sent] = await producer.send({ topic: 'kjs-secure', messages: [{ value: 'kjs' }] });
      expect(sent.errorCode).toBe(0);
      await producer.disconnect();
      const admin = client('alice-secret').admin();
      await admin.connect();
      expect(await admin.listTopics()).toContain('kjs-secure');
      await admin.disconnect();
      const bad = client('wrong').admin();
      await expect(bad.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/);
    });

    it("Kafka's CLI tools with a client properties file: kafka-topics, kafka-acls, kafka-console-consumer", async () => {
      const props = join(dataDir, 'client.properties');
      const jaas = (user: string, pw: string) =>
        `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${pw}";`;
      writeFileSync(
        props,
        [
          'security.protocol=SASL_SSL',
          'sasl.mechanism=SCRAM-SHA-512',
          `sasl.jaas.config=${jaas('admin', USERS.admin)}`,
          'ssl.truststore.type=PEM',
          `ssl.truststore.location=${certs.ca}`,
        ].join('\n'),
      );
      const bootstrap = ['--bootstrap-server', `localhost:${port.SASL_SSL}`];
      await kafkaCli('kafka-topics', [
        ...bootstrap,
        '--command-config',
        props,
        '--create',
        '--topic',
        'java-secure',
        '--partitions',
        '2',
      ]);
      await kafkaCli('kafka-acls', [
        ...bootstrap,
        '--command-config',
        props,
        '--add',
        '--allow-principal',
        'User:alice',
        '--operation',
        'Read',
        '--topic',
        'java-secure',
      ]);
      const listed = await kafkaCli('kafka-acls', [
        ...bootstrap,
        '--command-config',
        props,
        '--list',
        '--topic',
        'java-secure',
      ]);
      expect(listed.stdout).toMatch(/principal=User:alice, host=\*, operation=READ, permissionType=ALLOW/);
      // alice may read java-secure now; ACLs exist for the topic, so she may not write it.
      const denied = await run('kcat', [...kcatConf('SASL_SSL', 'PLAIN'), '-P', '-t', 'java-secure'], {
        input: 'x\n',
        allowFailure: true,
        timeoutMs: 20_000,
      });
      expect(denied.stderr).toMatch(/[Aa]uthorization/);
      await run(
        'kcat',
        [
          ...kcatConf('SASL_SSL', 'PLAIN'),
          '-X',
          'sasl.username=admin',
          '-X',
          `sasl.password=${USERS.admin}`,
          '-P',
          '-t',
          'java-secure',
          '-p',
          '0',
        ],
        {
          input: 'by-admin\n',
          timeoutMs: 20_000,
        },
      );
      const consumed = await kafkaCli('kafka-console-consumer', [
        ...bootstrap,
        '--consumer.config',
        props,
        '--topic',
        'java-secure',
        '--from-beginning',
        '--max-messages',
        '1',
        '--timeout-ms',
        '20000',
      ]);
      expect(consumed.stdout.trim()).toBe('by-admin');
    });
  },
);
