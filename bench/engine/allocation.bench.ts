/**
 * Bytes the engine allocates per item on the bench's pipeline (source -> map -> filter -> sink, one
 * instance each), garbage included: V8's sampling heap profiler with collected objects kept
 * (`includeObjectsCollectedByMinorGC/MajorGC`). Unlike CPU time this hardly moves with the machine's
 * load, so it shows a change in the hot path that a shared machine's timings cannot. The bench's own
 * generator and the sink's running sum are in the figure too (Node's pipeline has the same two).
 * Run: npx tsx bench/engine/allocation.bench.ts  (ITEMS=..., ROUNDS=...)
 */
import { Session } from 'node:inspector';
import { iterableSource, Job, runJob } from '../../src/engine/index.js';
import { RealClock } from '../../src/flow/clock.js';

const ITEMS = Number(process.env.ITEMS ?? 300_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

async function pipelineOnce(): Promise<void> {
  let sum = 0;
  const job = new Job('alloc');
  const src = job.source(
    'src',
    iterableSource(function* () {
      for (let i = 0; i < ITEMS; i++) yield i;
    }, 1),
  );
  const m = job.operator<number, number>('map', { process: (x, ctx) => ctx.emit(x * 2) });
  const f = job.operator<number, number>('filter', {
    process: (x, ctx) => {
      if (x % 3 !== 0) ctx.emit(x);
    },
  });
  const sink = job.sink<number>('sink', {
    write: (x) => {
      sum += x;
    },
  });
  job.connect(src, m).connect(m, f).connect(f, sink);
  await runJob(job.build(), { clock: new RealClock() }).done;
  if (sum !== EXPECTED) throw new Error(`the pipeline summed ${sum}, expected ${EXPECTED}`);
}

/** The plain loop's sum, computed once outside the sampled runs. */
const EXPECTED = (() => {
  let s = 0;
  for (let i = 0; i < ITEMS; i++) if ((i * 2) % 3 !== 0) s += i * 2;
  return s;
})();

interface ProfileNode {
  selfSize: number;
  children: ProfileNode[];
}
const total = (n: ProfileNode): number => n.selfSize + n.children.reduce((s, c) => s + total(c), 0);

const session = new Session();
session.connect();
const post = <T>(method: string, params: object = {}) =>
  new Promise<T>((resolve, reject) =>
    session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T))),
  );

await pipelineOnce(); // warm-up: compiled code, not the first run's allocations
const perItem: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  await post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await pipelineOnce();
  const { profile } = await post<{ profile: { head: ProfileNode } }>('HeapProfiler.stopSampling');
  perItem.push(total(profile.head) / ITEMS);
}
perItem.sort((a, b) => a - b);
console.log(
  `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${ITEMS.toLocaleString('en-US')} items, ` +
    `${ROUNDS} rounds: bytes allocated per item over three hops, median ${perItem[Math.floor(ROUNDS / 2)].toFixed(0)} ` +
    `(rounds: ${perItem.map((x) => x.toFixed(0)).join(', ')})`,
);
session.disconnect();
