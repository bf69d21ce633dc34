import { setMaxListeners } from 'node:events';
import { type Clock, realClock, type Timer, VirtualClock } from '../flow/clock.js';
import { RingBuffer } from '../flow/ring-buffer.js';
import { ThrashingDetector } from '../flow/thrashing.js';
import { checkNumber } from '../flow/validate.js';
import { Watermarks } from '../flow/watermarks.js';
import { classifyBackpressure, type TimeTotals } from './accounting.js';
import { findBottleneck } from './bottleneck.js';
import { LatencyHistogram } from './histogram.js';
import { EdgeRuntime, Instance, type RunContext } from './instance.js';
import type { JobGraph } from './job.js';
import type { ComponentMetrics, EdgeMetrics, InstanceMetrics, JobMetrics } from './metrics.js';
import type { BackpressureState, PressureCause, PressureEvent, ThrashingFinding } from './pressure.js';
import { type QueueSpec, STRATEGIES, type Strategy } from './types.js';

export interface RunOptions {
  /** Virtual for simulations and tests, real (the default) for live runs. */
  clock?: Clock;
  /** The strategy of every edge that does not name its own. Default 'propagate'. */
  strategy?: Strategy;
  /** Queue bounds and watermarks for every component that does not set its own. */
  queue?: QueueSpec;
  /** How often metrics are sampled into the history (ms). Default 1000, Flink's per-second view. */
  sampleIntervalMs?: number;
  /** Samples kept per instance. Default 600. */
  historySize?: number;
  /** 'sample' strategy: above the high watermark keep one item in this many. Default 10. */
  sampleEvery?: number;
  /** Thrashing: more than `maxFlips` declare/relieve flips of one queue within `windowMs`. */
  thrashing?: { windowMs?: number; maxFlips?: number };
  /** A queue declared for this long without relief is reported as stuck (ms). Default 10 000. */
  stuckAfterMs?: number;
  /** Pressure events `pressureEvents()` keeps, the newest. Default {@link PRESSURE_EVENTS_KEPT}. */
  pressureEventsKept?: number;
}

/** How many pressure events a run keeps by default (`pressureEvents()`): the newest. */
export const PRESSURE_EVENTS_KEPT = 10_000;

/** One point of an instance's history. */
export interface Sample {
  at: number;
  depth: number;
  bytes: number;
  processed: number;
  busyMs: number;
  idleMs: number;
  backpressuredMs: number;
}

interface QueueWatch {
  instance: Instance;
  watermarks: Watermarks;
  thrashing: ThrashingDetector;
  stopSources: boolean;
  /** Senders to pause under stop-upstream. */
  stopUpstream: Instance[];
}

const DEFAULT_QUEUE = { capacity: 1000, maxBytes: Number.POSITIVE_INFINITY, high: 0.8, low: 0.3 };

/**
 * A running job. Every instance runs as its own async loop on the run's clock; on a VirtualClock the
 * whole run is deterministic and time moves only when the caller advances it.
 */
export class JobRun {
  readonly clock: Clock;
  readonly strategy: Strategy;
  readonly startedAt: number;
  /** Resolves when every instance has finished (finite sources, drained); rejects if one failed. */
  readonly done: Promise<void>;
  private readonly instances: Instance[] = [];
  private readonly edges: EdgeRuntime[] = [];
  private readonly watches = new Map<string, QueueWatch>();
  private readonly causes = new Map<string, PressureCause>();
  private readonly events = new RingBuffer<PressureEvent>();
  private readonly pressureEventsKept: number;
  private declarations = 0;
  private reliefs = 0;
  private readonly history = new Map<string, Sample[]>();
  private readonly latency = new LatencyHistogram();
  private received = 0;
  private readonly abort = new AbortController();
  private readonly sourceStop = new AbortController();
  private readonly sampler: Timer;
  private readonly sampleIntervalMs: number;
  private readonly historySize: number;
  private readonly stuckAfterMs: number;
  private failure: unknown;
  private stoppedAt: number | undefined;

