import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { killChildren, runSluice } from '../helpers/run.js';
import { onEmbeddedBroker } from '../helpers/targets.js';
import { lagCliSuite } from '../suites/lag-cli.js';

// `sluice lag` and the figures compared with kafka-consumer-groups: test/suites/lag-cli.ts, run on the
// Kafka cluster by test/kafka/lag-cli.test.ts.
onEmbeddedBroker('sluice lag', lagCliSuite);

/** `sluice lag` pointed at the wrong thing, or filtered to nothing, says so instead of printing a blank. */

let broker: TestBroker;
let web: Server;
let webPort: number;

beforeAll(async () => {
  broker = await startTestBroker({ durability: 'memory' });
  // Any HTTP server will do: the lab's services are Fastify on Node's HTTP parser, as this is.
  web = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  webPort = (web.address() as { port: number }).port;
});

afterAll(async () => {
  killChildren();
  web?.closeAllConnections();
  web?.close();
  await broker?.stop();
});

describe('sluice lag', () => {
  it('recognises an HTTP port given as a broker and says what to give instead', async () => {
    const r = await runSluice(['lag', '--brokers', `127.0.0.1:${webPort}`, '--samples', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${webPort} answered in HTTP, not the Kafka protocol`);
    expect(r.stderr).toContain("give the broker's host:port");
    expect(r.stderr).not.toContain('1213486160');
  }, 30_000);

  it('fails when --group matches no group, instead of an empty table', async () => {
    const r = await runSluice(['lag', '--brokers', broker.bootstrap, '--samples', '1', '--group', 'nomatch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no consumer group matches --group nomatch');
    expect(r.stdout).toBe('');
  }, 30_000);

  it('says there are no groups when the cluster has none', async () => {
    const r = await runSluice(['lag', '--brokers', broker.bootstrap, '--samples', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(no consumer groups found)');
  }, 30_000);

  it('documents its exit status in --help', async () => {
    const r = await runSluice(['lag', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 when any group is critical');
  });
});
