/**
 * Overload soak (opt-in: `npm run soak`; SOAK_SECONDS=60 for a short run, default 300).
 *
 * Broker, producer, consumer and monitor run as separate `sluice` processes, as a newcomer would start
 * them by hand. The load generator offers 10x the consumer's capacity through the producer's HTTP API:
 * the first half with admission control on (a freshness budget: 429s, and the lag age stays near the
 * budget), the second half with the producer restarted without it (the backlog grows in the broker).
 * Every 10 s it samples each process's RSS.
 * At the end the consumer is sped up to drain, and the script checks that every acknowledged order was
 * consumed: acknowledged = messages in the topic = offsets committed by the group.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from '../src/lab/load.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'sluice.js');
const SECONDS = Number(process.env.SOAK_SECONDS ?? 300);
const PROCESSING_MS = Number(process.env.SOAK_PROCESSING_MS ?? 10); // 100 orders/s capacity
const CAPACITY = 1000 / PROCESSING_MS;
const RATE = 10 * CAPACITY;
const BUDGET_MS = Number(process.env.SOAK_FRESHNESS_BUDGET_MS ?? 5000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Proc {
  name: string;
  child: ChildProcess;
  out: string;
}

const procs: Proc[] = [];

async function start(name: string, args: string[], ready: RegExp): Promise<Proc> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { name, child, out: '' };
  child.stdout?.on('data', (d: Buffer) => {
    p.out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    p.out = (p.out + d.toString()).slice(-20_000);
  });
  procs.push(p);
  const deadline = Date.now() + 30_000;
  while (!ready.test(p.out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not start:\n${p.out}`);
    await sleep(50);
  }
  return p;
}

async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000).then(() => p.child.kill('SIGKILL'))]);
}

function rssMb(p: Proc): number | null {
  try {
    const status = readFileSync(`/proc/${p.child.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : null;
  } catch {
    return null;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: JSON from the services, read field by field below
async function json(url: string, init?: RequestInit): Promise<any> {
  const r = await fetch(url, init);
  return r.json();
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-soak-'));
  const series: Record<string, (number | null)[]> = {};
  const times: number[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    const broker = await start(
      'broker',
      ['broker', '--port', '0', '--data-dir', dataDir, '--durability', 'async', '--partitions', '6'],
      /listening on/,
    );
    const bootstrap = /listening on (\S+)/.exec(broker.out)![1];
    const [pp, cp, mp] = [await freePort(), await freePort(), await freePort()];
    const P = `http://127.0.0.1:${pp}`;
    const C = `http://127.0.0.1:${cp}`;
    const M = `http://127.0.0.1:${mp}`;
    const monitor = await start(
      'monitor',
      ['monitor', '--port', String(mp), '--brokers', bootstrap, '--interval-ms', '1000'],
      /sluice monitor:/,
    );
    let producer = await start(
      'producer',
      ['producer', '--port', String(pp), '--brokers', bootstrap, '--freshness-budget-ms', String(BUDGET_MS)],
      /sluice producer:/,
    );
    const consumer = await start(
      'consumer',
      [
        'consumer',
        '--port',
        String(cp),
        '--brokers',
        bootstrap,
        '--processing-time-ms',
        String(PROCESSING_MS),
      ],
      /sluice consumer:/,
    );
    const started = Date.now();
    const sample = () => {
      times.push(Math.round((Date.now() - started) / 1000));
      for (const p of [broker, producer, consumer, monitor]) {
        const key = p.name;
        series[key] ??= [];
        series[key].push(rssMb(p));
      }
    };
    sample();
    sampler = setInterval(sample, 10_000);
    console.log(`soak: ${RATE} orders/s offered (10x the consumer's ${CAPACITY}/s) for ${SECONDS} s`);
    const half = (SECONDS * 1000) / 2;
    const progress =
      (phase: string) =>
      (p: { elapsed_ms: number; accepted: number; rejected_429: number; errors: number }) => {
        if (Math.round(p.elapsed_ms / 1000) % 10 === 0)
          console.log(
            `  ${phase} t=${Math.round(p.elapsed_ms / 1000)}s acked=${p.accepted} 429=${p.rejected_429} errors=${p.errors}`,
          );
      };
    // Phase 1: admission control on. The client ignores Retry-After on purpose (HONOR_RETRY_AFTER=1 to
    // honour it): the edge has to keep refusing it, cheaply, and admits about what the consumer drains.
    const a = await runLoad({
      url: P,
      scenario: 'steady',
      rate: RATE,
      durationMs: half,
      honorRetryAfter: process.env.HONOR_RETRY_AFTER === '1',
      onProgress: progress('admission on'),
    });
    const producedA = (await json(`${P}/stats`)).produced as number;
    console.log(
      `phase 1 (admission on, budget ${BUDGET_MS} ms): acked ${a.accepted}, 429s ${a.rejected_429}, errors ${a.errors}`,
    );
    // Phase 2: the same producer without admission control: the backlog grows in the broker.
    await stop(producer);
    procs.splice(procs.indexOf(producer), 1);
    producer = await start(
      'producer',
      ['producer', '--port', String(pp), '--brokers', bootstrap],
      /sluice producer:/,
    );
    const b = await runLoad({
      url: P,
      scenario: 'steady',
      rate: RATE,
      durationMs: half,
      onProgress: progress('admission off'),
    });
    const producedB = (await json(`${P}/stats`)).produced as number;
    console.log(`phase 2 (admission off): acked ${b.accepted}, 429s ${b.rejected_429}, errors ${b.errors}`);
    sample();

    // Drain: every acknowledged order must reach the consumer.
    await fetch(`${C}/fast?time_ms=0`, { method: 'POST' });
    const acked = producedA + producedB;
    const drainStart = Date.now();
    let lag = await json(`${M}/lag`);
    while (Date.now() - drainStart < 600_000) {
      lag = await json(`${M}/lag`);
      const group = lag.groups.find((g: { group: string }) => g.group === 'order-processors');
      if (group && group.total_lag === 0 && Date.parse(lag.timestamp) > drainStart) break;
      await sleep(1000);
    }
    const drainSeconds = Math.round((Date.now() - drainStart) / 1000);
    sample();
    const topics = await json(`${M}/cluster/topics`);
    const inTopic = topics.topics.find((t: { name: string }) => t.name === 'orders').messages as number;
    const committed = lag.partitions
      .filter((p: { group: string; topic: string }) => p.group === 'order-processors' && p.topic === 'orders')
      .reduce((s: number, p: { committed_offset: number | null }) => s + (p.committed_offset ?? 0), 0);
    const consumed = (await json(`${C}/stats`)).consumed as number;

    console.log('\nRSS (MB) every 10 s:');
    console.log(`  t (s)     ${times.join(' ')}`);
    for (const [k, v] of Object.entries(series))
      console.log(`  ${k.padEnd(9)} ${v.map((x) => x ?? '-').join(' ')}`);
    const peak = (k: string) => Math.max(...(series[k] ?? []).filter((x): x is number => x !== null));
    const summary = {
      seconds: SECONDS,
      offered_per_second: RATE,
      consumer_capacity_per_second: CAPACITY,
      acked_phase1: producedA,
      acked_phase2: producedB,
      http_429_phase1_admission_on: a.rejected_429,
      http_429_phase2_admission_off: b.rejected_429,
      errors: a.errors + b.errors,
      acked,
      messages_in_topic: inTopic,
      committed_by_group: committed,
      consumed_by_consumer: consumed,
      drain_seconds: drainSeconds,
      peak_rss_mb: Object.fromEntries(Object.keys(series).map((k) => [k, peak(k)])),
    };
    console.log(`\n${JSON.stringify(summary, null, 2)}`);
    const ok = acked === inTopic && committed === inTopic && consumed >= inTopic && a.rejected_429 > 0;
    console.log(
      ok ? '\nsoak: PASS (every acknowledged order consumed; 429s with admission on)' : '\nsoak: FAIL',
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    if (sampler) clearInterval(sampler);
    for (const p of procs.reverse()) await stop(p);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