  constructor(
    readonly graph: JobGraph,
    options: RunOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.strategy = options.strategy ?? 'propagate';
    if (!STRATEGIES.includes(this.strategy)) {
      throw new Error(`unknown strategy '${this.strategy}'; use one of ${STRATEGIES.join(', ')}`);
    }
    this.sampleIntervalMs = options.sampleIntervalMs ?? 1000;
    this.historySize = options.historySize ?? 600;
    this.stuckAfterMs = options.stuckAfterMs ?? 10_000;
    const sampleEvery = checkNumber('sampleEvery (keep one item in that many)', options.sampleEvery ?? 10, {
      integer: true,
      min: 1,
    });
    this.pressureEventsKept = checkNumber(
      'pressureEventsKept',
      options.pressureEventsKept ?? PRESSURE_EVENTS_KEPT,
      {
        integer: true,
        min: 1,
      },
    );
    // Every waiting instance listens on these signals; a large job legitimately has many listeners.
    setMaxListeners(0, this.abort.signal, this.sourceStop.signal);
    this.startedAt = this.clock.now();

    const byComponent = this.createInstances(this.runContext(sampleEvery), {
      ...DEFAULT_QUEUE,
      ...options.queue,
    });
    this.connectEdges(byComponent);
    this.watchQueues({
      windowMs: options.thrashing?.windowMs ?? 30_000,
      maxFlips: options.thrashing?.maxFlips ?? 4,
    });

    this.sampler = this.clock.setInterval(() => this.sample(), this.sampleIntervalMs);
    for (const inst of this.instances) inst.start();
    this.done = Promise.all(this.instances.map((i) => i.finished)).then(() => {
      this.sampler.cancel();
      if (this.stoppedAt === undefined) this.stoppedAt = this.clock.now();
      if (this.failure !== undefined) throw this.failure;
    });
    // A failure is reported through `done`; keep an unobserved rejection from crashing the process.
    this.done.catch(() => {});
  }

  /** What every instance shares: the clock, the stop signals, and where sinks report and failures go. */
  private runContext(sampleEvery: number): RunContext {
    return {
      clock: this.clock,
      signal: this.abort.signal,
      sourceSignal: this.sourceStop.signal,
      sampleEvery,
      yieldEvery: this.clock instanceof VirtualClock ? 0 : 512,
      recordLatency: (ms) => {
        this.received++;
        this.latency.record(ms);
      },
      fail: (instance, error) => this.fail(instance, error),
    };
  }

  /** One instance per unit of each component's parallelism, in the graph's order; returns them by component. */
  private createInstances(run: RunContext, queueDefaults: typeof DEFAULT_QUEUE): Map<string, Instance[]> {
    const byComponent = new Map<string, Instance[]>();
    for (const def of this.graph.components) {
      const list: Instance[] = [];
      for (let i = 0; i < def.parallelism; i++) list.push(new Instance(def, i, run, queueDefaults));
      byComponent.set(def.name, list);
      this.instances.push(...list);
    }
    return byComponent;
  }

  /** Gives every sender a route for each outgoing edge, and every receiver its incoming edges. */
  private connectEdges(byComponent: Map<string, Instance[]>): void {
    for (const def of this.graph.edges) {
      const edge = new EdgeRuntime(def, def.strategy ?? this.strategy, byComponent.get(def.to)!);
      this.edges.push(edge);
      for (const sender of byComponent.get(def.from)!) sender.addRoute(edge);
      for (const t of edge.targets) t.incoming.push(edge);
    }
  }

  /** Puts watermarks and a thrashing detector on every inbox, acting on the edges' strategies. */
  private watchQueues(thrashing: { windowMs: number; maxFlips: number }): void {
    const sources = this.instances.filter((i) => i.kind === 'source');
    for (const inst of this.instances) {
      const inbox = inst.inbox;
      if (!inbox) continue;
      // Under stop-upstream only the senders on stop-upstream edges are paused.
      const stopUpstreamFrom = new Set(
        inst.incoming.filter((e) => e.strategy === 'stop-upstream').map((e) => e.def.from),
      );
      const watch: QueueWatch = {
        instance: inst,
        watermarks: new Watermarks({ high: inst.high, low: inst.low, clock: this.clock, name: inbox.id }),
        thrashing: new ThrashingDetector({ ...thrashing, clock: this.clock, name: inbox.id }),
        stopSources: inst.incoming.some((e) => e.strategy === 'stop-sources'),
        stopUpstream: [...inst.upstream].filter((u) => stopUpstreamFrom.has(u.def.name)),
      };
      this.watches.set(inst.id, watch);
      this.actOnCrossings(watch, sources);
    }
  }

