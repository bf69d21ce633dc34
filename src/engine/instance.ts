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
  /** What the current item emitted: out[0..outCount) (reused, so a hop allocates no array). */
  out: unknown[];
  outCount: number;
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
  /** Set when everything this instance emits goes to one blocking inbox: emit's fast path. */
  private sole: { edge: EdgeRuntime; inbox: Inbox } | undefined;
  /**
   * Items for `sole` not yet moved: with one slot they travel in groups (one credit request and one
   * level check per group), moved when the group is full and before the instance waits for anything.
   */
  private readonly staged: Envelope[] = [];
  /**
   * How many of `staged` are in use: the array keeps its length (emptying it with `length = 0` dropped
   * its backing store, so every group regrew it, ~40 bytes of garbage per item).
   */
  private stagedCount = 0;
  private staging = false;
  processed = 0;
  private readonly pausedBy = new Set<string>();
  private resumeWaiters: Array<() => void> = [];
  private sinceYield = 0;
  private sinceClockRead = 0;
  private lastNow = 0;
  /**
   * The run's and the sources' abort signals as plain flags: `signal.aborted` is a getter with a
   * receiver check, which cost more than the rest of a hop's bookkeeping when read for every item.
   */
  private stopped = false;
  private sourceStopped = false;
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
    const only = this.routes.length === 1 && edge.targets.length === 1;
    const blocking = edge.strategy !== 'drop' && edge.strategy !== 'sample';
    this.sole = only && blocking ? { edge, inbox: edge.targets[0].inbox! } : undefined;
    this.staging = this.sole !== undefined && this.def.concurrency === 1;
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
    const { signal, sourceSignal } = this.run;
    this.stopped = signal.aborted;
    this.sourceStopped = sourceSignal.aborted;
    if (!this.stopped) signal.addEventListener('abort', () => (this.stopped = true), { once: true });
    if (!this.sourceStopped)
      sourceSignal.addEventListener('abort', () => (this.sourceStopped = true), { once: true });
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
        if (this.pausedBy.size > 0) await this.drainStagedThenWaitWhilePaused(slot);
        if (this.stopped) return;
        if (this.sourceStopped) {
          await this.drainStaged(slot); // read items still go downstream on a draining stop
          return;
        }
        let step: IteratorResult<Arrival<unknown>>;
        let awaited = false;
        try {
          const r = iterator.next();
          if (r instanceof Promise) {
            if (this.stagedCount > 0) await this.drainStaged(slot);
            step = await r;
            awaited = true;
          } else step = r;
        } catch (err) {
          if (this.stopped) return;
          if (this.sourceStopped) {
            await this.drainStaged(slot);
            return;
          }
          throw err;
        }
        if (step.done) {
          await this.drainStaged(slot);
          return;
        }
        // The read may have been under way (waiting for the event to arrive) when a pause came.
        if (this.pausedBy.size > 0) await this.drainStagedThenWaitWhilePaused(slot);
        if (this.stopped) return;
        this.processed++;
        const arrival = step.value;
        // As in the sink: within a synchronous burst of reads the clock barely moves, so it is read
        // after every wait and every 32 items rather than once per item.
        if (
          arrival.at === undefined &&
          (awaited || (++this.sinceClockRead & 31) === 0 || this.processed === 1)
        ) {
          this.lastNow = this.run.clock.now();
        }
        const env: Envelope = {
          value: arrival.value,
          born: arrival.at ?? this.lastNow,
          bytes: this.sizeOf(arrival.value),
          // The source holds the first reference until the item is in every queue it goes to.
          lineage: arrival.receipt ? new Lineage(arrival.receipt) : undefined,
        };
        const lineage = env.lineage; // env itself may be reused downstream once queued
        const p = this.emit(env, slot);
        if (p) {
          await p;
          this.sinceClockRead = 31;
        }
        lineage?.release();
        if (this.run.yieldEvery > 0 && ++this.sinceYield >= this.run.yieldEvery) {
          this.sinceYield = 0;
          if (this.stagedCount > 0) await this.drainStaged(slot);
          await yieldToEventLoop();
          this.sinceClockRead = 31;
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
      if (this.pausedBy.size > 0) await this.drainStagedThenWaitWhilePaused(slot);
      if (this.stopped) return;
      let awaited = false;
      let env = inbox.tryTake();
      if (env === undefined) {
        if (this.stagedCount > 0) await this.drainStaged(slot);
        // Only waiting counts as idle: back-to-back items keep the slot busy without a clock read each.
        this.setState(slot, 'idle');
        const next = await inbox.take(signal);
        if (next === CLOSED) return;
        env = next;
        awaited = true;
      }
      if (slot.state !== 'busy') this.setState(slot, 'busy');
      this.processed++;
      // The envelope may travel on as this instance's first output: what it came with is noted first.
      const inLineage = env.lineage;
      const ms = cost === undefined ? 0 : typeof cost === 'number' ? cost : cost(env.value, this.index);
      if (ms > 0) {
        if (this.stagedCount > 0) await this.drainStaged(slot);
        await clock.sleep(ms, signal);
        awaited = true;
      }
      const r = processor.process(env.value, slot.ctx);
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
        if (this.stagedCount > 0) await this.drainStaged(slot);
        await r;
        awaited = true;
      }
      if (isSink) {
        // A clock read per item is a large share of a fast sink's cost; within a synchronous burst
        // the time barely moves, so it is re-read after every wait and every 32 items.
        if (awaited || (++this.sinceClockRead & 31) === 0) this.lastNow = clock.now();
        this.run.recordLatency(this.lastNow - env.born);
      } else if (slot.outCount > 0) {
        const outs = slot.out;
        const n = slot.outCount;
        const born = env.born;
        slot.outCount = 0;
        for (let i = 0; i < n; i++) {
          const value = outs[i];
          outs[i] = undefined; // no reference kept past the hop
          // The input's envelope is this instance's alone once taken (emit copies it for a second
          // receiver), so the first output travels in it: a 1:1 hop allocates nothing.
          let out: Envelope;
          if (i === 0) {
            out = env;
            out.value = value;
            out.bytes = this.sizeOf(value);
          } else out = { value, born, bytes: this.sizeOf(value), lineage: inLineage };
          const p = this.emit(out, slot);
          if (p) await p;
        }
      }
      // Released only after the outputs are queued, so the lineage cannot close while they are on the way.
      inLineage?.release();
      if (this.run.yieldEvery > 0 && ++this.sinceYield >= this.run.yieldEvery) {
        this.sinceYield = 0;
        if (this.stagedCount > 0) await this.drainStaged(slot);
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
      outCount: 0,
      ctx: {
        info: this.info,
        emit: (item: unknown) => {
          slot.out[slot.outCount++] = item;
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

  private async drainStagedThenWaitWhilePaused(slot: Slot): Promise<void> {
    await this.drainStaged(slot);
    await this.waitWhilePaused(slot);
  }

  private async waitWhilePaused(slot: Slot): Promise<void> {
    const before = slot.state;
    this.setState(slot, 'backpressured');
    while (this.pausedBy.size > 0 && !this.run.signal.aborted && !this.run.sourceSignal.aborted) {
      await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
    }
    this.setState(slot, before);
  }

  /**
   * Sends an item along every outgoing edge; returns a promise only when something had to wait. Each
   * receiver gets an envelope of its own (the first the original, the others copies), so a receiver
   * may reuse the one it took.
   */
  private emit(env: Envelope, slot: Slot): Promise<void> | undefined {
    const sole = this.sole;
    if (sole !== undefined) {
      sole.edge.sent++;
      // An item with a lineage must be in the queue before its sender lets go of it: never staged.
      if (this.staging && env.lineage === undefined) {
        this.staged[this.stagedCount++] = env;
        if (this.stagedCount < STAGE_SIZE) return undefined;
        return this.flushStaged(slot);
      }
      const before = this.flushStaged(slot);
      if (before) return before.then(() => this.offerOne(sole.inbox, env, slot));
      return this.offerOne(sole.inbox, env, slot);
    }
    let pending: Promise<void>[] | undefined;
    let sent = 0;
    for (const route of this.routes) {
      const g = route.grouping;
      const targets = route.targets;
      if (g.kind === 'all') {
        for (const t of targets) {
          const own =
            sent++ === 0 ? env : { value: env.value, born: env.born, bytes: env.bytes, lineage: env.lineage };
          const p = this.deliver(route.edge, t, own, slot);
          if (p) (pending ??= []).push(p);
        }
        continue;
      }
      let target: Instance;
      if (targets.length === 1 || g.kind === 'global') target = targets[0];
      else if (g.kind === 'key') target = targets[hashKey(g.key(env.value)) % targets.length];
      else target = targets[route.next++ % targets.length];
      const own =
        sent++ === 0 ? env : { value: env.value, born: env.born, bytes: env.bytes, lineage: env.lineage };
      const p = this.deliver(route.edge, target, own, slot);
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

  private offerOne(inbox: Inbox, env: Envelope, slot: Slot): Promise<void> | undefined {
    if (!inbox.tryOffer(env)) return this.deliverBlocked(inbox, env, slot);
    env.lineage?.hold();
    return undefined;
  }

  /** Moves the staged items (none has a lineage); returns a promise only when some had to wait for room. */
  private flushStaged(slot: Slot): Promise<void> | undefined {
    const staged = this.staged;
    const count = this.stagedCount;
    if (count === 0) return undefined;
    const inbox = this.sole!.inbox;
    const moved = inbox.tryOfferMany(staged, count);
    const rest = moved === count ? undefined : staged.slice(moved, count);
    // No reference kept past the hand-off (a value may be large); the slots are reused.
    for (let i = 0; i < count; i++) staged[i] = undefined as unknown as Envelope;
    this.stagedCount = 0;
    if (rest === undefined) return undefined;
    return this.deliverBlockedGroup(inbox, rest, slot);
  }

  /** Before any wait: nothing may sit in the stage while this instance is not running. */
  private async drainStaged(slot: Slot): Promise<void> {
    const p = this.flushStaged(slot);
    if (p) await p;
  }

  private async deliverBlockedGroup(inbox: Inbox, envs: Envelope[], slot: Slot): Promise<void> {
    const before = slot.state;
    this.setState(slot, 'backpressured');
    try {
      await inbox.offerAll(envs, this.run.signal);
    } finally {
      this.setState(slot, before);
    }
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

/** How many items a single-slot instance moves to its one downstream inbox at a time. */
const STAGE_SIZE = 32;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
