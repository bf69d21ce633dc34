import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/client/broker-connection.js';
import { type ClientSecurity, resolveClientSecurity } from '../../src/client/security.js';
import { createKafkaConsumer } from '../../src/consumer/create.js';
import { SimulatedSink } from '../../src/consumer/sinks/simulated.js';
import { realClock } from '../../src/flow/clock.js';
import { Lab } from '../../src/lab/lab.js';
import type { LagReport } from '../../src/monitor/reports.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { waitFor } from '../helpers/burrow.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { type KafkaCluster, startKafka } from '../helpers/kafka.js';
import { requestThroughRenewals } from '../helpers/reauth.js';
import { runSluice } from '../helpers/run.js';
import { describeWithKafka } from '../helpers/targets.js';
import { WireClient } from '../helpers/wire-client.js';
import { get, http } from '../lab/helpers.js';

/**
 * Sluice against Apache Kafka secured as production clusters are: a SASL_SSL listener (SCRAM-SHA-512
 * and PLAIN, a certificate made here by openssl) and Kafka's StandardAuthorizer with
 * allow.everyone.if.no.acl.found=false. This file starts its own node (the shared ones are plaintext).
 * Its PLAINTEXT listener stays for inter-broker traffic and the rig's readiness check; the broker's own
 * principal there (User:ANONYMOUS) is the super user, and the test sets ACLs through it. Sluice is only
 * ever pointed at the SASL_SSL port.
 *
 * Users: alice may do everything on topics and groups named `sec-…`; bob authenticates but has no ACL.
 * Sessions expire after 5 s (connections.max.reauth.ms), so the client renews them (KIP-368) as it goes.
 */

const PASSWORDS = { admin: 'admin-secret-pw', alice: 'alice-secret-pw', bob: 'bob-secret-pw' };
const WRONG = 'not-alices-pw-42';
const TOPIC = 'sec-orders';
const GROUP = 'sec-processors';
const PREFIX = 'sec-';
const REAUTH_MS = 5_000;

// Kafka's enums as CreateAcls carries them.
const RESOURCE = { TOPIC: 2, GROUP: 3 } as const;
const PATTERN_PREFIXED = 4;
const OP_ALL = 2;
const PERMISSION_ALLOW = 3;

let certs: TestCerts;
let kafka: KafkaCluster;
let bootstrap: string;

function security(
  user: keyof typeof PASSWORDS,
  password: string,
  mechanism = 'SCRAM-SHA-512',
): ClientSecurity {
  return resolveClientSecurity({
    protocol: 'SASL_SSL',
    mechanism,
    username: user,
    password,
    caFile: certs.ca,
  });
}

/** The `sluice lag` flags for `user` (its password goes through the environment, as it should). */
function lagArgs(user: string, mechanism = 'SCRAM-SHA-512'): string[] {
  return [
    'lag',
    '--brokers',
    bootstrap,
    '--group',
    GROUP,
    '--security-protocol',
    'SASL_SSL',
    '--sasl-mechanism',
    mechanism,
    '--sasl-username',
    user,
    '--tls-ca',
    certs.ca,
  ];
}

/** Grants `principal` ALL on topics and groups starting with `prefix`, through the super-user side door. */
async function grantPrefix(port: number, principal: string, prefix: string): Promise<void> {
  const c = await WireClient.open(port);
  try {
    const creation = (resourceType: number) => ({
      resourceType,
      resourceName: prefix,
      resourcePatternType: PATTERN_PREFIXED,
      principal,
      host: '*',
      operation: OP_ALL,
      permissionType: PERMISSION_ALLOW,
    });
    const res = await c.request(30, 2, { creations: [creation(RESOURCE.TOPIC), creation(RESOURCE.GROUP)] });
    for (const r of res.results) {
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`CreateAcls: ${r.errorCode} ${r.errorMessage}`);
    }
  } finally {
    c.close();
  }
}

