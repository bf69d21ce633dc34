import { EventEmitter } from 'node:events';
import type { FetchedPartition } from '../client/fetcher.js';
import type { OffsetToCommit } from '../client/group.js';
import type { Clock, Timer } from '../flow/clock.js';
import {
  AimdLimit,
  type ConcurrencyLimit,
  GradientLimit,
  Limiter,
  type LimiterRelease,
} from '../flow/concurrency.js';
import { Credits } from '../flow/credits.js';
import { RingBuffer } from '../flow/ring-buffer.js';
import type { ThrashingReport } from '../flow/thrashing.js';
import type { RecordOutcome, RecordTrace, RecordTracer } from '../tracing/hooks.js';
import { backoffMs } from './backoff.js';
import { type ConsumerRuntimeOptions, type ResolvedConfig, resolveConfig } from './config.js';
import { FixedLimit } from './fixed-limit.js';
import { OffsetTracker, type TrackedOffset } from './offset-tracker.js';
import { type PauseReason, SinkHealth, type SinkHealthSnapshot } from './sink-health.js';
import type {
  ConsumerRecord,
  DeadLetterPublisher,
  RecordSource,
  Sink,
  TopicPartition,
  TransactionCommitter,
} from './types.js';
import { Wakeup } from './wakeup.js';

/** Why the fetch loop is not fetching right now ('fetching' when it is). */
export type FetchState =
  | 'idle'
  | 'fetching'
  | 'no-credits'
  | 'paused-by-hand'
  | 'paused-by-policy'
  | 'no-partitions'
  | 'deferred-cap'
  /** Exactly-once: waiting for the records in flight to finish so the transaction can end. */
  | 'ending-transaction'
  | 'stopped';

export interface PartitionStats {
  topic: string;
  partition: number;
  /** Last offset committed to the group (next record to read), null before the first commit. */
  committed: string | null;
  /** What would be committed now: the end of the contiguous completed run. */
  committable: string | null;
  /** Records of this partition held (queued, running, backing off). */
  inFlight: number;
  /** Completed records waiting behind an unfinished one. */
  deferred: number;
  /** Offset of the unfinished record holding commits back, if any. */
  gapAt: string | null;
  paused: boolean;
  pausedReason: 'hand' | 'deferred-cap' | 'revoking' | null;
  consumed: number;
}

/** Everything the runtime knows about itself, as plain data (what the lab service and metrics read). */
export interface ConsumerStats {
  state: 'created' | 'running' | 'stopping' | 'stopped';
  fetchState: FetchState;
  inFlightRecords: number;
  /**
   * Records held but not handed to the sink (queued behind their lane, or waiting out a pause by hand):
   * while paused, what resume hands to the sink first.
   */
  heldRecords: number;
  inFlightBytes: number;
  maxInFlight: number;
  maxInFlightBytes: number;
  /** Most records one fetch hands over. */
  maxPollRecords: number;
  creditsFree: { records: number; bytes: number };
  /** Most records / bytes ever held at once. */
  peakInFlightRecords: number;
  peakInFlightBytes: number;
  /** Records completed by the sink (including dead-lettered and skipped ones). */
  consumed: number;
  /** Records completed per second, over the last 5 s. */
  ratePerSec: number;
  fetches: number;
  fetchErrors: number;
  /** Records fetched past the free credits and handed back to the broker (rewound). */
  rewound: number;
  commits: number;
  commitErrors: number;
  /** Exactly-once: transactions aborted (after a failed write or commit); their records were read again. */
  aborts: number;
  retries: number;
  deadLettered: number;
  deadLetterErrors: number;
  skipped: number;
  /** Records given up on (revocation or shutdown deadline): not committed, another member redoes them. */
  abandoned: number;
  sinkErrors: number;
  sinkLatency: SinkHealthSnapshot;
  concurrency: { limit: number; active: number; adaptive: boolean };
  ordering: string;
  paused: {
    byHand: boolean;
    byPolicy: boolean;
    policyReasons: PauseReason[];
    partitions: TopicPartition[];
  };
  thrashing: ThrashingReport | null;
  partitions: PartitionStats[];
}

interface Lane {
  queue: RingBuffer<Work>;
  active: Work | null;
  part: PartitionState;
  id: string;
}

type WorkState = 'queued' | 'running' | 'backoff' | 'dead-lettering' | 'done' | 'abandoned';

interface Work {
  record: ConsumerRecord;
  part: PartitionState;
  size: number;
  entry: TrackedOffset;
  lane: Lane;
  attempts: number;
  state: WorkState;
  timer: Timer | null;
  abort: AbortController | null;
  /** The tracer's handle on this record (undefined when tracing is off or the record is not sampled). */
  trace: RecordTrace | undefined;
}

class PartitionState {
  readonly key: string;
  readonly tracker: OffsetTracker;
  readonly works = new Set<Work>();
  readonly lanes = new Map<string, Lane>();
  revoking = false;
  pausedByHand = false;
  committed: bigint | null = null;
  /** The tracker's `released` count the last successful commit covered. */
  releasedAtCommit = 0;
  consumed = 0;
  /** The first offset this runtime took from the partition: where an abort rewinds to before any commit. */
  firstTaken: bigint | null = null;
  readonly drained = new Wakeup();

  constructor(
    readonly topic: string,
    readonly partition: number,
    start: bigint | null = null,
  ) {
    this.key = tpKey(topic, partition);
    this.tracker = new OffsetTracker(start);
  }
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
/** What a record costs against the byte credits: its payloads plus per-record overhead in memory. */
export const RECORD_OVERHEAD_BYTES = 64;
/** How long one partition's records may keep the others' out of the sink before the window is shared. */
export const TURN_BUDGET_MS = 1000;
const recordBytes = (r: ConsumerRecord): number => {
  let n = RECORD_OVERHEAD_BYTES + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers) n += h.key.length + (h.value?.length ?? 0);
  return n;
};

