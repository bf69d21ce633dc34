/**
 * Items per second through a 3-stage pipeline (source -> map -> filter -> sink) in the Sluice engine
 * (parallelism 1 and 2, and with queues small enough that senders block), beside the same pipeline
 * in Node streams and RxJS, and the engine's per-item bookkeeping cost.
 * Run: npm run bench:engine  (ITEMS=... to change the size).
 */
import os from 'node:os';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { filter, map, range } from 'rxjs';
import { TimeAccounting } from '../../src/engine/accounting.js';
import { Inbox } from '../../src/engine/inbox.js';
import { iterableSource, Job, runJob } from '../../src/engine/index.js';
import { RealClock } from '../../src/flow/clock.js';

const ITEMS = Number(process.env.ITEMS ?? 300_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

const double = (x: number) => x * 2;
const keep = (x: number) => x % 3 !== 0;

interface Result {
  name: string;
  ms: number;
  /** Process CPU time (user + system) the run took: unlike wall time, not inflated while descheduled. */
  cpuMs?: number;
  sum: number;
}

/**
 * The pipeline in the engine. `capacity` sets every queue's bound: the default (1000) holds a burst
 * between two yields to the event loop, so senders rarely wait; 256 makes them block all the time,
 * which exercises the backpressured hand-off.
 */
async function engine(parallelism: number, capacity?: number): Promise<Result> {
  let sum = 0;
  const job = new Job('bench');
  const src = job.source(
    'src',
    iterableSource(function* (info) {
      // Each source instance reads its share of 0..ITEMS-1, generated as Node's Readable.from does.
      for (let i = info.index; i < ITEMS; i += info.parallelism) yield i;
    }, parallelism),
  );
  const m = job.operator<number, number>('map', { parallelism, process: (x, ctx) => ctx.emit(double(x)) });
  const f = job.operator<number, number>('filter', {
    parallelism,
    process: (x, ctx) => {
      if (keep(x)) ctx.emit(x);
    },
  });
  const sink = job.sink<number>('sink', {
    parallelism,
    write: (x) => {
      sum += x;
    },
  });
  job.connect(src, m).connect(m, f).connect(f, sink);
  const graph = job.build();
  const t0 = performance.now();
  await runJob(graph, { clock: new RealClock(), queue: capacity ? { capacity } : undefined }).done;
  const name = `sluice engine, parallelism ${parallelism}${capacity ? `, queues of ${capacity} (senders block)` : ''}`;
  return { name, ms: performance.now() - t0, sum };
}

async function nodeStreams(): Promise<Result> {
  let sum = 0;
  const t0 = performance.now();
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < ITEMS; i++) yield i;
      })(),
    ),
    new Transform({
      objectMode: true,
      transform(x: number, _e, cb) {
        cb(null, double(x));
      },
    }),
    new Transform({
      objectMode: true,
      transform(x: number, _e, cb) {
        if (keep(x)) cb(null, x);
        else cb();
      },
    }),
    new Writable({
      objectMode: true,
      write(x: number, _e, cb) {
        sum += x;
        cb();
      },
    }),
  );
  return { name: 'node:stream pipeline (objectMode)', ms: performance.now() - t0, sum };
}

async function rx(): Promise<Result> {
  let sum = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    range(0, ITEMS)
      .pipe(map(double), filter(keep))
      .subscribe({
        next: (x) => {
          sum += x;
        },
        complete: resolve,
      });
  });
  return { name: 'RxJS 7 (synchronous, no queues)', ms: performance.now() - t0, sum };
}

function bare(): Result {
  let sum = 0;
  const t0 = performance.now();
  for (let i = 0; i < ITEMS; i++) {
    const x = double(i);
    if (keep(x)) sum += x;
  }
  return { name: 'plain loop (no engine)', ms: performance.now() - t0, sum };
}

