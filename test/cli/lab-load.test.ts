import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanLine } from '../../src/broker/logger.js';
import { Lab } from '../../src/lab/lab.js';
import { freePort } from '../helpers/burrow.js';
import { killChildren, runSluice } from '../helpers/run.js';
import { startOnSomeBasePort } from '../lab/helpers.js';

/**
 * What a newcomer meets first with `sluice load` and `sluice lab`, run as commands (from the sources)
 * against a lab started in this process on a non-default base port: load's output and errors, the
 * banner's hints, `lab scale` on a base port, a second lab on taken ports, and log lines for people.
 */

let lab: Lab;
let base: number;
const fakes: Server[] = [];

/** An HTTP server standing in for a producer: /health answers as one, /produce/batch as `produce` says. */
async function fakeProducer(produce: (res: import('node:http').ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'healthy', service: 'producer' }));
    } else produce(res);
  });
  fakes.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address() as { port: number };
  return `http://127.0.0.1:${addr.port}`;
}

beforeAll(async () => {
  // A fixed base port: these tests are about --base-port and the hints it leads to.
  ({ base, started: lab } = await startOnSomeBasePort((b) =>
    Lab.start({
      memory: true,
      ports: { broker: 0, producer: b, consumer: b + 1, monitor: b + 10 },
      processingTimeMs: 1,
      monitorIntervalMs: 500,
    }),
  ));
}, 60_000);

afterAll(async () => {
  killChildren();
  for (const s of fakes) s.closeAllConnections();
  for (const s of fakes) s.close();
  await lab?.stop();
}, 30_000);

describe('sluice load', () => {
  it('with --json prints the report alone on stdout (jq-able) and its progress on stderr', async () => {
    const r = await runSluice([
      'load',
      'steady',
      '--rate',
      '20',
      '--duration',
      '2',
      '--url',
      `127.0.0.1:${base}`, // host:port, no scheme
      '--monitor-url',
      `127.0.0.1:${base + 10}`,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { accepted: number; errors: number };
    expect(report.errors).toBe(0);
    expect(report.accepted).toBeGreaterThan(0);
    expect(r.stderr).toContain(`sluice load steady: 20 orders/s for 2 s against http://127.0.0.1:${base}`);
    expect(r.stderr).toMatch(/^t=1s target=20\/s acked=\d+/m);
  }, 30_000);

  it('fails at once, with the cause, when nothing answers at --url', async () => {
    const port = await freePort();
    const r = await runSluice(['load', 'steady', '--duration', '30', '--url', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no producer answers at http://127.0.0.1:${port}`);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stdout).toBe('');
  });

  it('says so when --url is another lab service, not the producer', async () => {
    const r = await runSluice(['load', 'steady', '--url', `127.0.0.1:${base + 10}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not the lab's producer (its /health answered as the lab's lag-monitor)");
  });

  it('refuses a --url that is no address', async () => {
    const r = await runSluice(['load', 'steady', '--url', 'http://']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--url wants http://host:port or host:port (got "http://")');
  });

  it('exits non-zero when every request failed, and shows each failure with its cause', async () => {
    // The connection is cut under every request: fetch says only "fetch failed" unless asked for the cause.
    const url = await fakeProducer((res) => res.socket?.destroy());
    const r = await runSluice(['load', 'steady', '--rate', '10', '--duration', '1', '--url', url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error samples:\n {2}fetch failed: other side closed/);
    expect(r.stderr).toMatch(
      /every one of the \d+ requests failed \(first: fetch failed: other side closed\)/,
    );
  }, 20_000);

  it('exits 0 when some requests went through', async () => {
    let n = 0;
    const url = await fakeProducer((res) => {
      res.statusCode = n++ % 2 === 0 ? 200 : 500;
      res.end('{}');
    });
    const r = await runSluice(['load', 'steady', '--rate', '10', '--duration', '1', '--url', url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/errors [1-9]/);
  }, 20_000);
});

describe('sluice lab on a base port', () => {
  it("hints with the ports in use: lab scale with the lab's monitor, a consumer on the next port", async () => {
    const { banner } = await import('../../src/cli/commands/lab.js');
    const text = banner(lab);
    expect(text).toContain(`sluice lab scale 2 --monitor-url http://127.0.0.1:${base + 10}`);
    expect(text).toContain(
      `sluice consumer --port ${base + 2} --brokers ${lab.urls.broker} --instance consumer-2 &`,
    );
    expect(text).not.toMatch(/:80\d\d\b/);
  });

  it('scale honours --base-port and SLUICE_LAB_BASE_PORT', async () => {
    const byFlag = await runSluice(['lab', 'scale', '2', '--base-port', String(base)]);
    expect(byFlag.code).toBe(0);
    expect(JSON.parse(byFlag.stdout)).toMatchObject({ consumers: 2 });
    const byEnv = await runSluice(['lab', 'scale', '1'], { env: { SLUICE_LAB_BASE_PORT: String(base) } });
    expect(byEnv.code).toBe(0);
    expect(JSON.parse(byEnv.stdout)).toMatchObject({ consumers: 1, before: 2 });
  }, 30_000);

  it('scale without a lab names where it looked and how to point it elsewhere', async () => {
    // A port just bound and released: nothing listens there (the base is ten below it).
    const closed = await freePort();
    const r = await runSluice(['lab', 'scale', '2', '--base-port', String(closed - 10)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no lab answered at http://127.0.0.1:${closed}`);
    expect(r.stderr).toContain('--monitor-url');
  });

  it('a second lab on the same ports says the port is taken and what to do, in lines, not JSON', async () => {
    const r = await runSluice(['lab', '--memory', '--base-port', String(base), '--broker-port', '0'], {
      env: { SLUICE_LOG_LEVEL: 'info' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `a lab (or something else) already listens on 127.0.0.1:${base + 10}; stop it, or use other ports (sluice lab --base-port B`,
    );
    expect(r.stderr).not.toContain('EADDRINUSE');
    // The embedded broker logged (info and up) while it started and stopped: as lines for people.
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO sluice-broker: broker listening/m);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
  }, 30_000);
});

describe('sluice lab --help', () => {
  it('finishes its sentences: what the admission thresholds are compared with', async () => {
    const r = await runSluice(['lab', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('429 once the oldest unconsumed order is older than this many ms');
    expect(help).toContain('429 once the group lags by more than this many orders');
  });
});

describe('log lines for people', () => {
  it('turn a pino record into time, level, name, message and its fields', () => {
    const json = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 1, 12, 4, 5, 123),
      pid: 1,
      hostname: 'h',
      name: 'sluice-broker',
      msg: 'destroying connections still open after the grace period',
      sockets: 2,
      graceMs: 2500,
    });
    expect(humanLine(json)).toBe(
      '12:04:05.123 WARN sluice-broker: destroying connections still open after the grace period (sockets=2 graceMs=2500)\n',
    );
  });
});