/**
 * The backpressure-aware consumer runtime.
 *
 * A credit loop decides what is fetched: at most `maxInFlight` records and `maxInFlightBytes` bytes are
 * held at any time, each fetch asks for no more bytes than the free credits allow, records beyond the
 * credits are handed back (the fetch position is rewound to them), and with no credits the loop stops
 * fetching until the sink gives some back. Group membership is kept alive by the source's own
 * heartbeat timer meanwhile, so a slow sink turns into lag in the broker, never into memory.
 *
 * Records are dispatched to the sink per ordering lane (partition, key or none) within a concurrency
 * limit (fixed or adaptive), retried with exponential backoff and jitter, dead-lettered after the last
 * attempt, and their offsets committed only once they and everything before them completed.
 */
/**
 * The runtime's events and their payloads: `runtime.on('commit', (e) => …)` is typed, and a misspelt
 * event name does not compile.
 */
export interface ConsumerRuntimeEvents {
  /** The concurrency limit changed (adaptive limits). */
  concurrency: [{ limit: number }];
  /** Pausing and resuming alternate too often: the sink cannot keep up, and pausing is only hiding it. */
  thrashing: [ThrashingReport];
  /** A shutdown step gave up at its deadline (one line saying which and why). */
  gaveUp: [string];
  /** Leaving the group or closing the source failed. */
  sourceError: [unknown];
  stopped: [ShutdownReport];
  paused: [
    | { by: 'hand'; partitions: TopicPartition[] | null }
    | { by: 'policy'; reasons: PauseReason[]; sink: SinkHealthSnapshot },
  ];
  resumed: [{ by: 'hand'; partitions: TopicPartition[] | null } | { by: 'policy'; sink: SinkHealthSnapshot }];
  commit: [{ offsets: OffsetToCommit[] }];
  commitError: [unknown];
  /** Exactly-once: the open transaction was aborted after `error`; its records are read again. */
  abort: [{ error: unknown }];
  assigned: [{ partitions: TopicPartition[] }];
  revoking: [{ partitions: TopicPartition[] }];
  revoked: [{ partitions: TopicPartition[] }];
  /** A fetch failed, or one partition of it came back with an error. */
  fetchError: [unknown];
  retry: [{ record: ConsumerRecord; attempt: number; delayMs: number; error: unknown }];
  /** Retries exhausted and no dead-letter publisher: the record is skipped (and committed). */
  skipped: [{ record: ConsumerRecord; error: unknown; attempts: number }];
  deadLetter: [{ record: ConsumerRecord; error: unknown; attempts: number }];
  deadLetterError: [{ record: ConsumerRecord; error: unknown }];
}

export class ConsumerRuntime extends EventEmitter<ConsumerRuntimeEvents> {
  readonly source: RecordSource;
  readonly sink: Sink;
  private readonly cfg: ResolvedConfig;
  private readonly deadLetter: DeadLetterPublisher | undefined;
  private readonly tracer: RecordTracer | undefined;
  private readonly recordCredits: Credits;
  private readonly byteCredits: Credits;
  private readonly limiter: Limiter;
  private readonly adaptive: boolean;
  private readonly health: SinkHealth;
  private readonly parts = new Map<string, PartitionState>();
  private readonly ready = new RingBuffer<Lane>(64);
  /** Lanes of partitions paused by hand, set aside in dispatch order until resumed. */
  private parked: Lane[] = [];
  private readonly wake = new Wakeup();
  private state: ConsumerStats['state'] = 'created';
  private fetchState: FetchState = 'idle';
  private pausedByHand = false;
  private heldRecords = 0;
  private heldBytes = 0;
  private avgRecordBytes: number;
  private loop: Promise<void> | null = null;
  private stopping: Promise<ShutdownReport> | null = null;
  private commitTimer: Timer | null = null;
  private healthTimer: Timer | null = null;
  private committing: Promise<void> | null = null;
  private readonly transactions: TransactionCommitter | undefined;
  /** Exactly-once: fetching stops while the records in flight finish and the transaction ends. */
  private ending = false;
  /** Exactly-once: the records in flight finished; nothing more is dispatched until the transaction ends. */
  private sealed = false;
  /** Woken whenever a record is released (finished or given up on). */
  private readonly settled = new Wakeup();
  /** Exactly-once: why the open transaction must abort (a failed write, a record given up on mid-write). */
  private txnFailure: unknown = null;
  /** Exactly-once: failed attempts per record across aborts (the record is re-read after each abort). */
  private readonly txnAttempts = new Map<string, number>();
  private rotate = 0;
  private fetchCursor = 0;
  private askAll = false;
  /** Records per record batch, averaged over fetches (a partition answers in whole batches): 0 until known. */
  private avgBatchRecords = 0;
  private readonly rateSamples: { at: number; consumed: number }[] = [];
  private readonly counters = {
    consumed: 0,
    fetches: 0,
    fetchErrors: 0,
    rewound: 0,
    commits: 0,
    commitErrors: 0,
    aborts: 0,
    retries: 0,
    deadLettered: 0,
    deadLetterErrors: 0,
    skipped: 0,
    abandoned: 0,
    sinkErrors: 0,
    peakInFlightRecords: 0,
    peakInFlightBytes: 0,
  };

  constructor(options: ConsumerRuntimeOptions) {
    super();
    this.cfg = resolveConfig(options);
    this.source = options.source;
    this.sink = options.sink;
    this.deadLetter = options.deadLetter;
    this.transactions = options.transactions;
    this.tracer = options.tracer;
    this.recordCredits = new Credits({
      initial: this.cfg.maxInFlight,
      max: this.cfg.maxInFlight,
      name: 'consumer records',
    });
    this.byteCredits = new Credits({
      initial: this.cfg.maxInFlightBytes,
      max: this.cfg.maxInFlightBytes,
      name: 'consumer bytes',
    });
    const c = this.cfg.concurrency;
    let limit: ConcurrencyLimit;
    if (typeof c === 'number') {
      limit = new FixedLimit(c);
      this.adaptive = false;
    } else {
      const bounds = { initial: c.initial, min: c.min, max: c.max };
      limit =
        c.adaptive === 'aimd'
          ? new AimdLimit({ ...bounds, latencyThresholdMs: c.latencyThresholdMs })
          : new GradientLimit(bounds);
      this.adaptive = true;
    }
    this.limiter = new Limiter({ limit, clock: this.cfg.clock });
    limit.onChange((n) => {
      this.emit('concurrency', { limit: n });
      this.dispatch();
    });
    this.health = new SinkHealth(this.cfg.clock, this.cfg.pausePolicy);
    this.health.thrashing?.onChange((report) => this.emit('thrashing', report));
    this.avgRecordBytes = this.cfg.initialRecordBytes;
  }