  /**
   * Declares and relieves backpressure as the inbox's level crosses its watermarks. The watermarks
   * (declareAfter = relieveAfter = 1 here) only change state at a crossing, so the inbox is asked to
   * call only when one is possible: with only a count bound the marks are whole depths, the high one
   * while clear (reached by an offer) and the low one while declared (reached by a take), and every
   * other change of depth costs no call. A byte bound can move the level on any change: every one calls.
   */
  private actOnCrossings(watch: QueueWatch, sources: Instance[]): void {
    const inbox = watch.instance.inbox!;
    const wm = watch.watermarks;
    const countOnly = !Number.isFinite(inbox.maxBytes);
    const highDepth = Math.ceil(wm.high * inbox.capacity);
    const lowDepth = Math.floor(wm.low * inbox.capacity);
    const aimAtNextCrossing = () => {
      if (!countOnly) return;
      inbox.notifyAtOrAbove = wm.inPressure ? Number.POSITIVE_INFINITY : highDepth;
      inbox.notifyAtOrBelow = wm.inPressure ? lowDepth : -1;
    };
    aimAtNextCrossing();
    inbox.onLevel = (q) => {
      const level = q.level;
      if (wm.inPressure ? level > wm.low : level < wm.high) return;
      const t = wm.update(level);
      if (t === 'declared') this.declare(watch, sources);
      else if (t === 'relieved') this.relieve(watch, sources);
      aimAtNextCrossing();
    };
  }

  /** Instance ids in topological order of their components. */
  get instanceIds(): string[] {
    return this.instances.map((i) => i.id);
  }

  /**
   * Stops the run. With `drain`, the sources stop reading and everything already in the job is
   * processed to the sinks first; without it, every instance stops where it is.
   *
   * On a VirtualClock, draining takes virtual time that nobody else would supply while the caller
   * awaits: `stop({ drain: true })` advances the clock itself, `drainStepMs` (default 1000) at a time,
   * until the job is empty.
   */
  async stop(options: { drain?: boolean; drainStepMs?: number } = {}): Promise<void> {
    if (options.drain) {
      this.sourceStop.abort(new Error('run stopped'));
      for (const inst of this.instances) if (inst.kind === 'source') inst.wake();
      if (this.clock instanceof VirtualClock) await this.advanceUntilDone(this.clock, options.drainStepMs);
    } else {
      this.halt();
    }
    await this.done.catch(() => {});
    if (this.failure !== undefined) throw this.failure;
  }

  private async advanceUntilDone(clock: VirtualClock, stepMs = 1000): Promise<void> {
    if (!(stepMs > 0)) throw new RangeError(`drainStepMs must be a positive number of ms (got ${stepMs})`);
    let finished = false;
    const mark = () => {
      finished = true;
    };
    this.done.then(mark, mark);
    while (!finished) await clock.advance(stepMs);
  }

  /** The backpressure state: declared while any queue is above its high watermark, with the causes. */
  backpressure(): BackpressureState {
    return {
      state: this.causes.size > 0 ? 'declared' : 'clear',
      causes: [...this.causes.values()],
      declarations: this.declarations,
      reliefs: this.reliefs,
    };
  }

  /**
   * The newest declarations and reliefs, oldest first: at most `pressureEventsKept`, so a job that
   * thrashes for days holds a bounded log; `backpressure()` counts every one since the start.
   */
  pressureEvents(): PressureEvent[] {
    return [...this.events];
  }

  private recordPressure(event: PressureEvent): void {
    if (this.events.length === this.pressureEventsKept) this.events.shift();
    this.events.push(event);
  }

  /** The sampled history of one instance (by id, e.g. `score#1`). */
  samples(instanceId: string): readonly Sample[] {
    return this.history.get(instanceId) ?? [];
  }

  /** Ids of the instances each instance sends to. */
  topology(): Map<string, string[]> {
    return new Map(this.instances.map((i) => [i.id, [...i.downstream].map((d) => d.id)]));
  }

  /** Thrashing verdict per queue that has ever been declared (roots first). */
  thrashing(): ThrashingFinding[] {
    return this.thrashingFrom(
      this.instances.map((i) => this.instanceMetrics(i, this.clock.now(), this.sampleIntervalMs)),
    );
  }

