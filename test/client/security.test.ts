import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { Admin } from '../../src/client/admin.js';
import {
  describeSecurity,
  merge,
  readProperties,
  resolveClientSecurity,
  securityFromEnv,
} from '../../src/client/security.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';

describe('client security settings', () => {
  it('reads a librdkafka-style properties file, the environment and flags, later ones winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-client-props-'));
    try {
      const file = join(dir, 'client.properties');
      writeFileSync(
        file,
        '# a comment\nsecurity.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=alice\nsasl.password=from-file\nssl.ca.location=/ca.pem\n',
      );
      const env = securityFromEnv({ SLUICE_CLIENT_PROPERTIES: file, SLUICE_SASL_PASSWORD: 'from-env' });
      const s = resolveClientSecurity(merge(env, { username: 'bob' }));
      expect(s).toEqual({
        protocol: 'SASL_SSL',
        tls: { caFile: '/ca.pem', certFile: undefined, keyFile: undefined, verify: true },
        sasl: { mechanism: 'SCRAM-SHA-512', username: 'bob', password: 'from-env' },
      });
      expect(describeSecurity(s)).toBe('SASL_SSL, SCRAM-SHA-512 as bob, CA /ca.pem');
      expect(describeSecurity(s)).not.toContain('from-env');
      expect(() => readProperties(join(dir, 'missing'))).toThrow(/cannot read the client properties file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what is missing or wrong', () => {
    expect(() => resolveClientSecurity({ protocol: 'SASL_SSL', username: 'alice' })).toThrow(/password/);
    expect(() => resolveClientSecurity({ protocol: 'KERBEROS' })).toThrow(/not one of PLAINTEXT/);
    expect(() => resolveClientSecurity({ username: 'a', password: 'b', mechanism: 'GSSAPI' })).toThrow(
      /GSSAPI/,
    );
    expect(resolveClientSecurity({}).protocol).toBe('PLAINTEXT');
    expect(resolveClientSecurity({ caFile: '/ca.pem' }).protocol).toBe('SSL');
  });
});

describe('our client against a secured embedded broker', () => {
  let certs: TestCerts;
  let broker: Broker;
  let sasl: string;
  let saslSsl: string;
  let ssl: string;

  beforeAll(async () => {
    certs = makeTestCerts();
    broker = new Broker(
      {
        durability: 'memory',
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0',
        security: {
          tls: { certFile: certs.brokerCert, keyFile: certs.brokerKey },
          users: { alice: 'alice-secret' },
          failedAuthDelayMs: 10,
        },
      },
      { logger: pino({ level: 'silent' }) },
    );
    await broker.start();
    sasl = `127.0.0.1:${broker.listenerAddress('SASL_PLAINTEXT').port}`;
    saslSsl = `localhost:${broker.listenerAddress('SASL_SSL').port}`;
    ssl = `localhost:${broker.listenerAddress('SSL').port}`;
  });
  afterAll(async () => {
    await broker?.stop(1_000);
    certs?.cleanup();
  });

  const admin = (brokers: string, settings: Parameters<typeof resolveClientSecurity>[0]) =>
    new Admin({ brokers: [brokers], security: resolveClientSecurity(settings), retry: { retries: 0 } });

  for (const [where, mechanism] of [
    ['SASL_PLAINTEXT', 'PLAIN'],
    ['SASL_PLAINTEXT', 'SCRAM-SHA-256'],
    ['SASL_SSL', 'SCRAM-SHA-512'],
  ] as const) {
    it(`creates and lists topics over ${where} with ${mechanism}`, async () => {
      const a = admin(where === 'SASL_SSL' ? saslSsl : sasl, {
        protocol: where,
        mechanism,
        username: 'alice',
        password: 'alice-secret',
        caFile: certs.ca,
      });
      try {
        const topic = `client-${mechanism}`.toLowerCase();
        await a.createTopics([{ topic, numPartitions: 1 }]);
        expect(broker.store.partitionCount(topic)).toBe(1);
      } finally {
        await a.close();
      }
    });
  }

  it('fails with a message naming the broker, mechanism and user (never the password) on bad credentials', async () => {
    const a = admin(sasl, { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'hunter2-wrong' });
    try {
      const err = await a.createTopics([{ topic: 'never', numPartitions: 1 }]).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(
        /SASL SCRAM-SHA-256 authentication of user "alice" to 127\.0\.0\.1:\d+ failed/,
      );
      expect((err as Error).message).toMatch(/invalid credentials/);
      expect((err as Error).message).not.toContain('hunter2-wrong');
    } finally {
      await a.close();
    }
  });

  it('fails clearly when the broker certificate does not chain to the CA given', async () => {
    const a = admin(ssl, { protocol: 'SSL' }); // the system CAs do not know the test CA
    try {
      const err = await a.createTopics([{ topic: 'never', numPartitions: 1 }]).catch((e: Error) => e);
      expect((err as Error).message).toMatch(/TLS handshake with localhost:\d+ failed: .*certificate/);
    } finally {
      await a.close();
    }
  });
});