  /** Joins (through the source), then fetches, dispatches and commits until `stop()`. */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`consumer runtime: start() called when ${this.state}`);
    const clock = this.cfg.clock;
    // Exactly-once: the producer's epoch first, which fences an older instance of the same job.
    if (this.transactions) await this.transactions.init();
    this.state = 'running';
    this.commitTimer = clock.setInterval(
      () => void this.commitNow().catch(() => {}),
      this.cfg.commitIntervalMs,
    );
    this.healthTimer = clock.setInterval(() => this.tick(), 250);
    try {
      await this.source.start({
        onAssign: (partitions) => this.onAssign(partitions),
        onRevoke: (partitions) => this.onRevoke(partitions),
      });
    } catch (err) {
      this.state = 'stopped';
      this.commitTimer.cancel();
      this.healthTimer.cancel();
      throw err;
    }
    this.loop = this.fetchLoop();
  }

  /**
   * Stops fetching, lets in-flight records finish (up to `shutdownDrainTimeoutMs`), commits what
   * completed, leaves the group and closes the sink, each of the last three bounded by
   * `shutdownStepTimeoutMs`: with the broker gone, `stop()` still resolves within
   * drain + 3 × step, says in the report (and a `gaveUp` event per step) what it gave up on, and leaves
   * no connection or timer behind. Calling it again returns the same report.
   */
  stop(): Promise<ShutdownReport> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<ShutdownReport> {
    const clock = this.cfg.clock;
    const started = clock.now();
    const report: ShutdownReport = {
      uncommitted: 0,
      abandoned: 0,
      committed: true,
      left: true,
      gaveUp: [],
      elapsedMs: 0,
    };
    const gaveUp = (line: string) => {
      report.gaveUp.push(line);
      this.emit('gaveUp', line);
    };
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.wake.notify();
    const step = this.cfg.shutdownStepTimeoutMs;
    if (wasRunning) {
      // A fetch out to a dead broker can hang until its request timeout: the drain deadline covers it.
      const drainBy = started + this.cfg.shutdownDrainTimeoutMs;
      await within(clock, this.loop ?? Promise.resolve(), this.cfg.shutdownDrainTimeoutMs);
      const abandonedBefore = this.counters.abandoned;
      await this.drain([...this.parts.values()], Math.max(0, drainBy - clock.now()));
      report.abandoned = this.counters.abandoned - abandonedBefore;
      if (report.abandoned > 0) {
        gaveUp(
          `${report.abandoned} records still in the sink after the ${this.cfg.shutdownDrainTimeoutMs} ms drain were abandoned`,
        );
      }
      const commit = await within(clock, this.commitNow(), step);
      if (commit.outcome !== 'done') {
        report.committed = false;
        gaveUp(
          commit.outcome === 'timeout'
            ? `final commit did not finish within ${step} ms (broker unreachable?)`
            : `final commit failed: ${errorMessage(commit.error)}`,
        );
      }
      report.uncommitted = this.uncommittedRecords();
      // Leaving revokes every partition through onRevoke, which sees 'stopping' and does not drain or
      // commit again: both just happened, within their own bounds.
      const leave = await within(clock, this.source.stop(), step);
      if (leave.outcome !== 'done') {
        report.left = false;
        if (leave.outcome === 'timeout') {
          gaveUp(`leaving the group did not finish within ${step} ms; the session timeout will remove us`);
        } else this.emit('sourceError', leave.error);
      }
      // Whatever leaving did, no socket or retry of ours outlives stop().
      this.source.close?.();
    }
    this.commitTimer?.cancel();
    this.healthTimer?.cancel();
    this.limiter.close();
    this.state = 'stopped';
    this.fetchState = 'stopped';
    for (const [what, close] of [
      ['the sink', () => this.sink.close?.()],
      ['the dead-letter publisher', () => this.deadLetter?.close?.()],
    ] as const) {
      const closed = await within(clock, Promise.resolve().then(close), step);
      if (closed.outcome === 'timeout') gaveUp(`closing ${what} did not finish within ${step} ms`);
      if (closed.outcome === 'failed') this.emit('sourceError', closed.error);
    }
    report.elapsedMs = clock.now() - started;
    this.emit('stopped', report);
    return report;
  }

  /**
   * Records taken from the broker whose offsets are not committed: completed ones above the last
   * commit plus every one still tracked (abandoned, deferred). The group's next member reads them again.
   */
  private uncommittedRecords(): number {
    let n = 0;
    for (const p of this.parts.values()) n += p.tracker.size + (p.tracker.released - p.releasedAtCommit);
    return n;
  }

  /**
   * Stops fetching (all partitions, or the ones given) and stops handing their records to the sink at
   * the next record boundary: a write under way finishes, the records held stay held (and uncommitted)
   * and go to the sink first on resume.
   */
  pause(partitions?: TopicPartition[]): void {
    if (!partitions) this.pausedByHand = true;
    else for (const p of partitions) this.partOf(p).pausedByHand = true;
    this.emit('paused', { by: 'hand', partitions: partitions ?? null });
  }

  resume(partitions?: TopicPartition[]): void {
    if (!partitions) {
      this.pausedByHand = false;
      for (const p of this.parts.values()) p.pausedByHand = false;
    } else for (const p of partitions) this.partOf(p).pausedByHand = false;
    this.emit('resumed', { by: 'hand', partitions: partitions ?? null });
    this.unpark();
    this.dispatch();
    this.wake.notify();
  }

  get isPaused(): boolean {
    return this.pausedByHand || this.health.pausedByPolicy;
  }

  /** Commits every partition whose contiguous completed offset moved; one commit at a time. */
  commitNow(): Promise<void> {
    if (this.committing) return this.committing.then(() => this.commitNow());
    if (this.transactions) return this.endTransaction(this.transactions);
    const { offsets, targets } = this.commitTargets();
    if (offsets.length === 0) return Promise.resolve();
    this.committing = (async () => {
      try {
        await this.source.commit(offsets);
        for (const target of targets) markCommitted(target);
        this.counters.commits++;
        this.emit('commit', { offsets });
      } catch (err) {
        this.counters.commitErrors++;
        this.emit('commitError', err);
        throw err;
      } finally {
        this.committing = null;
      }
    })();
    return this.committing;
  }

  /** The partitions whose contiguous completed offset moved past their last commit, and where to. */
  private commitTargets(): { offsets: OffsetToCommit[]; targets: CommitTarget[] } {
    const offsets: OffsetToCommit[] = [];
    const targets: CommitTarget[] = [];
    for (const p of this.parts.values()) {
      const at = p.tracker.committable;
      if (at === null || (p.committed !== null && at <= p.committed)) continue;
      offsets.push({ topic: p.topic, partition: p.partition, offset: at });
      targets.push({ partition: p, offset: at, released: p.tracker.released });
    }
    return { offsets, targets };
  }

  /**
   * Exactly-once: stops fetching, lets every record taken finish (so the transaction holds the outputs of
   * exactly the records below the offsets it commits), then commits those offsets with the outputs in
   * one transaction, or aborts it after a failure and rewinds every partition to its last committed
   * offset so the records are read and transformed again.
   */
  private endTransaction(txn: TransactionCommitter): Promise<void> {
    this.ending = true;
    this.committing = (async () => {
      try {
        await this.quiesce();
        this.sealed = true;
        const failure = this.txnFailure;
        if (failure !== null) {
          for (const p of this.parts.values()) for (const w of [...p.works]) this.abandon(w, false);
          await txn.abort();
          this.rewindAll();
          this.txnFailure = null;
          this.counters.aborts++;
          this.emit('abort', { error: failure });
          return;
        }
        const { offsets, targets } = this.commitTargets();
        if (offsets.length === 0) return;
        await txn.commit(offsets);
        for (const target of targets) markCommitted(target);
        this.txnAttempts.clear();
        this.counters.commits++;
        this.emit('commit', { offsets });
      } catch (err) {
        // The transaction's fate is unknown: abort it on the next round, which rewinds the partitions.
        this.txnFailure ??= err;
        this.counters.commitErrors++;
        this.emit('commitError', err);
        throw err;
      } finally {
        this.committing = null;
        this.ending = false;
        this.sealed = false;
        this.wake.notify();
        this.dispatch();
      }
    })();
    return this.committing;
  }

  /**
   * Waits until no record is being written: every record taken has finished, or (after a failure, when
   * nothing more is dispatched) the ones left are still queued, never started.
   */
  private async quiesce(): Promise<void> {
    // Queued records are not dispatched after a failure or while paused by hand: only started ones count then.
    const busy = (w: Work) => (this.txnFailure === null && !this.pausedByHand ? true : w.state !== 'queued');
    while ([...this.parts.values()].some((p) => [...p.works].some(busy))) {
      await this.settled.wait(this.cfg.clock, 100);
    }
    // Outputs of records finished behind one that has not run are in the transaction, but their offsets
    // cannot be committed: committing would write them twice after a restart, so abort instead.
    if ([...this.parts.values()].some((p) => p.tracker.deferred > 0)) {
      this.txnFailure ??= new Error(
        'records finished behind one not yet run (paused?); their outputs cannot commit',
      );
    }
  }

  /** After an abort: every partition reads again from its last committed offset (or where it started). */
  private rewindAll(): void {
    for (const [key, p] of this.parts) {
      const from = p.committed ?? p.firstTaken;
      if (from === null) continue;
      this.source.seek(p.topic, p.partition, from);
      const fresh = new PartitionState(p.topic, p.partition, from);
      fresh.committed = p.committed;
      fresh.firstTaken = p.firstTaken;
      fresh.pausedByHand = p.pausedByHand;
      this.parts.set(key, fresh);
    }
  }

  /** Exactly-once: a write failed, so the open transaction aborts and the records are re-read. */
  private failTransaction(work: Work, error: unknown): boolean {
    const key = `${work.part.key}\u0000${work.record.offset}`;
    const attempts = (this.txnAttempts.get(key) ?? 0) + 1;
    this.txnAttempts.set(key, attempts);
    if (attempts >= this.cfg.retry.maxAttempts || isPermanent(error)) return false;
    this.txnFailure ??= error;
    this.emit('retry', { record: work.record, attempt: attempts, delayMs: 0, error });
    this.counters.retries++;
    this.abandon(work, false);
    // Whatever else is queued would be thrown away by the abort: give it up now.
    for (const p of this.parts.values()) {
      for (const lane of p.lanes.values()) {
        for (let w = lane.queue.shift(); w; w = lane.queue.shift()) this.abandon(w, false);
      }
    }
    void this.commitNow().catch(() => {});
    return true;
  }

  stats(): ConsumerStats {
    const now = this.cfg.clock.now();
    const pausedParts: TopicPartition[] = [];
    const partitions: PartitionStats[] = [];
    for (const p of this.parts.values()) {
      const reason = p.revoking
        ? 'revoking'
        : p.pausedByHand
          ? 'hand'
          : p.tracker.deferred >= this.cfg.maxDeferredCommits
            ? 'deferred-cap'
            : null;
      if (reason) pausedParts.push({ topic: p.topic, partition: p.partition });
      const committable = p.tracker.committable;
      const gap = p.tracker.gapAt;
      partitions.push({
        topic: p.topic,
        partition: p.partition,
        committed: p.committed === null ? null : p.committed.toString(),
        committable: committable === null ? null : committable.toString(),
        inFlight: p.works.size,
        deferred: p.tracker.deferred,
        gapAt: gap === null ? null : gap.toString(),
        paused: reason !== null,
        pausedReason: reason,
        consumed: p.consumed,
      });
    }
    partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    return {
      state: this.state,
      fetchState: this.fetchState,
      inFlightRecords: this.heldRecords,
      heldRecords: this.notStarted(),
      inFlightBytes: this.heldBytes,
      maxInFlight: this.cfg.maxInFlight,
      maxInFlightBytes: this.cfg.maxInFlightBytes,
      maxPollRecords: this.cfg.maxPollRecords,
      creditsFree: { records: this.recordCredits.available, bytes: this.byteCredits.available },
      ...this.counters,
      ratePerSec: this.rate(now),
      sinkLatency: this.health.snapshot(now),
      concurrency: { limit: this.limiter.limit, active: this.limiter.inflight, adaptive: this.adaptive },
      ordering: this.cfg.ordering,
      paused: {
        byHand: this.pausedByHand,
        byPolicy: this.health.pausedByPolicy,
        policyReasons: this.health.pauseReasons,
        partitions: pausedParts,
      },
      thrashing: this.health.thrashingReport() ?? null,
      partitions,
    };
  }

  // ---- assignment ---------------------------------------------------------------------------------

  private onAssign(partitions: TopicPartition[]): void {
    for (const tp of partitions) {
      const key = tpKey(tp.topic, tp.partition);
      if (!this.parts.has(key)) this.parts.set(key, new PartitionState(tp.topic, tp.partition));
    }
    this.emit('assigned', { partitions });
    this.wake.notify();
  }

  /**
   * Revocation: stop fetching these partitions, drop their records that have not started, let the
   * running ones finish within `revokeDrainTimeoutMs` (then give up on them: they are not committed,
   * the next owner redoes them), commit what completed, and only then let the source release them.
   */
  private async onRevoke(partitions: TopicPartition[]): Promise<void> {
    const revoked = partitions
      .map((tp) => this.parts.get(tpKey(tp.topic, tp.partition)))
      .filter((p): p is PartitionState => p !== undefined);
    this.emit('revoking', { partitions });
    // While stopping, stop() has drained and committed already, each within its own deadline.
    if (this.state === 'running') {
      await this.drain(revoked, this.cfg.revokeDrainTimeoutMs);
      await this.commitNow().catch(() => {});
    }
    for (const p of revoked) this.parts.delete(p.key);
    this.parked = this.parked.filter((lane) => !revoked.includes(lane.part));
    this.emit('revoked', { partitions });
  }

  /** Drops not-started work of these partitions, waits for the rest until `timeoutMs`, abandons leftovers. */
  private async drain(parts: PartitionState[], timeoutMs: number): Promise<void> {
    for (const p of parts) {
      p.revoking = true;
      for (const lane of p.lanes.values()) {
        for (let w = lane.queue.shift(); w; w = lane.queue.shift()) this.abandon(w, false);
      }
      // A record waiting out a backoff is not running: give it up now rather than hold the rebalance.
      for (const w of [...p.works]) if (w.state === 'backoff') this.abandon(w, true);
    }
    const busy = parts.filter((p) => p.works.size > 0);
    if (busy.length > 0) {
      const deadline = new AbortController();
      const timer = this.cfg.clock.setTimeout(() => deadline.abort(), timeoutMs);
      await Promise.all(busy.map((p) => waitDrained(p, deadline.signal)));
      timer.cancel();
      for (const p of busy) for (const w of [...p.works]) this.abandon(w, true);
    }
  }

  // ---- fetch loop ---------------------------------------------------------------------------------

  private blockedBy(): FetchState | null {
    if (this.state !== 'running') return 'stopped';
    if (this.ending) return 'ending-transaction';
    if (this.pausedByHand) return 'paused-by-hand';
    if (this.health.pausedByPolicy) return 'paused-by-policy';
    if (this.recordCredits.available < this.fetchThreshold()) return 'no-credits';
    if (this.byteCredits.available < Math.min(this.avgRecordBytes, this.cfg.maxInFlightBytes / 2))
      return 'no-credits';
    return null;
  }

  /**
   * Free record credits worth a fetch. The broker answers a partition with at least one whole batch, so
   * fetching for fewer credits than a batch holds fetches records only to hand them back (rewound): with
   * records in flight, wait until a batch's worth is free (at most the whole window, at least
   * minFetchRecords). With nothing in flight, any credit is worth a fetch.
   */
  private fetchThreshold(): number {
    if (this.heldRecords === 0) return 1;
    const batch = Math.min(Math.ceil(this.avgBatchRecords), this.fairShare());
    return Math.max(this.cfg.minFetchRecords, batch);
  }

  /**
   * The records one partition may hold while others wait: the window split evenly over the partitions
   * this member may fetch from. Without it, one partition's batch larger than the window fills every
   * credit, and the others wait until it is drained (at 500 ms a record and a window of 10, five seconds
   * per partition). The split counts every fetchable partition, not only those seen with records: what
   * the runtime knows of another partition's backlog comes from the last fetch that asked for it, and a
   * partition seen empty before its records arrived would otherwise leave its share to the first ones
   * fetched (a window of 10 shared by two of six partitions: the fourth waited over 10 s for its turn).
   * It never goes below what keeps the sink busy on one partition (the concurrency limit, plus one
   * queued), so a lone busy partition still fills the sink. Splitting costs re-fetching the rest of each
   * batch, so it applies only when a full window takes the sink longer than {@link TURN_BUDGET_MS} to
   * work through (or before its latency is known).
   */
  private fairShare(): number {
    const sink = this.health.snapshot();
    const windowMs = (sink.meanLatencyMs * this.cfg.maxInFlight) / Math.max(1, this.limiter.limit);
    if (sink.samples > 0 && windowMs <= TURN_BUDGET_MS) return this.cfg.maxInFlight;
    let fetchable = 0;
    for (const p of this.parts.values()) if (!p.revoking && !p.pausedByHand) fetchable++;
    const even = Math.ceil(this.cfg.maxInFlight / Math.max(1, fetchable));
    return Math.min(this.cfg.maxInFlight, Math.max(even, this.limiter.limit + 1));
  }

  /**
   * The partitions one fetch asks for: as many as the free credits can take a batch from, rotated across
   * fetches so that every partition gets its turn (asking all of them for few credits fills the credits
   * from the first and hands the rest back).
   */
  private fetchTurn(list: TopicPartition[]): TopicPartition[] {
    // Before a batch was seen, all of them are asked with a 1-byte limit (the probe, see fetchLoop).
    if (this.avgBatchRecords === 0 || list.length <= 1) return list;
    if (this.askAll) {
      // Every partition, but not always from the first: the broker serves the first one with data whole.
      this.askAll = false;
      return rotated(list, this.fetchCursor++);
    }
    const take = Math.floor(this.recordCredits.available / this.avgBatchRecords);
    const count = Math.min(list.length, Math.max(1, take));
    return rotated(list, this.fetchCursor++).slice(0, count);
  }

  private eligible(): { list: TopicPartition[]; reason: FetchState | null } {
    const list: TopicPartition[] = [];
    let capped = false;
    let any = false;
    for (const p of this.parts.values()) {
      if (p.revoking) continue;
      any = true;
      if (p.pausedByHand) continue;
      if (p.tracker.deferred >= this.cfg.maxDeferredCommits) {
        capped = true;
        continue;
      }
      list.push({ topic: p.topic, partition: p.partition });
    }
    if (list.length > 0) return { list, reason: null };
    return { list, reason: !any ? 'no-partitions' : capped ? 'deferred-cap' : 'paused-by-hand' };
  }

  private async fetchLoop(): Promise<void> {
    let failures = 0;
    while (this.state === 'running') {
      const blocked = this.blockedBy();
      const { list, reason } = blocked ? { list: [], reason: blocked } : this.eligible();
      if (reason) {
        this.fetchState = reason;
        if (reason === 'stopped') break;
        await this.wake.wait(this.cfg.clock, reason === 'no-credits' ? 1000 : 250);
        continue;
      }
      this.fetchState = 'fetching';
      const turn = this.fetchTurn(list);
      const recordsFree = this.recordCredits.available;
      const bytesFree = this.byteCredits.available;
      // Ask for the bytes the free record credits would fill at the sizes seen so far, never more than
      // the free byte credits: the response itself must fit what we may hold.
      // Until a batch was seen the record size is a guess; ask for 1 byte, which the broker answers with
      // one whole batch (of the first partition that has one), and size the next fetches from it.
      const pollable = Math.min(recordsFree, this.cfg.maxPollRecords);
      const wanted = this.avgBatchRecords === 0 ? 1 : Math.ceil(pollable * this.avgRecordBytes * 1.1);
      const maxBytes = Math.max(1, Math.min(bytesFree, this.cfg.fetchMaxBytes, wanted));
      const partitionMaxBytes = Math.max(1, Math.ceil(maxBytes / turn.length));
      let fetched: FetchedPartition[];
      try {
        // A turn of some partitions does not long-poll: the others may have data while these have none.
        // When it comes back empty, the next fetch asks every partition (and waits for data).
        const partial = turn.length < list.length;
        fetched = await this.source.fetch(turn, {
          maxBytes,
          partitionMaxBytes,
          maxWaitMs: partial ? 0 : this.cfg.fetchMaxWaitMs,
        });
        if (partial && fetched.every((fp) => fp.records.length === 0)) this.askAll = true;
        if (!allRefused(fetched)) failures = 0;
      } catch (err) {
        this.counters.fetchErrors++;
        this.emit('fetchError', err);
        if (this.state !== 'running') break;
        await this.cfg.clock.sleep(backoffMs(++failures, this.cfg.retry, this.cfg.random));
        continue;
      }
      this.counters.fetches++;
      // stop() may have moved on while this fetch was out: records it brought are not taken.
      if (this.state !== 'running') break;
      try {
        this.admit(fetched);
      } catch (err) {
        this.emit('fetchError', err);
      }
      // Every partition refused (their leaders dead, fenced or not yet elected): such answers come back
      // at once, so back off as for a failed fetch instead of asking again in a tight loop.
      if (allRefused(fetched)) {
        if (this.state !== 'running') break;
        await this.cfg.clock.sleep(backoffMs(++failures, this.cfg.retry, this.cfg.random));
      }
    }
    this.fetchState = 'stopped';
  }

  /** Takes fetched records within the free credits; rewinds every partition to its first record left over. */
  private admit(fetched: FetchedPartition[]): void {
    if (fetched.length === 0) return;
    const start = this.rotate++ % fetched.length;
    // Paused while the fetch was out: hand its records back rather than take them in.
    const pausedAll = this.pausedByHand || this.health.pausedByPolicy;
    const share = this.fairShare();
    // A poll hands over at most maxPollRecords, whatever the credits (Kafka's max.poll.records).
    let pollLeft = this.cfg.maxPollRecords;
    let full = false;
    for (let i = 0; i < fetched.length; i++) {
      const fp = fetched[(start + i) % fetched.length];
      const part = this.parts.get(tpKey(fp.topic, fp.partition));
      if (!part || part.revoking) continue;
      if (fp.error) {
        this.emit('fetchError', fp.error);
        continue;
      }
      if ((pausedAll || part.pausedByHand) && fp.records.length > 0) {
        this.source.seek(fp.topic, fp.partition, fp.records[0].offset);
        this.counters.rewound += fp.records.length;
        continue;
      }
      if (fp.records.length > 0) {
        const perBatch = fp.records.length / Math.max(1, fp.batches ?? 1);
        if (this.avgBatchRecords === 0) {
          // The probe's answer: the first real record size replaces the configured guess at once.
          if (fp.bytes > 0) this.avgRecordBytes = fp.bytes / fp.records.length;
          this.avgBatchRecords = perBatch;
        } else {
          this.avgBatchRecords = this.avgBatchRecords * 0.8 + perBatch * 0.2;
        }
      }
      let taken = 0;
      const last = part.tracker.last;
      for (const record of fp.records) {
        if (last !== null && record.offset <= last) {
          // Served again after a position reset (e.g. out of range): already taken once, not twice.
          taken++;
          continue;
        }
        const size = recordBytes(record);
        const fits =
          !full &&
          pollLeft > 0 &&
          this.recordCredits.available >= 1 &&
          (this.byteCredits.available >= size || (this.heldRecords === 0 && taken === 0));
        // Its fair share taken, this partition leaves the rest of the credits to the others.
        const overShare = part.works.size >= share && this.heldRecords > 0;
        if (!fits || overShare) {
          if (!fits) full = true;
          this.source.seek(fp.topic, fp.partition, record.offset);
          part.tracker.advanceTo(record.offset);
          this.counters.rewound += fp.records.length - taken;
          break;
        }
        this.recordCredits.tryAcquire(1);
        // A record larger than every byte credit is still let through alone so it cannot wedge the partition.
        const charge = Math.min(size, this.byteCredits.available);
        this.byteCredits.tryAcquire(charge);
        this.heldRecords++;
        this.heldBytes += charge;
        this.avgRecordBytes = this.avgRecordBytes * 0.95 + size * 0.05;
        this.enqueue(part, record, charge);
        pollLeft--;
        taken++;
      }
      if (taken === fp.records.length) {
        part.tracker.advanceTo(fp.nextOffset);
      }
    }
    if (this.heldRecords > this.counters.peakInFlightRecords)
      this.counters.peakInFlightRecords = this.heldRecords;
    if (this.heldBytes > this.counters.peakInFlightBytes) this.counters.peakInFlightBytes = this.heldBytes;
    this.dispatch();
  }

  // ---- dispatch -----------------------------------------------------------------------------------

  private laneId(record: ConsumerRecord): string | null {
    switch (this.cfg.ordering) {
      case 'partition':
        return '';
      case 'key':
        // Records without a key have no order to keep.
        return record.key === null ? null : record.key.toString('latin1');
      default:
        return null;
    }
  }

  private enqueue(part: PartitionState, record: ConsumerRecord, size: number): void {
    const id = this.laneId(record);
    let lane = id === null ? undefined : part.lanes.get(id);
    if (!lane) {
      lane = { queue: new RingBuffer<Work>(4), active: null, part, id: id ?? `#${record.offset}` };
      part.lanes.set(lane.id, lane);
    }
    part.firstTaken ??= record.offset;
    const work: Work = {
      record,
      part,
      size,
      entry: part.tracker.track(record.offset),
      lane,
      attempts: 0,
      state: 'queued',
      timer: null,
      abort: null,
      trace: this.tracer?.taken(record, this.cfg.clock.now()),
    };
    part.works.add(work);
    lane.queue.push(work);
    if (lane.active === null && lane.queue.length === 1) this.ready.push(lane);
  }

  private dispatch(): void {
    if (this.state === 'stopped' || this.pausedByHand) return;
    // Exactly-once after a failure: nothing more goes into a transaction that will abort.
    if (this.txnFailure !== null || this.sealed) return;
    while (this.ready.length > 0) {
      const lane = this.ready.peek()!;
      if (lane.active !== null || lane.queue.length === 0 || lane.part.revoking) {
        this.ready.shift();
        continue;
      }
      if (lane.part.pausedByHand) {
        this.parked.push(this.ready.shift()!);
        continue;
      }
      const slot = this.limiter.tryAcquire();
      if (!slot) return;
      this.ready.shift();
      const work = lane.queue.shift()!;
      lane.active = work;
      void this.run(work, slot);
    }
  }

  /** Parked lanes whose partition is no longer paused go back to the front of the queue, in order. */
  private unpark(): void {
    const back = this.parked.filter((l) => !l.part.pausedByHand);
    this.parked = this.parked.filter((l) => l.part.pausedByHand);
    for (let i = back.length - 1; i >= 0; i--) this.ready.pushFront(back[i]);
  }

  /** Records held that the sink has not started on. */
  private notStarted(): number {
    let n = 0;
    for (const p of this.parts.values()) for (const w of p.works) if (w.state === 'queued') n++;
    return n;
  }

  private async run(work: Work, slot: LimiterRelease): Promise<void> {
    work.state = 'running';
    work.attempts++;
    work.abort = new AbortController();
    const clock = this.cfg.clock;
    const started = clock.now();
    work.trace?.attemptStarted(work.attempts, started);
    let error: unknown;
    let ok = false;
    try {
      await this.sink.write(work.record, { attempt: work.attempts, signal: work.abort.signal });
      ok = true;
    } catch (err) {
      error = err ?? new Error('sink write failed');
    }
    this.health.record(clock.now() - started, ok);
    work.trace?.attemptEnded(work.attempts, clock.now(), ok ? undefined : error);
    if (ok) slot.success();
    else slot.dropped();
    if (work.state !== 'running') {
      // Given up on while it ran (revocation or shutdown deadline): its result no longer counts.
      this.dispatch();
      return;
    }
    if (ok) {
      this.complete(work);
      return;
    }
    this.counters.sinkErrors++;
    if (this.transactions && this.failTransaction(work, error)) return;
    if (work.attempts < this.cfg.retry.maxAttempts && !isPermanent(error)) {
      this.counters.retries++;
      const delay = backoffMs(work.attempts, this.cfg.retry, this.cfg.random);
      work.state = 'backoff';
      this.emit('retry', { record: work.record, attempt: work.attempts, delayMs: delay, error });
      work.timer = clock.setTimeout(() => {
        work.timer = null;
        if (work.state !== 'backoff') return;
        work.state = 'queued';
        work.lane.active = null;
        work.lane.queue.pushFront(work);
        this.ready.pushFront(work.lane);
        this.dispatch();
      }, delay);
      this.dispatch();
      return;
    }
    await this.exhausted(work, error);
  }

  /** Last attempt failed: dead-letter it (retrying the dead-letter write itself), or skip it. */
  private async exhausted(work: Work, error: unknown): Promise<void> {
    const info = { error, attempts: work.attempts };
    if (!this.deadLetter) {
      this.counters.skipped++;
      this.emit('skipped', { record: work.record, ...info });
      this.complete(work, 'skipped', error);
      return;
    }
    work.state = 'dead-lettering';
    work.trace?.deadLetterStarted(this.cfg.clock.now());
    this.dispatch();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deadLetter.publish(work.record, info);
        break;
      } catch (err) {
        this.counters.deadLetterErrors++;
        this.emit('deadLetterError', { record: work.record, error: err });
        if (work.state !== 'dead-lettering') return;
        await this.cfg.clock.sleep(backoffMs(attempt, this.cfg.retry, this.cfg.random));
        if (work.state !== 'dead-lettering') return;
      }
    }
    if (work.state !== 'dead-lettering') return;
    this.counters.deadLettered++;
    this.emit('deadLetter', { record: work.record, ...info });
    this.complete(work, 'dead-lettered', error);
  }

  private complete(work: Work, outcome: RecordOutcome = 'done', error?: unknown): void {
    work.state = 'done';
    work.trace?.finished(outcome, this.cfg.clock.now(), error);
    work.part.tracker.complete(work.entry);
    work.part.consumed++;
    this.counters.consumed++;
    this.release(work);
    this.dispatch();
    this.wake.notify();
  }

  /** Gives up on a record: its offset is never committed by us. */
  private abandon(work: Work, counted: boolean): void {
    if (work.state === 'done' || work.state === 'abandoned') return;
    const wasActive = work.lane.active === work;
    // Exactly-once: a write given up on while it ran may still land in the transaction, without its offset.
    if (this.transactions && (work.state === 'running' || work.state === 'dead-lettering')) {
      this.txnFailure ??= new Error('a record was given up on while its write was in flight');
    }
    work.state = 'abandoned';
    work.trace?.finished('abandoned', this.cfg.clock.now());
    work.timer?.cancel();
    work.abort?.abort(new Error('consumer gave up on this record (partition revoked or shutting down)'));
    if (counted) this.counters.abandoned++;
    if (wasActive) work.lane.active = null;
    this.release(work);
  }

  private release(work: Work): void {
    const { part, lane } = work;
    part.works.delete(work);
    this.heldRecords--;
    this.heldBytes -= work.size;
    this.recordCredits.grant(1);
    this.byteCredits.grant(work.size);
    if (lane.active === work) lane.active = null;
    if (lane.active === null) {
      if (lane.queue.length > 0) {
        if (!part.revoking) this.ready.push(lane);
      } else part.lanes.delete(lane.id);
    }
    if (part.works.size === 0) part.drained.notify();
    this.settled.notify();
  }

  // ---- housekeeping -------------------------------------------------------------------------------

  private tick(): void {
    const now = this.cfg.clock.now();
    const last = this.rateSamples[this.rateSamples.length - 1];
    if (!last || now - last.at >= 1000) {
      this.rateSamples.push({ at: now, consumed: this.counters.consumed });
      if (this.rateSamples.length > 6) this.rateSamples.shift();
    }
    const change = this.health.evaluate();
    if (change === 'paused') {
      this.emit('paused', {
        by: 'policy',
        reasons: this.health.pauseReasons,
        sink: this.health.snapshot(now),
      });
    } else if (change === 'resumed') {
      this.emit('resumed', { by: 'policy', sink: this.health.snapshot(now) });
      this.wake.notify();
    }
  }

  private rate(now: number): number {
    const first = this.rateSamples[0];
    if (!first || now <= first.at) return 0;
    return ((this.counters.consumed - first.consumed) * 1000) / (now - first.at);
  }

  private partOf(tp: TopicPartition): PartitionState {
    const p = this.parts.get(tpKey(tp.topic, tp.partition));
    if (!p) throw new Error(`consumer runtime: ${tp.topic}/${tp.partition} is not assigned to this consumer`);
    return p;
  }
}