  private thrashingFrom(metrics: InstanceMetrics[]): ThrashingFinding[] {
    const now = this.clock.now();
    const byId = new Map(metrics.map((m) => [m.id, m]));
    const findings: ThrashingFinding[] = [];
    for (const w of this.watches.values()) {
      if (w.watermarks.declaredCount === 0) continue;
      const report = w.thrashing.evaluate(now);
      const m = byId.get(w.instance.id);
      const root = m ? m.backPressuredTimeMsPerSecond / 1000 <= 0.1 : true;
      const heldMs = w.watermarks.inPressure ? w.watermarks.currentStateMs(now) : 0;
      let verdict: ThrashingFinding['verdict'] = report.thrashing ? 'thrashing' : 'ok';
      let summary = report.summary;
      if (!report.thrashing && heldMs >= this.stuckAfterMs) {
        const working = (m?.processed ?? 0) > 0;
        verdict = working ? 'sustained' : 'stuck';
        summary = working
          ? `sustained: backpressure declared ${Math.round(heldMs)} ms ago and never relieved; the instance works at capacity but cannot catch up`
          : `stuck: backpressure declared ${Math.round(heldMs)} ms ago and the instance processed nothing in the last window; it stopped working`;
      }
      findings.push({
        instance: w.instance.id,
        queue: w.instance.inbox!.id,
        verdict,
        flips: report.flips,
        declarations: w.watermarks.declaredCount,
        summary,
        root,
      });
    }
    return findings.sort((a, b) => Number(b.root) - Number(a.root));
  }

  /**
   * Measurements over the last `windowMs` (default: one sample interval, Flink's per-second view;
   * `Infinity` for the whole run).
   */
  metrics(windowMs = this.sampleIntervalMs): JobMetrics {
    const now = this.stoppedAt ?? this.clock.now();
    const elapsedMs = now - this.startedAt;
    const instances = this.instances.map((inst) => this.instanceMetrics(inst, now, windowMs));
    const components: ComponentMetrics[] = this.graph.components.map((c) => {
      const own = instances.filter((m) => m.component === c.name);
      return {
        name: c.name,
        kind: c.kind,
        parallelism: c.parallelism,
        headroom: Math.min(...own.map((m) => m.headroom)),
        utilization: Math.max(...own.map((m) => m.utilization)),
        processed: own.reduce((s, m) => s + m.processedTotal, 0),
      };
    });
    const edges: EdgeMetrics[] = this.edges.map((e) => ({
      from: e.def.from,
      to: e.def.to,
      strategy: e.strategy,
      sent: e.sent,
      dropped: e.dropped,
      sampledOut: e.sampledOut,
      droppedAt: Object.fromEntries(e.droppedAt),
    }));
    const dropped = edges.reduce((s, e) => s + e.dropped + e.sampledOut, 0);
    return {
      job: this.graph.name,
      at: now,
      elapsedMs,
      windowMs: Math.min(windowMs, elapsedMs),
      instances,
      components,
      edges,
      headroom: Math.min(...instances.map((m) => m.headroom)),
      sources: {
        read: this.instances.filter((i) => i.kind === 'source').reduce((s, i) => s + i.processed, 0),
      },
      sinks: {
        received: this.received,
        throughput: elapsedMs > 0 ? (this.received * 1000) / elapsedMs : 0,
        latencyMs: {
          mean: this.latency.mean,
          p50: this.latency.quantile(0.5),
          p99: this.latency.quantile(0.99),
          max: this.latency.max,
        },
      },
      dropped,
      backpressure: this.backpressure(),
      thrashing: this.thrashingFrom(instances),
      bottleneck: findBottleneck(instances, this.topology(), edges),
    };
  }

