/**
 * Incident 106 reproduced: a producer writes 10,000 msg/s, the sink manages 500 msg/s.
 *
 *   naive   the incident's consumer: poll a batch, fire-and-forget processing, auto-commit
 *   sluice  the consumer runtime: credit loop (maxInFlight 1000), commit after the sink
 *
 * Each consumer, the producer and the broker run in their own child process; each consumer reports
 * its own RSS every second. Then a 1,000,000-record backlog is drained by the runtime with its RSS
 * sampled the same way.
 *
 *   npm run bench:consumer                       # 60 s per consumer, 1,000,000-record backlog
 *   npm run bench:consumer -- --seconds 20 --backlog 200000
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    'produce-rate': { type: 'string', default: '10000' },
    'sink-rate': { type: 'string', default: '500' },
    backlog: { type: 'string', default: '1000000' },
    'heap-mb': { type: 'string', default: '2048' },
    'rss-bound-mb': { type: 'string', default: '200' },
    'skip-incident': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const PRODUCE_RATE = Number(args['produce-rate']);
const SINK_RATE = Number(args['sink-rate']);
const BACKLOG = Number(args.backlog);
const HEAP_MB = Number(args['heap-mb']);
const RSS_BOUND_MB = Number(args['rss-bound-mb']);
const PARTITIONS = 10;
const dir = import.meta.dirname;
const children = new Set<ChildProcess>();
const MB = 2 ** 20;

interface Report {
  t: number;
  rss: number;
  heap: number;
  held: number;
  peak: number;
  consumed: number;
}
interface Row {
  second: number;
  rssMb: number | null;
  held: number | null;
  consumed: number | null;
  lag: number;
}

function child(script: string, argv: string[], nodeArgs: string[] = []) {
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(dir, script), ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  const lines: unknown[] = [];
  const waiters: (() => void)[] = [];
  let pending = '';
  let stderr = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        // not a report line
      }
      for (const w of waiters.splice(0)) w();
    }
  });
  proc.stderr!.on('data', (d) => {
    stderr += d;
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.on('exit', (code, signal) => {
      children.delete(proc);
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal });
    }),
  );
  const next = () => new Promise<void>((r) => waiters.push(r));
  return { proc, lines, exited, next, stderr: () => stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function totalLag(admin: Admin, topic: string, groupId: string): Promise<number> {
  const end = await admin.listOffsets(topic, 'latest');
  const committed = await admin.fetchOffsets(groupId, [{ topic, partitions: end.map((e) => e.partition) }]);
  let lag = 0n;
  for (const e of end) {
    const c = committed.find((x) => x.partition === e.partition)?.offset ?? -1n;
    lag += e.offset - (c < 0n ? 0n : c);
  }
  return Number(lag);
}

async function runIncident(
  mode: 'naive' | 'sluice',
  bootstrap: string,
  admin: Admin,
): Promise<{ rows: Row[]; died: string | null }> {
  const topic = `incident-${mode}`;
  const groupId = `incident-${mode}-group`;
  await admin.createTopics([{ topic, numPartitions: PARTITIONS }]);
  const consumer = child(
    'consumer-child.ts',
    [mode, bootstrap, topic, groupId, String(SINK_RATE)],
    [`--max-old-space-size=${HEAP_MB}`],
  );
  while (consumer.lines.length === 0) {
    await Promise.race([consumer.next(), consumer.exited]);
    if (!children.has(consumer.proc)) throw new Error(`${mode} consumer exited: ${consumer.stderr()}`);
  }
  const producer = child('producer-child.ts', [
    bootstrap,
    topic,
    String(PRODUCE_RATE),
    String(PRODUCE_RATE * SECONDS),
  ]);
  const start = Date.now();
  const rows: Row[] = [];
  let died: string | null = null;
  void consumer.exited.then(({ code, signal }) => {
    if (died === null && rows.length < SECONDS)
      died = `exited at ${((Date.now() - start) / 1000).toFixed(0)} s (code ${code}, signal ${signal}): ${
        /heap out of memory/i.test(consumer.stderr())
          ? 'JavaScript heap out of memory'
          : consumer.stderr().slice(-200)
      }`;
  });
  for (let s = 1; s <= SECONDS; s++) {
    await sleep(start + s * 1000 - Date.now());
    const last = consumer.lines.at(-1) as Report | undefined;
    const alive = children.has(consumer.proc);
    rows.push({
      second: s,
      rssMb: alive && last ? last.rss / MB : null,
      held: alive && last ? last.held : null,
      consumed: last ? last.consumed : null,
      lag: await totalLag(admin, topic, groupId),
    });
    process.stderr.write(
      `\r${mode} ${s}/${SECONDS} s  rss ${rows.at(-1)!.rssMb?.toFixed(0) ?? '-'} MiB  held ${rows.at(-1)!.held ?? '-'}  lag ${rows.at(-1)!.lag}   `,
    );
  }
  process.stderr.write('\n');
  producer.proc.kill('SIGKILL');
  consumer.proc.kill('SIGKILL');
  await Promise.all([producer.exited, consumer.exited]);
  return { rows, died };
}

async function runBacklog(bootstrap: string, admin: Admin) {
  const topic = 'backlog';
  const groupId = 'backlog-group';
  await admin.createTopics([{ topic, numPartitions: PARTITIONS }]);
  const producer = child('producer-child.ts', [bootstrap, topic, '40000', String(BACKLOG)]);
  await producer.exited;
  const produced = producer.lines.at(-1) as { done: number; ms: number; rate: number } | undefined;
  if (!produced) throw new Error(`backlog producer failed: ${producer.stderr()}`);
  process.stderr.write(`backlog: ${produced.done} records written in ${produced.ms} ms\n`);
  const consumer = child(
    'consumer-child.ts',
    ['sluice', bootstrap, topic, groupId, '0'],
    [`--max-old-space-size=${HEAP_MB}`],
  );
  const start = Date.now();
  let lag = BACKLOG;
  while (lag > 0) {
    await sleep(1000);
    if (!children.has(consumer.proc)) throw new Error(`drain consumer exited: ${consumer.stderr()}`);
    lag = await totalLag(admin, topic, groupId);
    const last = consumer.lines.at(-1) as Report | undefined;
    process.stderr.write(
      `\rdrain ${((Date.now() - start) / 1000).toFixed(0)} s  lag ${lag}  rss ${((last?.rss ?? 0) / MB).toFixed(0)} MiB   `,
    );
  }
  process.stderr.write('\n');
  const ms = Date.now() - start;
  consumer.proc.kill('SIGKILL');
  await consumer.exited;
  const reports = consumer.lines as Report[];
  return {
    records: produced.done,
    ms,
    maxRssMb: Math.max(...reports.map((r) => r.rss / MB)),
    maxHeld: Math.max(...reports.map((r) => r.peak)),
    samples: reports.length,
  };
}

function chart(naive: Row[], sluice: Row[], height = 16): string {
  const max = Math.max(...[...naive, ...sluice].map((r) => r.rssMb ?? 0));
  const grid = Array.from({ length: height }, () => Array.from({ length: naive.length }, () => ' '));
  const plot = (rows: Row[], ch: string) =>
    rows.forEach((r, x) => {
      if (r.rssMb === null) return;
      const y = height - 1 - Math.min(height - 1, Math.floor((r.rssMb / max) * (height - 1)));
      grid[y][x] = grid[y][x] === ' ' ? ch : '*';
    });
  plot(naive, 'n');
  plot(sluice, 's');
  const lines = grid.map((row, i) => {
    const label = i === 0 ? `${max.toFixed(0)} MiB` : i === height - 1 ? '0 MiB' : '';
    return `${label.padStart(9)} |${row.join('')}`;
  });
  lines.push(`${''.padStart(9)} +${'-'.repeat(naive.length)}`);
  lines.push(`${''.padStart(9)}  0 s${' '.repeat(Math.max(0, naive.length - 8))}${naive.length} s`);
  lines.push(`${''.padStart(9)}  n = naive (poll + fire-and-forget)   s = sluice runtime   * = both`);
  return lines.join('\n');
}

async function main() {
  const broker = child('broker-child.ts', []);
  while (broker.lines.length === 0) await Promise.race([broker.next(), broker.exited]);
  const { port } = broker.lines[0] as { port: number };
  const bootstrap = `127.0.0.1:${port}`;
  const cluster = new Cluster({ brokers: [bootstrap], clientId: 'bench-orchestrator' });
  const admin = new Admin({ cluster });
  await admin.connect();
  try {
    console.log(
      `# Incident 106 reproduced: producer ${PRODUCE_RATE} msg/s, sink ${SINK_RATE} msg/s, ${SECONDS} s, ${PARTITIONS} partitions, heap limit ${HEAP_MB} MiB`,
    );
    if (!args['skip-incident']) {
      const naive = await runIncident('naive', bootstrap, admin);
      const sluice = await runIncident('sluice', bootstrap, admin);
      console.log(
        '\n| s | naive RSS MiB | naive held | naive broker lag | sluice RSS MiB | sluice held | sluice broker lag |',
      );
      console.log('|---:|---:|---:|---:|---:|---:|---:|');
      for (let i = 0; i < SECONDS; i++) {
        const n = naive.rows[i];
        const s = sluice.rows[i];
        const f = (v: number | null, d = 0) => (v === null ? 'dead' : v.toFixed(d));
        console.log(
          `| ${i + 1} | ${f(n.rssMb)} | ${f(n.held)} | ${n.lag} | ${f(s.rssMb)} | ${f(s.held)} | ${s.lag} |`,
        );
      }
      console.log(`\n\`\`\`\n${chart(naive.rows, sluice.rows)}\n\`\`\``);
      const live = (rows: Row[]) => rows.filter((r) => r.rssMb !== null);
      const growth = (rows: Row[]) => {
        const l = live(rows);
        const from = l[Math.min(4, l.length - 1)];
        const to = l.at(-1)!;
        return {
          from: from.rssMb!,
          to: to.rssMb!,
          perSec: (to.rssMb! - from.rssMb!) / Math.max(1, to.second - from.second),
        };
      };
      const ng = growth(naive.rows);
      const sg = growth(sluice.rows);
      console.log(
        `\n| consumer | RSS at 5 s | RSS at end | growth MiB/s | max held records | broker lag at end | consumed |`,
      );
      console.log('|---|---:|---:|---:|---:|---:|---:|');
      for (const [name, r, g] of [
        ['naive (poll + fire-and-forget)', naive, ng],
        ['sluice runtime (maxInFlight 1000)', sluice, sg],
      ] as const) {
        const l = live(r.rows);
        console.log(
          `| ${name} | ${g.from.toFixed(0)} MiB | ${g.to.toFixed(0)} MiB | ${g.perSec.toFixed(2)} | ${Math.max(...l.map((x) => x.held ?? 0))} | ${r.rows.at(-1)!.lag} | ${r.rows.at(-1)!.consumed ?? '-'} |`,
        );
      }
      if (naive.died) console.log(`\nnaive consumer ${naive.died}`);
      if (sluice.died) console.log(`\nsluice consumer ${sluice.died}`);
      console.log(
        `\nRSS at the end, naive / sluice: ${(ng.to / sg.to).toFixed(1)}x; growth rate naive ${ng.perSec.toFixed(1)} MiB/s vs sluice ${sg.perSec.toFixed(2)} MiB/s`,
      );
    }

    if (BACKLOG > 0) {
      const b = await runBacklog(bootstrap, admin);
      console.log(`\n| backlog drain (sluice runtime, unthrottled sink) | value |`);
      console.log('|---|---:|');
      console.log(`| records | ${b.records} |`);
      console.log(
        `| time to drain | ${(b.ms / 1000).toFixed(1)} s (${Math.round((b.records * 1000) / b.ms)} records/s) |`,
      );
      console.log(`| max RSS (sampled every second) | ${b.maxRssMb.toFixed(0)} MiB |`);
      console.log(
        `| stated bound | ${RSS_BOUND_MB} MiB: ${b.maxRssMb <= RSS_BOUND_MB ? 'held' : 'EXCEEDED'} |`,
      );
      console.log(`| peak records held (the runtime's own count) | ${b.maxHeld} (maxInFlight 1000) |`);
    }
  } finally {
    cluster.close();
    for (const c of children) if (c !== broker.proc) c.kill('SIGKILL');
    broker.proc.kill('SIGTERM');
    await Promise.race([broker.exited, sleep(5000)]);
  }
}

process.on('SIGINT', () => {
  for (const c of children) c.kill('SIGKILL');
  process.exit(130);
});
await main();