/** Errors that say retrying cannot help (e.g. an HTTP 400): `retriable: false` on the error. */
function isPermanent(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === false
  );
}

async function waitDrained(p: PartitionState, signal: AbortSignal): Promise<void> {
  while (p.works.size > 0 && !signal.aborted) await p.drained.waitSignal(signal);
}

/** The list starting at `start` (modulo its length), wrapping round. */
function rotated<T>(list: T[], start: number): T[] {
  const at = start % list.length;
  return [...list.slice(at), ...list.slice(0, at)];
}

/** A fetch in which every partition came back with an error (and none with records). */
function allRefused(fetched: FetchedPartition[]): boolean {
  return fetched.length > 0 && fetched.every((fp) => fp.error);
}

/** What `stop()` did, and what it gave up on. */
export interface ShutdownReport {
  /** Records taken from the broker whose offsets are not committed: the group delivers them again. */
  uncommitted: number;
  /** Records still in the sink when the drain deadline passed (included in `uncommitted`). */
  abandoned: number;
  /** The final commit went through (or there was nothing to commit). */
  committed: boolean;
  /** LeaveGroup went through (otherwise the session timeout removes the member). */
  left: boolean;
  /** One line per step that gave up. */
  gaveUp: string[];
  elapsedMs: number;
}

type Outcome = { outcome: 'done' } | { outcome: 'timeout' } | { outcome: 'failed'; error: unknown };

/** Waits for `work` at most `ms` on the clock; the timer never outlives the wait. */
async function within(clock: Clock, work: Promise<unknown>, ms: number): Promise<Outcome> {
  let timer: Timer | null = null;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = clock.setTimeout(() => resolve({ outcome: 'timeout' }), ms);
  });
  try {
    return await Promise.race([
      work.then(
        (): Outcome => ({ outcome: 'done' }),
        (error: unknown): Outcome => ({ outcome: 'failed', error }),
      ),
      timeout,
    ]);
  } finally {
    (timer as Timer | null)?.cancel();
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A partition about to be committed: the offset, and how many records it had released by then. */
interface CommitTarget {
  partition: PartitionState;
  offset: bigint;
  released: number;
}

/** Records a commit that the broker (or the transaction) accepted. */
function markCommitted({ partition, offset, released }: CommitTarget): void {
  partition.committed = offset;
  partition.releasedAtCommit = released;
}