  private instanceMetrics(inst: Instance, now: number, windowMs: number): InstanceMetrics {
    const totals = inst.accounting.flush();
    const base = this.baseline(inst, now - windowMs);
    const spanMs = now - base.at;
    const d = (k: keyof TimeTotals) => totals[k] - base[k];
    const perSecond = (ms: number) => (spanMs > 0 ? (ms * 1000) / spanMs : 0);
    const busy = perSecond(d('busyMs'));
    const bp = perSecond(d('backpressuredMs'));
    const utilization = Math.min(1, busy / 1000);
    const processed = inst.processed - base.processed;
    const inbox = inst.inbox;
    const watch = this.watches.get(inst.id);
    return {
      id: inst.id,
      component: inst.def.name,
      kind: inst.kind,
      index: inst.index,
      queue: inbox
        ? {
            depth: inbox.depth,
            bytes: inbox.bytes,
            capacity: inbox.capacity,
            maxBytes: inbox.maxBytes,
            maxDepth: inbox.maxDepth,
            level: inbox.level,
            inPressure: watch?.watermarks.inPressure ?? false,
            credits: inbox.credits.available,
            waitingSenders: inbox.credits.waiting,
          }
        : undefined,
      processed,
      processedTotal: inst.processed,
      busyTimeMsPerSecond: busy,
      idleTimeMsPerSecond: perSecond(d('idleMs')),
      backPressuredTimeMsPerSecond: bp,
      backpressure: classifyBackpressure(bp / 1000),
      utilization,
      headroom: 1 - utilization,
      capacityPerSecond: d('busyMs') > 0 ? (processed * 1000) / d('busyMs') : undefined,
      paused: inst.paused,
    };
  }

  /** The latest sample at or before `from`, or the run's start. */
  private baseline(inst: Instance, from: number): Sample {
    const start: Sample = {
      at: this.startedAt,
      depth: 0,
      bytes: 0,
      processed: 0,
      busyMs: 0,
      idleMs: 0,
      backpressuredMs: 0,
    };
    const list = this.history.get(inst.id);
    if (!list || !Number.isFinite(from)) return start;
    let best = start;
    for (const s of list) {
      if (s.at <= from) best = s;
      else break;
    }
    return best;
  }

  private sample(): void {
    const at = this.clock.now();
    for (const inst of this.instances) {
      const t = inst.accounting.flush();
      let list = this.history.get(inst.id);
      if (!list) this.history.set(inst.id, (list = []));
      list.push({
        at,
        depth: inst.inbox?.depth ?? 0,
        bytes: inst.inbox?.bytes ?? 0,
        processed: inst.processed,
        busyMs: t.busyMs,
        idleMs: t.idleMs,
        backpressuredMs: t.backpressuredMs,
      });
      if (list.length > this.historySize) list.shift();
    }
  }

  private declare(watch: QueueWatch, sources: Instance[]): void {
    const inst = watch.instance;
    const at = this.clock.now();
    const level = inst.inbox!.level;
    this.causes.set(inst.id, {
      instance: inst.id,
      component: inst.def.name,
      queue: inst.inbox!.id,
      level,
      since: at,
    });
    this.declarations++;
    this.recordPressure({ at, type: 'declared', instance: inst.id, queue: inst.inbox!.id, level });
    watch.thrashing.record('declared', at);
    if (watch.stopSources) for (const s of sources) s.pause(inst.id);
    for (const u of watch.stopUpstream) u.pause(inst.id);
  }

  private relieve(watch: QueueWatch, sources: Instance[]): void {
    const inst = watch.instance;
    const at = this.clock.now();
    this.causes.delete(inst.id);
    this.reliefs++;
    this.recordPressure({
      at,
      type: 'relieved',
      instance: inst.id,
      queue: inst.inbox!.id,
      level: inst.inbox!.level,
    });
    watch.thrashing.record('relieved', at);
    if (watch.stopSources) for (const s of sources) s.resume(inst.id);
    for (const u of watch.stopUpstream) u.resume(inst.id);
  }

  private fail(instance: Instance, error: unknown): void {
    if (this.failure !== undefined) return;
    const message = error instanceof Error ? error.message : String(error);
    this.failure = new Error(`instance ${instance.id} failed: ${message}`, { cause: error });
    this.halt();
  }

  private halt(): void {
    if (this.abort.signal.aborted) return;
    this.stoppedAt = this.clock.now();
    this.sampler.cancel();
    this.abort.abort(new Error('run stopped'));
    this.sourceStop.abort(new Error('run stopped'));
    for (const inst of this.instances) {
      inst.inbox?.abort();
      inst.wake();
    }
  }
}

/** Starts a validated job. */
export function runJob(graph: JobGraph, options: RunOptions = {}): JobRun {
  return new JobRun(graph, options);
}
