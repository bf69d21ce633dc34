import type { ConsumerRuntimeOptions } from '../../src/consumer/config.js';
import { MemorySource } from '../../src/consumer/memory-source.js';
import { ConsumerRuntime } from '../../src/consumer/runtime.js';
import type { ConsumerRecord, Sink, SinkContext } from '../../src/consumer/types.js';
import { VirtualClock } from '../../src/flow/clock.js';

/** A seeded PRNG (mulberry32) so jitter and random failures repeat run after run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Write {
  record: ConsumerRecord;
  startedAt: number;
  endedAt: number | null;
  attempt: number;
  ok: boolean | null;
}

/**
 * A sink on the virtual clock whose latency and outcome are chosen per record, recording every write
 * with its start and end time.
 */
export class ScriptedSink implements Sink {
  readonly name = 'scripted';
  readonly writes: Write[] = [];
  active = 0;
  maxActive = 0;
  /** Called at the start of each write (tests check invariants there). */
  onStart: ((record: ConsumerRecord) => void) | null = null;

  constructor(
    private readonly clock: VirtualClock,
    private readonly latency: (r: ConsumerRecord, attempt: number) => number,
    private readonly fails: (r: ConsumerRecord, attempt: number) => boolean = () => false,
  ) {}

  async write(record: ConsumerRecord, context: SinkContext): Promise<void> {
    const w: Write = {
      record,
      startedAt: this.clock.now(),
      endedAt: null,
      attempt: context.attempt,
      ok: null,
    };
    this.writes.push(w);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.onStart?.(record);
    try {
      await this.clock.sleep(this.latency(record, context.attempt), context.signal);
      w.ok = !this.fails(record, context.attempt);
      if (!w.ok) throw new Error(`scripted failure at offset ${record.offset}`);
    } finally {
      w.endedAt = this.clock.now();
      this.active--;
    }
  }

  done(): Write[] {
    return this.writes.filter((w) => w.ok === true);
  }
}

export const T = 'orders';

export function setup(
  partitions: number,
  options: Omit<ConsumerRuntimeOptions, 'source' | 'clock' | 'sink'> & {
    clock?: VirtualClock;
    sink: Sink | ((clock: VirtualClock) => Sink);
  },
): { clock: VirtualClock; source: MemorySource; runtime: ConsumerRuntime } {
  const clock = options.clock ?? new VirtualClock(1_700_000_000_000);
  const sink = typeof options.sink === 'function' ? options.sink(clock) : options.sink;
  const source = new MemorySource(
    Array.from({ length: partitions }, (_, partition) => ({ topic: T, partition })),
    { clock },
  );
  const runtime = new ConsumerRuntime({ random: seeded(7), ...options, sink, source, clock });
  return { clock, source, runtime };
}

export function records(n: number, opts: { key?: (i: number) => string | null; bytes?: number } = {}) {
  return Array.from({ length: n }, (_, i) => ({
    key: opts.key ? opts.key(i) : `k${i}`,
    value: `v${i}`.padEnd(opts.bytes ?? 8, '.'),
  }));
}

/** Stops the runtime while moving the virtual clock, since draining waits for sink writes on it. */
export async function stopOn(clock: VirtualClock, runtime: ConsumerRuntime, stepMs = 100): Promise<void> {
  let done = false;
  const stopping = runtime.stop().finally(() => {
    done = true;
  });
  for (let i = 0; i < 100_000 && !done; i++) await clock.advance(stepMs);
  await stopping;
}
