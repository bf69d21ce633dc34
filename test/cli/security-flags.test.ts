import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { Admin } from '../../src/client/admin.js';
import { Producer } from '../../src/client/producer.js';
import { resolveClientSecurity } from '../../src/client/security.js';
import { transactionMaker } from '../../src/engine/examples/fraud-detection.js';
import type { EngineStatus } from '../../src/engine/kafka/process.js';
import { waitFor } from '../helpers/burrow.js';
import { killChildren, runSluice } from '../helpers/run.js';
import { ANY_FREE_PORTS, http, LAB_READY, type LabProcess, labUrls, spawnSluice } from '../lab/helpers.js';

/**
 * The client security flags on the commands that connect to brokers: `sluice lab --brokers` against a
 * SASL_PLAINTEXT listener with a SCRAM user carries an order from its producer to its consumer, and no
 * service shows the password; a wrong password stops `sluice producer` with an error naming the mechanism
 * and the user, never the password. Runs the built CLI (`npm run build` first).
 */

const PASSWORD = 'alice-secret-pw';
const WRONG = 'not-the-pw-123';
let broker: Broker;
let bootstrap: string;
let lab: LabProcess | null = null;

const saslFlags = ['--security-protocol', 'SASL_PLAINTEXT', '--sasl-mechanism', 'SCRAM-SHA-256'];

beforeAll(async () => {
  broker = new Broker(
    {
      durability: 'memory',
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      defaultPartitions: 1,
      security: { users: { alice: PASSWORD }, failedAuthDelayMs: 10 },
    },
    { logger: pino({ level: 'silent' }) },
  );
  await broker.start();
  bootstrap = `127.0.0.1:${broker.listenerAddress('SASL_PLAINTEXT').port}`;
});

afterAll(async () => {
  await lab?.stop();
  killChildren();
  await broker?.stop(1_000);
}, 30_000);

describe('client security flags', () => {
  it('sluice lab --brokers with SCRAM credentials: an order goes from producer to consumer, the password shows nowhere', async () => {
    lab = await spawnSluice(
      [
        'lab',
        '--brokers',
        bootstrap,
        ...saslFlags,
        '--sasl-username',
        'alice',
        ...ANY_FREE_PORTS,
        '--processing-time-ms',
        '1',
        '--monitor-interval-ms',
        '200',
        '--partitions',
        '1',
      ],
      { env: { SLUICE_SASL_PASSWORD: PASSWORD }, timeoutMs: 45_000, ready: LAB_READY },
    );
    const urls = labUrls(lab.output());
    const producer = urls.producer;
    const consumer = urls.consumers[0];
    const monitor = urls.monitor;
    const sent = await http('POST', `${producer}/produce`, { json: {} });
    expect(sent.status).toBeLessThan(300);
    await waitFor(
      'the order consumed through the SASL listener',
      async () => {
        const stats = await http('GET', `${consumer}/stats`);
        return stats.body.consumed >= 1 ? true : undefined;
      },
      20_000,
      () => lab?.output() ?? '',
    );
    const shown = [
      lab.output(),
      JSON.stringify((await http('GET', `${monitor}/lab`)).body),
      JSON.stringify((await http('GET', `${producer}/config`)).body),
      JSON.stringify((await http('GET', `${consumer}/config`)).body),
      JSON.stringify((await http('GET', `${consumer}/stats`)).body),
    ].join('\n');
    expect(shown).toContain(bootstrap);
    expect(shown).not.toContain(PASSWORD);
    expect(await lab.stop()).toBe(0);
    expect(lab.output()).not.toContain(PASSWORD);
    lab = null;
  }, 90_000);

  it('sluice topic describe and sluice dlq list take the same settings (the lab above made the topics)', async () => {
    const creds = [...saslFlags, '--sasl-username', 'alice'];
    const env = { SLUICE_SASL_PASSWORD: PASSWORD };
    const topic = await runSluice(['topic', 'describe', 'orders', '--brokers', bootstrap, ...creds], { env });
    expect(topic.stderr).toBe('');
    expect(topic.stdout).toMatch(/^retention\.ms=/m);
    const dlq = await runSluice(['dlq', 'list', '--json', '--brokers', bootstrap, ...creds], { env });
    expect(dlq.stderr).toBe('');
    expect(dlq.stdout).toContain('orders.dlq');
  }, 40_000);

  it('sluice engine run hands the settings to the job: the fraud example reads and writes over SASL', async () => {
    const security = resolveClientSecurity({
      protocol: 'SASL_PLAINTEXT',
      mechanism: 'SCRAM-SHA-256',
      username: 'alice',
      password: PASSWORD,
    });
    const admin = new Admin({ brokers: [bootstrap], security });
    await admin.createTopics([
      { topic: 'tx-sec', numPartitions: 1 },
      { topic: 'decisions-sec', numPartitions: 1 },
    ]);
    await admin.close();
    const producer = new Producer({ brokers: [bootstrap], clusterOptions: { security } });
    const tx = transactionMaker(7, 200, 'sec')(0, Date.now());
    await producer.send([{ topic: 'tx-sec', key: String(tx.card), value: JSON.stringify(tx) }]);
    await producer.close();
    const engine = await spawnSluice(
      [
        'engine',
        'run',
        'dist/engine/examples/fraud-kafka.js',
        '--brokers',
        bootstrap,
        '--group',
        'fraud-sec',
        '--report-interval',
        '0',
        ...saslFlags,
        '--sasl-username',
        'alice',
        '--param',
        'input=tx-sec',
        '--param',
        'output=decisions-sec',
      ],
      { env: { SLUICE_SASL_PASSWORD: PASSWORD }, ready: /status at http:\/\/\S+\/status/ },
    );
    try {
      const url = /status at (http:\/\/\S+)\/status/.exec(engine.output())?.[1];
      await waitFor(
        'the decision written over SASL',
        async () => {
          const st = (await (await fetch(`${url}/status`)).json()) as EngineStatus;
          const written = Object.values(st.kafkaSinks).reduce((n, k) => n + k.written, 0);
          return written >= 1 ? true : undefined;
        },
        30_000,
        engine.output,
      );
    } finally {
      await engine.stop();
    }
    expect(engine.output()).not.toContain(PASSWORD);
  }, 60_000);

  it('a wrong password stops sluice producer with the mechanism and user named, not the password', async () => {
    const r = await runSluice(
      ['producer', '--brokers', bootstrap, ...saslFlags, '--sasl-username', 'alice', '--port', '0'],
      { env: { SLUICE_SASL_PASSWORD: WRONG }, timeoutMs: 30_000 },
    );
    expect(r.code).not.toBe(0);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/SCRAM-SHA-256 authentication of user "alice"/);
    expect(text).not.toContain(WRONG);
  }, 40_000);

  it('sluice lab refuses security settings without --brokers (the embedded broker has no SASL)', async () => {
    const r = await runSluice(['lab', '--memory', ...saslFlags, '--sasl-username', 'alice'], {
      env: { SLUICE_SASL_PASSWORD: PASSWORD },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('give --brokers too');
  }, 30_000);
});
