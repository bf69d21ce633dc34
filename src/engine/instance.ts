import type { Clock } from '../flow/clock.js';
import { type SlotState, TimeAccounting } from './accounting.js';
import { CLOSED, type Envelope, Inbox } from './inbox.js';
import type { ComponentDef, EdgeDef } from './job.js';
import { Lineage } from './lineage.js';
import { estimateBytes } from './size.js';
import type { Arrival, Grouping, InstanceInfo, OperatorContext, Processor, Strategy } from './types.js';

/** Run-wide settings and hooks an instance needs. */
export interface RunContext {
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Aborted to make sources stop reading (a draining stop). */
  readonly sourceSignal: AbortSignal;
  readonly sampleEvery: number;
  /** Yield to the event loop every n items (real clock only; 0 = never). */
  readonly yieldEvery: number;
  recordLatency(ms: number): void;
  fail(instance: Instance, error: unknown): void;
}

/** Per component-level edge: its strategy and what it moved and lost. */
export class EdgeRuntime {
  sent = 0;
  dropped = 0;
  sampledOut = 0;
  readonly droppedAt = new Map<string, number>();
  private sampleSeen = 0;

  constructor(
    readonly def: EdgeDef,
    readonly strategy: Strategy,
    readonly targets: Instance[],
  ) {}

  lose(target: Instance, sampled: boolean): void {
    if (sampled) this.sampledOut++;
    else this.dropped++;
    this.droppedAt.set(target.id, (this.droppedAt.get(target.id) ?? 0) + 1);
  }

  /** Sampling above the high watermark keeps one item in `every`. */
  keepSample(every: number): boolean {
    return ++this.sampleSeen % every === 0;
  }
}

/** A sender's view of one outgoing edge: the targets and where round-robin is. */
interface Route {
  edge: EdgeRuntime;
  grouping: Grouping<unknown>;
  targets: Instance[];
  next: number;
}

interface Slot {
  state: SlotState;
  out: unknown[];
  ctx: OperatorContext<unknown>;
}

/**
 * One running copy of a component. Sources pull from their reader, operators and sinks take from
 * their inbox; all of them push results to downstream inboxes according to each edge's strategy, and
 * account their time as idle, busy or backpressured.
 */
export class Instance {
  readonly id: string;
  readonly info: InstanceInfo;
  readonly inbox: Inbox | undefined;
  readonly accounting: TimeAccounting;
  readonly high: number;
  readonly low: number;
  readonly upstream = new Set<Instance>();
  readonly downstream = new Set<Instance>();
  /** Incoming edges by strategy, for the watermark actions. */
  readonly incoming: EdgeRuntime[] = [];
  private readonly routes: Route[] = [];
  processed = 0;
  private readonly pausedBy = new Set<string>();
  private resumeWaiters: Array<() => void> = [];
  private sinceYield = 0;
  private sinceClockRead = 0;
  private lastNow = 0;
  private readonly sizeOf: (item: unknown) => number;
  readonly finished: Promise<void>;
  private finish!: () => void;

  constructor(
    readonly def: ComponentDef,
    readonly index: number,
    private readonly run: RunContext,
    queueDefaults: { capacity: number; maxBytes: number; high: number; low: number },
  ) {
    this.id = `${def.name}#${index}`;
    this.info = { component: def.name, index, parallelism: def.parallelism, id: this.id, clock: run.clock };
    const q = { ...queueDefaults, ...def.queue };
    this.high = q.high;
    this.low = q.low;
    this.inbox = def.kind === 'source' ? undefined : new Inbox(`${this.id}.in`, q.capacity, q.maxBytes);
    this.accounting = new TimeAccounting(run.clock, def.concurrency);
    this.sizeOf = def.sizeOf ?? estimateBytes;
    this.finished = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  get kind() {
    return this.def.kind;
  }

  get paused(): boolean {
    return this.pausedBy.size > 0;
  }

  addRoute(edge: EdgeRuntime): void {
    this.routes.push({ edge, grouping: edge.def.grouping, targets: edge.targets, next: 0 });
    for (const t of edge.targets) {
      t.inbox!.addSender();
      t.upstream.add(this);
      this.downstream.add(t);
    }
  }

  pause(cause: string): void {
    this.pausedBy.add(cause);
  }

  resume(cause: string): void {
    if (!this.pausedBy.delete(cause) || this.pausedBy.size > 0) return;
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const w of waiters) w();
  }

