import {
  Job,
  type JobRun,
  type QueueSpec,
  type RunOptions,
  rateSource,
  runJob,
  type Strategy,
} from '../../src/engine/index.js';
import { VirtualClock } from '../../src/flow/clock.js';

export interface PipelineOptions {
  rate: number;
  opCost?: number;
  sinkCost: number;
  queue?: QueueSpec;
  strategy: Strategy;
  run?: Partial<RunOptions>;
}

/** source (rate/s) -> op -> sink, on a fresh VirtualClock. */
export function pipeline(o: PipelineOptions): { run: JobRun; clock: VirtualClock } {
  const clock = new VirtualClock();
  const job = new Job('pipeline');
  const src = job.source('src', rateSource({ rate: o.rate, make: (i) => i }));
  const op = job.operator<number, number>('op', { process: (x, ctx) => ctx.emit(x), cost: o.opCost ?? 1 });
  const sink = job.sink<number>('sink', { write: () => {}, cost: o.sinkCost });
  job.connect(src, op).connect(op, sink);
  const run = runJob(job.build(), { clock, strategy: o.strategy, queue: o.queue, ...o.run });
  return { run, clock };
}

/** Stops the sources and lets everything in flight reach the sinks (stop advances the virtual clock). */
export async function drain(run: JobRun, _clock: VirtualClock): Promise<void> {
  await run.stop({ drain: true, drainStepMs: 100 });
}

export function instance(run: JobRun, id: string, windowMs = Number.POSITIVE_INFINITY) {
  const m = run.metrics(windowMs).instances.find((i) => i.id === id);
  if (!m) throw new Error(`no instance ${id}`);
  return m;
}