/** The engine's per-hop bookkeeping in isolation: credit, channel and the level check; and a clock read. */
function hopCost(): { nsPerHop: number; nsPerStateChange: number } {
  const clock = new RealClock();
  const inbox = new Inbox('bench.in', 1024, Number.POSITIVE_INFINITY);
  let crossings = 0;
  inbox.onLevel = (i) => {
    if (i.level >= 0.8) crossings++;
  };
  const env = { value: 1, born: 0, bytes: 8 };
  const n = 2_000_000;
  let t0 = performance.now();
  for (let i = 0; i < n; i++) {
    inbox.tryOffer(env);
    inbox.tryTake();
  }
  const nsPerHop = ((performance.now() - t0) * 1e6) / n;
  const acc = new TimeAccounting(clock, 1);
  t0 = performance.now();
  for (let i = 0; i < n; i++) acc.move(i % 2 === 0 ? 'idle' : 'busy', i % 2 === 0 ? 'busy' : 'idle');
  const nsPerStateChange = ((performance.now() - t0) * 1e6) / n;
  if (crossings > 0) throw new Error('the queue never fills in this loop');
  return { nsPerHop, nsPerStateChange };
}

/**
 * Best of ROUNDS for each contender, the contenders taking turns within each round, so a burst of load
 * on this shared machine hits all of them rather than one.
 */
async function bestInTurns(fns: Array<() => Promise<Result> | Result>): Promise<Result[]> {
  const top: Array<Result | undefined> = fns.map(() => undefined);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, fn] of fns.entries()) {
      const cpu0 = process.cpuUsage();
      const res = await fn();
      const cpu = process.cpuUsage(cpu0);
      res.cpuMs = (cpu.user + cpu.system) / 1000;
      if (!top[i] || res.cpuMs < top[i].cpuMs!) top[i] = res;
    }
  }
  return top as Result[];
}

const loadBefore = os.loadavg()[0];
const results = await bestInTurns([
  () => engine(1),
  () => engine(2),
  () => engine(1, 256),
  nodeStreams,
  rx,
  bare,
]);
const loadAfter = os.loadavg()[0];

const expected = results[results.length - 1].sum;
for (const r of results) {
  if (r.sum !== expected) throw new Error(`${r.name} computed ${r.sum}, expected ${expected}`);
}
const engine1 = results[0];
const rows = results.map((r) => {
  const perSec = (ITEMS / r.ms) * 1000;
  return [
    r.name,
    `${Math.round(perSec).toLocaleString('en-US')}`,
    `${((r.ms * 1e6) / ITEMS).toFixed(0)}`,
    `${((r.cpuMs! * 1e6) / ITEMS).toFixed(0)}`,
    `${(engine1.ms / r.ms).toFixed(2)}x`,
  ];
});
const headers = [
  'pipeline (source -> map -> filter -> sink)',
  'items/s',
  'ns/item',
  'CPU ns/item',
  'speed vs engine p=1',
];
const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(
  `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${ITEMS.toLocaleString('en-US')} items, best of ${ROUNDS} rounds taken in turns, ` +
    `Node ${process.version}, load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after\n`,
);
console.log(line(headers));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));

const hop = hopCost();
const [, , , node, , plain] = results;
const bareNs = (plain.ms * 1e6) / ITEMS;
const engineNs = (engine1.ms * 1e6) / ITEMS;
console.log(
  `\nengine bookkeeping: ${(engineNs - bareNs).toFixed(0)} ns/item over the plain loop for 3 hops ` +
    `(${((engineNs - bareNs) / 3).toFixed(0)} ns per hop, including async hand-offs between instances)`,
);
const cpuNs = (r: Result) => (r.cpuMs! * 1e6) / ITEMS;
const engineOver = cpuNs(engine1) - cpuNs(plain);
const nodeOver = cpuNs(node) - cpuNs(plain);
console.log(
  `per-item CPU overhead over the plain loop: engine p=1 ${engineOver.toFixed(0)} ns, node:stream ` +
    `${nodeOver.toFixed(0)} ns: engine ÷ node:stream = ${(engineOver / nodeOver).toFixed(2)}x (goal: <= 1.00x)`,
);
console.log(
  `  one hop's credit + channel + watermark check alone: ${hop.nsPerHop.toFixed(0)} ns; ` +
    `one idle/busy state change (a clock read): ${hop.nsPerStateChange.toFixed(0)} ns`,
);