describeWithKafka('Sluice against Kafka with SASL_SSL and ACLs', () => {
  beforeAll(async () => {
    certs = makeTestCerts();
    // Kafka's PEM key store: the private key (unencrypted PKCS#8) followed by the certificate.
    const keystore = join(certs.dir, 'kafka-keystore.pem');
    writeFileSync(keystore, readFileSync(certs.brokerKey, 'utf8') + readFileSync(certs.brokerCert, 'utf8'));
    const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
    const plainUsers = Object.entries(PASSWORDS)
      .map(([u, p]) => `user_${u}="${p}"`)
      .join(' ');
    kafka = await startKafka({
      brokers: 1,
      listeners: { SASL_SSL: 'SASL_SSL' },
      scramUsers: Object.entries(PASSWORDS).map(([name, password]) => ({
        mechanism: 'SCRAM-SHA-512' as const,
        name,
        password,
      })),
      config: {
        'sasl.enabled.mechanisms': 'SCRAM-SHA-512,PLAIN',
        'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': scram,
        'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': keystore,
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:ANONYMOUS;User:admin',
        'allow.everyone.if.no.acl.found': 'false',
        // Sessions last 5 s (KIP-368): every Sluice connection below must renew them to keep working.
        'connections.max.reauth.ms': String(REAUTH_MS),
      },
    });
    bootstrap = kafka.listenerBootstrap('SASL_SSL');
    await grantPrefix(kafka.nodes[0].port, 'User:alice', PREFIX);
  }, 120_000);

  afterAll(async () => {
    await kafka?.stop();
    certs?.cleanup();
  }, 60_000);

  it('the lab (producer, consumer runtime, monitor) carries orders with the right credentials and ACLs', async () => {
    const lab = await Lab.start({
      brokers: [bootstrap],
      security: security('alice', PASSWORDS.alice),
      topic: TOPIC,
      groupId: GROUP,
      partitions: 2,
      ports: { producer: 0, consumer: 0, monitor: 0 },
      processingTimeMs: 1,
      monitorIntervalMs: 200,
    });
    try {
      for (let i = 0; i < 5; i++) {
        const sent = await http('POST', `${lab.urls.producer}/produce`, {});
        expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      }
      await waitFor(
        'the five orders consumed over SASL_SSL',
        async () => ((await get(`${lab.urls.consumers[0]}/stats`)).body.consumed >= 5 ? true : undefined),
        30_000,
      );
      // The monitor sees the group caught up: lag 0 on the topic, read through the same listener.
      await waitFor(
        'the monitor to report the group with lag 0',
        async () => {
          const report = (await get(`${lab.urls.monitor}/lag`)).body as LagReport;
          const g = report.groups.find((x) => x.group === GROUP);
          return g && g.total_lag === 0 && report.collection.errors.length === 0 ? true : undefined;
        },
        30_000,
      );
      const shown = JSON.stringify([
        (await get(`${lab.urls.monitor}/lab`)).body,
        (await get(`${lab.urls.producer}/config`)).body,
        (await get(`${lab.urls.consumers[0]}/config`)).body,
      ]);
      expect(shown).not.toContain(PASSWORDS.alice);
    } finally {
      await lab.stop();
    }
  }, 90_000);

  it('sluice lag reads the group with SCRAM-SHA-512 and with PLAIN', async () => {
    for (const mechanism of ['SCRAM-SHA-512', 'PLAIN']) {
      const r = await runSluice(lagArgs('alice', mechanism), {
        env: { SLUICE_SASL_PASSWORD: PASSWORDS.alice },
        timeoutMs: 30_000,
      });
      expect(r.stderr, mechanism).toBe('');
      expect(r.code).toBe(0);
      // The lab above left the group caught up: its row says so.
      expect(r.stdout).toMatch(new RegExp(`^${GROUP}\\s+Empty\\s+0\\s+0\\s`, 'm'));
      expect(r.stdout + r.stderr).not.toContain(PASSWORDS.alice);
    }
  }, 60_000);

  it('a wrong password: sluice lag and the lab stop with one line naming the authentication failure, no secret', async () => {
    const r = await runSluice(lagArgs('alice'), { env: { SLUICE_SASL_PASSWORD: WRONG }, timeoutMs: 30_000 });
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/SASL SCRAM-SHA-512 authentication of user "alice" to 127\.0\.0\.1:\d+ failed/);
    expect(lines[0]).toMatch(/[Aa]uthentication failed/);
    expect(r.stdout + r.stderr).not.toContain(WRONG);

    const err = await Lab.start({
      brokers: [bootstrap],
      security: security('alice', WRONG),
      topic: TOPIC,
      groupId: GROUP,
      ports: { producer: 0, consumer: 0, monitor: 0 },
    }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/SCRAM-SHA-512 authentication of user "alice".*failed/);
    expect((err as Error).message).not.toContain(WRONG);
  }, 60_000);

  it('no ACL: bob authenticates, and sluice lag, the lab and the consumer runtime are refused clearly', async () => {
    // Kafka lists only the groups a principal may describe, so to bob the group is not there: lag says
    // that this may be a missing ACL.
    const r = await runSluice(lagArgs('bob'), {
      env: { SLUICE_SASL_PASSWORD: PASSWORDS.bob },
      timeoutMs: 30_000,
    });
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/user "bob" may not DESCRIBE it \(check the ACLs\)/);
    expect(r.stdout + r.stderr).not.toContain(PASSWORDS.bob);

    const err = await Lab.start({
      brokers: [bootstrap],
      security: security('bob', PASSWORDS.bob),
      topic: `${PREFIX}bob-orders`,
      groupId: `${PREFIX}bob-group`,
      ports: { producer: 0, consumer: 0, monitor: 0 },
    }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/TOPIC_AUTHORIZATION_FAILED/);

    const runtime = createKafkaConsumer({
      brokers: [bootstrap],
      clusterOptions: { security: security('bob', PASSWORDS.bob) },
      groupId: GROUP,
      topics: [TOPIC],
      sink: new SimulatedSink({ processingTimeMs: 0 }),
      deadLetter: false,
    });
    const refused = await runtime.start().catch((e: unknown) => e as Error);
    await runtime.stop();
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/GROUP_AUTHORIZATION_FAILED/);
  }, 60_000);

  it('renews SASL sessions on the same connection before Kafka expires them (KIP-368)', async () => {
    const conn = new BrokerConnection({
      nodeId: -1,
      clientId: 'reauth-on-kafka',
      host: '127.0.0.1',
      port: kafka.nodes[0].listenerPorts.SASL_SSL,
      clock: realClock,
      security: security('alice', PASSWORDS.alice),
    });
    const run = await requestThroughRenewals(conn, 1, 2 * REAUTH_MS);
    expect(run.failure).toBeUndefined();
    expect(run.disconnects).toBe(0);
    expect(run.answered).toBeGreaterThan(10);
  }, 30_000);
});