  /** Starts the instance's loops; `finished` resolves when they are all done. */
  start(): void {
    const body = this.def.kind === 'source' ? this.runSource() : this.runProcessor();
    body
      .catch((err) => {
        if (!this.run.signal.aborted) this.run.fail(this, err);
      })
      .finally(() => {
        this.accounting.stop();
        if (!this.run.signal.aborted) for (const t of this.downstream) t.inbox!.senderDone();
        this.finish();
      });
  }

  /** Wakes anything this instance waits on so it can see the run was stopped. */
  wake(): void {
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const w of waiters) w();
  }

  private async runSource(): Promise<void> {
    const spec = this.def.source!;
    const slot = this.newSlot();
    const src = this.run.sourceSignal;
    const iterable = spec.read(this.info, src);
    const iterator =
      Symbol.asyncIterator in iterable
        ? (iterable as AsyncIterable<Arrival<unknown>>)[Symbol.asyncIterator]()
        : (iterable as Iterable<Arrival<unknown>>)[Symbol.iterator]();
    try {
      for (;;) {
        if (this.pausedBy.size > 0) await this.waitWhilePaused(slot);
        if (src.aborted || this.run.signal.aborted) return;
        let step: IteratorResult<Arrival<unknown>>;
        try {
          const r = iterator.next();
          step = r instanceof Promise ? await r : r;
        } catch (err) {
          if (src.aborted || this.run.signal.aborted) return;
          throw err;
        }
        if (step.done) return;
        // The read may have been under way (waiting for the event to arrive) when a pause came.
        if (this.pausedBy.size > 0) await this.waitWhilePaused(slot);
        if (this.run.signal.aborted) return;
        this.processed++;
        const arrival = step.value;
        const env: Envelope = {
          value: arrival.value,
          born: arrival.at ?? this.run.clock.now(),
          bytes: this.sizeOf(arrival.value),
          // The source holds the first reference until the item is in every queue it goes to.
          lineage: arrival.receipt ? new Lineage(arrival.receipt) : undefined,
        };
        const p = this.emit(env, slot);
        if (p) await p;
        env.lineage?.release();
        if (this.run.yieldEvery > 0 && ++this.sinceYield >= this.run.yieldEvery) {
          this.sinceYield = 0;
          await yieldToEventLoop();
        }
      }
    } finally {
      await iterator.return?.();
    }
  }

  private async runProcessor(): Promise<void> {
    const processor = this.def.create!(this.info);
    const slots: Promise<void>[] = [];
    for (let i = 0; i < this.def.concurrency; i++) slots.push(this.runSlot(processor, this.newSlot()));
    // Every slot settles before the processor closes (a worker must outlive the calls still in it).
    const settled = await Promise.allSettled(slots);
    await processor.close?.();
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  private async runSlot(processor: Processor<unknown, unknown>, slot: Slot): Promise<void> {
    const inbox = this.inbox!;
    const { clock, signal } = this.run;
    const cost = this.def.cost;
    const isSink = this.def.kind === 'sink';
    for (;;) {
      if (this.pausedBy.size > 0) await this.waitWhilePaused(slot);
      if (signal.aborted) return;
      let awaited = false;
      let env = inbox.tryTake();
      if (env === undefined) {
        // Only waiting counts as idle: back-to-back items keep the slot busy without a clock read each.
        this.setState(slot, 'idle');
        const next = await inbox.take(signal);
        if (next === CLOSED) return;
        env = next;
        awaited = true;
      }
      this.setState(slot, 'busy');
      this.processed++;
      const ms = cost === undefined ? 0 : typeof cost === 'number' ? cost : cost(env.value, this.index);
      if (ms > 0) {
        await clock.sleep(ms, signal);
        awaited = true;
      }
      const r = processor.process(env.value, slot.ctx);
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
        await r;
        awaited = true;
      }
      if (isSink) {
        // A clock read per item is a large share of a fast sink's cost; within a synchronous burst
        // the time barely moves, so it is re-read after every wait and every 32 items.
        if (awaited || (++this.sinceClockRead & 31) === 0) this.lastNow = clock.now();
        this.run.recordLatency(this.lastNow - env.born);
      } else if (slot.out.length > 0) {
        const outs = slot.out;
        const lineage = env.lineage;
        for (let i = 0; i < outs.length; i++) {
          const value = outs[i];
          const p = this.emit({ value, born: env.born, bytes: this.sizeOf(value), lineage }, slot);
          if (p) await p;
        }
        outs.length = 0;
      }
      // Released only after the outputs are queued, so the lineage cannot close while they are on the way.
      env.lineage?.release();
      if (this.run.yieldEvery > 0 && ++this.sinceYield >= this.run.yieldEvery) {
        this.sinceYield = 0;
        this.setState(slot, 'idle');
        await yieldToEventLoop();
        this.sinceClockRead = 31; // others ran meanwhile: read the clock for the next item
      }
    }
  }

  private newSlot(): Slot {
    const slot: Slot = {
      state: 'idle',
      out: [],
      ctx: {
        info: this.info,
        emit: (item: unknown) => {
          slot.out.push(item);
        },
        now: () => this.run.clock.now(),
      },
    };
    return slot;
  }

  private setState(slot: Slot, state: SlotState): void {
    if (slot.state === state) return;
    this.accounting.move(slot.state, state);
    slot.state = state;
  }

  private async waitWhilePaused(slot: Slot): Promise<void> {
    const before = slot.state;
    this.setState(slot, 'backpressured');
    while (this.pausedBy.size > 0 && !this.run.signal.aborted && !this.run.sourceSignal.aborted) {
      await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
    }
    this.setState(slot, before);
  }

  /** Sends an item along every outgoing edge; returns a promise only when something had to wait. */
  private emit(env: Envelope, slot: Slot): Promise<void> | undefined {
    let pending: Promise<void>[] | undefined;
    for (const route of this.routes) {
      const g = route.grouping;
      const targets = route.targets;
      if (g.kind === 'all') {
        for (const t of targets) {
          const p = this.deliver(route.edge, t, env, slot);
          if (p) (pending ??= []).push(p);
        }
        continue;
      }
      let target: Instance;
      if (targets.length === 1 || g.kind === 'global') target = targets[0];
      else if (g.kind === 'key') target = targets[hashKey(g.key(env.value)) % targets.length];
      else target = targets[route.next++ % targets.length];
      const p = this.deliver(route.edge, target, env, slot);
      if (p) (pending ??= []).push(p);
    }
    if (!pending) return undefined;
    return pending.length === 1 ? pending[0] : Promise.all(pending).then(() => {});
  }

  private deliver(edge: EdgeRuntime, target: Instance, env: Envelope, slot: Slot): Promise<void> | undefined {
    const inbox = target.inbox!;
    const strategy = edge.strategy;
    if (strategy === 'drop' || strategy === 'sample') {
      if (strategy === 'sample' && inbox.level >= target.high && !edge.keepSample(this.run.sampleEvery)) {
        edge.lose(target, true);
        return undefined;
      }
      // A discarded copy is handled on purpose (counted), so it takes no reference on the lineage.
      if (inbox.tryOffer(env)) {
        edge.sent++;
        env.lineage?.hold();
      } else edge.lose(target, false);
      return undefined;
    }
    edge.sent++;
    if (inbox.tryOffer(env)) {
      env.lineage?.hold();
      return undefined;
    }
    return this.deliverBlocked(inbox, env, slot);
  }

  private async deliverBlocked(inbox: Inbox, env: Envelope, slot: Slot): Promise<void> {
    const before = slot.state;
    this.setState(slot, 'backpressured');
    try {
      await inbox.offer(env, this.run.signal);
      env.lineage?.hold();
    } finally {
      this.setState(slot, before);
    }
  }
}

/** A stable, cheap hash so a key always lands on the same instance. */
export function hashKey(key: string | number): number {
  if (typeof key === 'number' && Number.isSafeInteger(key)) return Math.abs(key) % 2147483647;
  const s = String(key);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
