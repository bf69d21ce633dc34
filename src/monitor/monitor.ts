import { Admin } from '../client/admin.js';
import type { Cluster } from '../client/cluster.js';
import type { ClientSecurity } from '../client/security.js';
import type { Clock, Timer } from '../flow/clock.js';
import { adviseGroup, type GroupContext, type Recommendation } from './advice.js';
import { AlertBook, type AlertCondition, type AlertEvent } from './alerts.js';
import {
  groupWatched,
  type MonitorConfig,
  type MonitorOptions,
  type MonitorThresholds,
  resolveMonitorConfig,
} from './config.js';
import { KafkaLagSource } from './kafka-lag-source.js';
import { MonitorMetrics } from './metrics.js';
import type {
  ClusterObservation,
  GroupObservation,
  Observation,
  PartitionObservation,
} from './observation.js';
import {
  type ClusterReport,
  type GroupReport,
  type HistoryEntry,
  type LagReport,
  type PartitionReport,
  STATUS_WORDS,
  type StatusReport,
  type TopicReport,
} from './reports.js';
import { ColumnSlab, SampleRing, SampleTimes, slopePerSecond } from './sample-ring.js';
import { type TimeLagMethod, timeLag } from './time-lag.js';
import { WebhookNotifier } from './webhook.js';
import { burrowGroupStatus, evaluateWindow, statusCode } from './window-rules.js';

/**
 * The lag monitor: collects on an interval (Clock-driven), keeps a window of samples per partition,
 * and turns them into lag in records and seconds, trends, a status per partition and group, alerts,
 * advice, history and Prometheus metrics. Everything it reports is JSON-ready for the lab's HTTP
 * service. `ingest()` is the whole evaluation path and takes an Observation from any source, so a
 * scripted offset history on a VirtualClock exercises exactly what a live cluster does.
 */

export interface LagSource {
  observe(): Promise<Observation>;
}

export interface LagMonitorOptions extends MonitorOptions {
  /** Bootstrap brokers (the monitor opens and owns its own client). */
  brokers?: string[];
  /** TLS and SASL for `brokers` (src/client/security.ts). */
  security?: ClientSecurity;
  /** Or a shared client cluster. */
  cluster?: Cluster;
  /** Or any other source of observations. */
  source?: LagSource;
  /** What the consumers' runner knows about a group (paused consumers, processing time), for advice. */
  groupContext?: (groupId: string) => GroupContext | undefined;
}

interface PartitionTrack {
  ring: SampleRing;
  lastCommitted: number | null;
  lastChangeAt: number | null;
  seenInCycle: number;
}

interface GroupTrack {
  zeroSince: number | null;
  /** Total lag at the previous cycle (null before the first). */
  lastTotalLag: number | null;
  /** The total lag fell since the previous cycle. */
  fellNow: boolean;
  seenInCycle: number;
}

const round = (x: number, digits = 3) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export class LagMonitor {
  readonly config: MonitorConfig;
  readonly metrics = new MonitorMetrics();
  readonly alertBook: AlertBook;
  readonly webhook: WebhookNotifier | null;
  private readonly clock: Clock;
  private readonly source: LagSource;
  private readonly groupContext: LagMonitorOptions['groupContext'];
  private readonly admin: Admin | null = null;
  /**
   * Each partition's track by group, topic, then partition: nested maps rather than one map keyed by
   * "group\0topic\0partition", a string built for every partition of every cycle.
   */
  private readonly tracks = new Map<string, Map<string, Map<number, PartitionTrack>>>();
  private readonly window: WindowScratch;
  /** One time column for every partition's samples: a cycle samples them all at one instant. */
  private readonly sampleTimes: SampleTimes;
  private readonly ringColumns: ColumnSlab;
  private readonly groupTracks = new Map<string, GroupTrack>();
  private readonly snapshots: HistoryEntry[] = [];
  private readonly listeners: ((r: LagReport) => void)[] = [];
  private latest: LagReport | null = null;
  private latestAdvice: Recommendation[] = [];
  private cycles = 0;
  private timer: Timer | null = null;
  private inFlight: Promise<void> | null = null;
  private lastFailure: { at: string; error: string } | null = null;
  /** Every broker seen since start, so one that leaves the metadata can be shown as missing. */
  private readonly brokersSeen = new Map<number, { host: string; port: number; lastSeenAt: number }>();
  private readonly leaderlessSince = new Map<string, number>();

  constructor(options: LagMonitorOptions) {
    this.config = resolveMonitorConfig(options);
    this.window = new WindowScratch(this.config.windowSize);
    this.sampleTimes = new SampleTimes(this.config.historySize);
    this.ringColumns = new ColumnSlab(this.config.historySize + this.config.windowSize);
    this.groupContext = options.groupContext;
    this.clock = this.config.clock;
    if (options.source) {
      this.source = options.source;
    } else {
      if (!options.cluster && !(options.brokers && options.brokers.length > 0)) {
        throw new Error(
          'LagMonitor needs where to read lag from: give brokers (e.g. ["127.0.0.1:9092"]), a client cluster, or a source',
        );
      }
      const admin = options.cluster
        ? new Admin({ cluster: options.cluster })
        : new Admin({
            brokers: options.brokers ?? [],
            clientId: 'sluice-monitor',
            clock: this.clock,
            security: options.security,
          });
      this.admin = admin;
      this.source = new KafkaLagSource(admin, {
        watch: (g) => groupWatched(this.config, g),
        fetchTimestamps: this.config.timeLag === 'exact',
        maxTimestampFetches: this.config.maxTimestampFetchesPerCycle,
      });
    }
    this.alertBook = new AlertBook(this.clock, this.config.alertHistory);
    this.webhook = this.config.webhook ? new WebhookNotifier(this.clock, this.config.webhook) : null;
    if (this.webhook) {
      const hook = this.webhook;
      this.alertBook.onEvent((e) => {
        void hook.notify(e);
      });
    }
  }

  /** Collects now and then every `intervalMs`; a cycle still running makes the next one skip. */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      if (this.inFlight) return;
      this.inFlight = this.collect()
        .then(() => {
          this.lastFailure = null;
        })
        .catch((err: unknown) => {
          // The loop goes on (the cluster may come back); status() says what failed and when.
          this.lastFailure = {
            at: new Date(this.clock.now()).toISOString(),
            error: err instanceof Error ? err.message : String(err),
          };
        })
        .finally(() => {
          this.inFlight = null;
        });
    };
    this.timer = this.clock.setInterval(tick, this.config.intervalMs);
    tick();
  }

  /**
   * Stops collecting; waits for a cycle still out and webhook deliveries for at most `timeoutMs`
   * (default 3 s), then closes the admin client, which fails whatever a dead or hung broker still holds.
   * `finished`: false when it stopped waiting.
   */
  async stop(timeoutMs = 3_000): Promise<{ finished: boolean }> {
    this.timer?.cancel();
    this.timer = null;
    let timer: { cancel(): void } | undefined;
    const finished = await Promise.race([
      (async () => {
        await this.inFlight;
        await this.webhook?.idle();
        return true;
      })(),
      new Promise<boolean>((resolve) => {
        timer = this.clock.setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    timer?.cancel();
    this.admin?.close();
    return { finished };
  }

  /** One collection cycle: observe the cluster, then evaluate. */
  async collect(): Promise<LagReport> {
    const observation = await this.source.observe();
    return this.ingest(observation);
  }

  /**
   * Called with every new report (for server-sent events); returns a function that unsubscribes. The
   * monitor's events are these typed callbacks (onReport, onAlert), not an EventEmitter.
   */
  onReport(fn: (r: LagReport) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Called with every alert opened or resolved; returns a function that unsubscribes. */
  onAlert(fn: (e: AlertEvent) => void): () => void {
    return this.alertBook.onEvent(fn);
  }

  /** Evaluates one observation (the collector's, or a scripted one) and updates every output. */
  ingest(obs: Observation): LagReport {
    const cycle = ++this.cycles;
    this.sampleTimes.tick(obs.at);
    const evaluated = obs.groups.map((g) => this.evaluateGroup(g, obs.at, cycle));
    this.forgetUnseen(cycle);
    const report = this.rollUp(obs, evaluated, cycle);
    this.publish(
      report,
      evaluated.flatMap((e) => e.conditions),
      evaluated.flatMap((e) => e.advice),
    );
    return report;
  }

  /** One group: its partitions judged, the group's status, the alert conditions and the advice. */
  private evaluateGroup(g: GroupObservation, now: number, cycle: number): EvaluatedGroup {
    const owners = partitionOwners(g);
    const parts = g.partitions.map((p) => this.evaluatePartition(g.groupId, p, owners, now, cycle));
    markWaitingTurns(parts);
    const partitions = parts.map((p) => p.report);
    const totals = groupTotals(parts);
    const gt = this.groupTrack(g.groupId, totals.totalLag, now, cycle);
    const t = this.config.thresholds;
    // A burst already being worked off is not growing lag, whatever the last samples' slope says.
    const growth = gt.fellNow ? Math.min(0, totals.rate) : totals.rate;
    const { code, reasons } = groupStatus(partitions, totals.totalLag, growth, t);
    const draining = totals.totalLag > 0 && totals.rate < 0;
    const ttd = totals.totalLag === 0 ? 0 : draining ? totals.totalLag / -totals.rate : null;
    const consumers = g.members.filter((m) => m.assignment.some((a) => a.partitions.length > 0)).length;
    const unknownLag = unknownLagPartitions(g);
    // A total that leaves partitions out is no proof of zero lag.
    const zeroLagSeconds = gt.zeroSince === null || unknownLag > 0 ? null : (now - gt.zeroSince) / 1000;
    const report: GroupReport = {
      group: g.groupId,
      state: g.state,
      members: g.members.length,
      consumers,
      partitions: partitions.length,
      total_lag: totals.totalLag,
      unknown_lag_partitions: unknownLag,
      status: STATUS_WORDS[code],
      status_code: code,
      window_status: burrowGroupStatus(partitions.map((p) => p.status)),
      reasons,
      rate_of_change: round(totals.rate),
      rate_of_change_trend: round(totals.trend),
      production_rate: round(totals.production),
      consumption_rate: round(totals.consumption),
      time_to_drain_seconds: ttd === null ? null : round(ttd, 1),
      draining,
      max_lag_seconds: totals.maxLagSeconds,
      max_lag_seconds_method: totals.maxMethod,
      zero_lag_seconds: zeroLagSeconds === null ? null : round(zeroLagSeconds),
      samples: totals.samples,
    };
    const advice = adviseGroup({
      group: g.groupId,
      totalLag: totals.totalLag,
      productionRate: totals.production,
      consumptionRate: totals.consumption,
      rateOfChange: totals.rate,
      timeToDrainSeconds: ttd,
      consumers,
      partitions: partitions.length,
      statuses: parts.map((p) => ({ status: p.report.status, idleSeconds: p.idleSeconds })),
      zeroLagSeconds,
      criticalLag: t.criticalLag,
      warningRate: t.warningRate,
      idleAdviceAfterSeconds: this.config.idleAdviceAfterMs / 1000,
      samples: totals.samples,
      context: this.groupContext?.(g.groupId),
    });
    return { report, partitions, conditions: groupConditions(report, partitions, growth, t), advice };
  }

  /** One partition: its sample pushed, the window judged, lag in records and seconds, and its rates. */
  private evaluatePartition(
    groupId: string,
    p: PartitionObservation,
    owners: Map<string, PartitionReport['owner']>,
    now: number,
    cycle: number,
  ): EvaluatedPartition {
    const cfg = this.config;
    const track = this.partitionTrack(groupId, p, now, cycle);
    const w = this.window;
    w.fill(track.ring);
    const m = w.committedCount;
    const owner = owners.size === 0 ? null : (owners.get(`${p.topic}\u0000${p.partition}`) ?? null);
    const verdict = evaluateWindow({
      end: w.end,
      committed: w.committed,
      lag: w.lag,
      count: m,
      owned: owner !== null,
      allowedLag: cfg.thresholds.allowedLag,
      minSamples: cfg.minSamples,
    });
    const lag = p.committed === null ? null : Math.max(0, p.logEnd - p.committed);
    const recent = m - Math.min(cfg.rateSamples, m);
    const rate = p.committed === null ? 0 : slopePerSecond(w.t, w.lag, recent, m);
    const trend = p.committed === null ? 0 : slopePerSecond(w.t, w.lag, 0, m);
    const production = slopePerSecond(w.tAll, w.endAll, 0, w.count);
    const consumption = p.committed === null ? 0 : slopePerSecond(w.t, w.committed, 0, m);
    const tl = timeLag(now, p.committed, p.logEnd, p.committedRecordTimestamp, track.ring);
    const idleSeconds = track.lastChangeAt === null ? null : (now - track.lastChangeAt) / 1000;
    const report: PartitionReport = {
      group: groupId,
      topic: p.topic,
      partition: p.partition,
      log_start_offset: p.logStart,
      log_end_offset: p.logEnd,
      committed_offset: p.committed,
      lag,
      lag_seconds: tl.seconds === null ? null : round(tl.seconds),
      lag_seconds_method: tl.method,
      lag_seconds_at_least: tl.atLeastSeconds === undefined ? null : round(tl.atLeastSeconds),
      status: verdict.status,
      status_code: statusCode(verdict.status),
      reason: verdict.reason,
      rate_of_change: round(rate),
      rate_of_change_trend: round(trend),
      production_rate: round(production),
      consumption_rate: round(consumption),
      seconds_since_progress: idleSeconds === null ? null : round(idleSeconds),
      owner,
    };
    const movedInWindow = m > 1 && w.committed[m - 1] > w.committed[0];
    return {
      report,
      rate,
      trend,
      production,
      consumption,
      timeLag: tl,
      idleSeconds,
      movedInWindow,
      samples: m,
    };
  }

  /** The partition's sample ring with this cycle's sample pushed, and when its commit last moved. */
  private partitionTrack(
    groupId: string,
    p: PartitionObservation,
    now: number,
    cycle: number,
  ): PartitionTrack {
    let byTopic = this.tracks.get(groupId);
    if (!byTopic) this.tracks.set(groupId, (byTopic = new Map()));
    let byPartition = byTopic.get(p.topic);
    if (!byPartition) byTopic.set(p.topic, (byPartition = new Map()));
    let track = byPartition.get(p.partition);
    if (!track) {
      track = {
        ring: new SampleRing(
          this.config.historySize,
          this.sampleTimes,
          this.config.windowSize,
          this.ringColumns,
        ),
        lastCommitted: null,
        lastChangeAt: null,
        seenInCycle: cycle,
      };
      byPartition.set(p.partition, track);
    }
    track.seenInCycle = cycle;
    track.ring.push(now, p.logEnd, p.committed);
    if (p.committed !== null && p.committed !== track.lastCommitted) {
      track.lastCommitted = p.committed;
      track.lastChangeAt = now;
    }
    return track;
  }

  /** The group's record of how long it has had no lag. */
  private groupTrack(groupId: string, totalLag: number, now: number, cycle: number): GroupTrack {
    let gt = this.groupTracks.get(groupId);
    if (!gt) {
      gt = { zeroSince: null, lastTotalLag: null, fellNow: false, seenInCycle: cycle };
      this.groupTracks.set(groupId, gt);
    }
    gt.seenInCycle = cycle;
    if (totalLag === 0) gt.zeroSince ??= now;
    else gt.zeroSince = null;
    gt.fellNow = gt.lastTotalLag !== null && totalLag < gt.lastTotalLag;
    gt.lastTotalLag = totalLag;
    return gt;
  }

  /** Partitions and groups that were not in this cycle's observation are gone: their history goes too. */
  private forgetUnseen(cycle: number): void {
    // forEach rather than for-of over entries: no [key, value] array per partition per cycle.
    this.tracks.forEach((byTopic, group) => {
      byTopic.forEach((byPartition, topic) => {
        byPartition.forEach((tr, partition) => {
          if (tr.seenInCycle === cycle) return;
          tr.ring.release();
          byPartition.delete(partition);
        });
        if (byPartition.size === 0) byTopic.delete(topic);
      });
      if (byTopic.size === 0) this.tracks.delete(group);
    });
    this.groupTracks.forEach((tr, k) => {
      if (tr.seenInCycle !== cycle) this.groupTracks.delete(k);
    });
  }

  /** The whole cluster's report from its groups'. */
  private rollUp(obs: Observation, evaluated: EvaluatedGroup[], cycle: number): LagReport {
    const groups = evaluated.map((e) => e.report);
    const partitions = evaluated.flatMap((e) => e.partitions);
    // A topic read by two groups is produced to once: production counts each partition once.
    // Keyed topic, then an array indexed by partition: no "topic\0partition" string (nor a map per
    // topic) per cycle. Indexed loops: this runs once a cycle, too rarely for for-of to be optimised.
    const producedByTp = new Map<string, number[]>();
    for (let i = 0; i < partitions.length; i++) {
      const p = partitions[i];
      let byPartition = producedByTp.get(p.topic);
      if (!byPartition) producedByTp.set(p.topic, (byPartition = []));
      byPartition[p.partition] = p.production_rate;
    }
    let production = 0;
    producedByTp.forEach((byPartition) => {
      for (let i = 0; i < byPartition.length; i++) production += byPartition[i] ?? 0;
    });
    const totalLag = groups.reduce((s, g) => s + g.total_lag, 0);
    const code = groups.reduce<number>((c, g) => Math.max(c, g.status_code), 0) as 0 | 1 | 2;
    const lagging = groups.filter((g) => g.total_lag > 0);
    const ttd =
      lagging.length === 0
        ? 0
        : lagging.every((g) => g.time_to_drain_seconds !== null)
          ? Math.max(...lagging.map((g) => g.time_to_drain_seconds ?? 0))
          : null;
    const known = groups.filter((g) => g.max_lag_seconds !== null).map((g) => g.max_lag_seconds ?? 0);
    return {
      timestamp: new Date(obs.at).toISOString(),
      total_lag: totalLag,
      status: STATUS_WORDS[code],
      status_code: code,
      rate_of_change: round(groups.reduce((s, g) => s + g.rate_of_change, 0)),
      rate_of_change_trend: round(groups.reduce((s, g) => s + g.rate_of_change_trend, 0)),
      production_rate: round(production),
      consumption_rate: round(groups.reduce((s, g) => s + g.consumption_rate, 0)),
      time_to_drain_seconds: ttd,
      draining: lagging.length > 0 && lagging.every((g) => g.draining),
      max_lag_seconds: known.length > 0 ? Math.max(...known) : null,
      groups,
      topics: topicTotals(partitions),
      partitions,
      collection: { duration_ms: obs.durationMs, errors: obs.errors, cycles: cycle },
      cluster: obs.cluster ? this.clusterReport(obs.cluster, obs.at) : null,
    };
  }

  /** Keeps the report, its snapshot and advice; updates alerts and metrics; tells the listeners. */
  private publish(report: LagReport, conditions: AlertCondition[], advice: Recommendation[]): void {
    this.latest = report;
    this.latestAdvice = advice;
    this.snapshots.push({
      timestamp: report.timestamp,
      total_lag: report.total_lag,
      status_code: report.status_code,
      rate_of_change: report.rate_of_change,
      production_rate: report.production_rate,
      consumption_rate: report.consumption_rate,
      max_lag_seconds: report.max_lag_seconds,
      groups: report.groups.map((g) => ({
        group: g.group,
        total_lag: g.total_lag,
        status_code: g.status_code,
        rate_of_change: g.rate_of_change,
        max_lag_seconds: g.max_lag_seconds,
      })),
    });
    const keep = this.config.snapshotHistory;
    if (this.snapshots.length > keep) this.snapshots.splice(0, this.snapshots.length - keep);
    this.alertBook.update(conditions);
    this.metrics.update({
      groups: report.groups,
      partitions: report.partitions,
      overall: {
        total_lag: report.total_lag,
        status_code: report.status_code,
        rate_of_change: report.rate_of_change,
      },
      collectionSeconds: report.collection.duration_ms / 1000,
      cluster: report.cluster,
    });
    for (const fn of this.listeners) fn(report);
  }

  /** The latest lag report (the lab's GET /lag); an empty, OK report before the first cycle. */
  lag(): LagReport {
    return (
      this.latest ?? {
        timestamp: new Date(this.clock.now()).toISOString(),
        total_lag: 0,
        status: 'ok',
        status_code: 0,
        rate_of_change: 0,
        rate_of_change_trend: 0,
        production_rate: 0,
        consumption_rate: 0,
        time_to_drain_seconds: null,
        draining: false,
        max_lag_seconds: null,
        groups: [],
        topics: [],
        partitions: [],
        collection: { duration_ms: 0, errors: [], cycles: 0 },
        cluster: null,
      }
    );
  }

  /** Folds one cycle's metadata into the brokers seen so far and the leaderless partitions' start times. */
  private clusterReport(c: ClusterObservation, now: number): ClusterReport {
    for (const b of c.brokers)
      this.brokersSeen.set(b.nodeId, { host: b.host, port: b.port, lastSeenAt: now });
    const listed = new Set(c.brokers.map((b) => b.nodeId));
    const unreachable = new Set(c.unreachable);
    const brokers = [...this.brokersSeen.entries()]
      .sort(([a], [b]) => a - b)
      .map(([nodeId, b]) => ({
        node_id: nodeId,
        host: b.host,
        port: b.port,
        status: !listed.has(nodeId)
          ? ('missing' as const)
          : unreachable.has(nodeId)
            ? ('unreachable' as const)
            : ('up' as const),
        last_seen: new Date(b.lastSeenAt).toISOString(),
      }));
    const keys = new Set<string>();
    const leaderless = c.leaderless.map((p) => {
      const key = `${p.topic}\u0000${p.partition}`;
      keys.add(key);
      const since = this.leaderlessSince.get(key) ?? now;
      this.leaderlessSince.set(key, since);
      return { topic: p.topic, partition: p.partition, since: new Date(since).toISOString() };
    });
    for (const k of [...this.leaderlessSince.keys()]) if (!keys.has(k)) this.leaderlessSince.delete(k);
    return { brokers, leaderless_partitions: leaderless };
  }

  /** Past snapshots, oldest first (GET /lag/history); `limit` keeps the newest ones. */
  history(limit?: number): { interval_ms: number; capacity: number; samples: HistoryEntry[] } {
    const s = limit === undefined ? this.snapshots : this.snapshots.slice(-Math.max(0, limit));
    return { interval_ms: this.config.intervalMs, capacity: this.config.snapshotHistory, samples: [...s] };
  }

  /** Open alerts and the newest events first (GET /alerts). */
  alerts(limit?: number): {
    active: ReturnType<AlertBook['active']>;
    history: AlertEvent[];
    webhook: WebhookNotifier['stats'] | null;
  } {
    return {
      active: this.alertBook.active(),
      history: this.alertBook.history(limit),
      webhook: this.webhook ? { ...this.webhook.stats } : null,
    };
  }

  /** The quick status (GET /status). */
  status(): StatusReport {
    const r = this.latest;
    const count = (c: number) => (r?.groups ?? []).filter((g) => g.status_code === c).length;
    return {
      status: r?.status ?? 'ok',
      status_code: r?.status_code ?? 0,
      total_lag: r?.total_lag ?? 0,
      rate_of_change: r?.rate_of_change ?? 0,
      groups: { ok: count(0), warning: count(1), critical: count(2) },
      active_alerts: this.alertBook.active().length,
      last_collection: r?.timestamp ?? null,
      collection_duration_ms: r ? r.collection.duration_ms : null,
      collection_errors: r ? r.collection.errors.length : 0,
      collection_failure: this.lastFailure,
      thresholds: {
        critical_lag: this.config.thresholds.criticalLag,
        warning_rate: this.config.thresholds.warningRate,
        allowed_lag: this.config.thresholds.allowedLag,
      },
    };
  }

  /** Advice in words for every group (GET /recommendations), most severe first. */
  recommendations(): { timestamp: string | null; recommendations: Recommendation[] } {
    const rank = { critical: 0, warning: 1, info: 2 };
    return {
      timestamp: this.latest?.timestamp ?? null,
      recommendations: [...this.latestAdvice].sort((a, b) => rank[a.severity] - rank[b.severity]),
    };
  }
}

interface EvaluatedPartition {
  report: PartitionReport;
  /** Lag growth over the last few samples (records/s), and over the whole window. */
  rate: number;
  trend: number;
  production: number;
  consumption: number;
  timeLag: ReturnType<typeof timeLag>;
  idleSeconds: number | null;
  /** The committed offset moved within the window. */
  movedInWindow: boolean;
  /** Samples in the window since the first commit. */
  samples: number;
}

interface EvaluatedGroup {
  report: GroupReport;
  partitions: PartitionReport[];
  conditions: AlertCondition[];
  advice: Recommendation[];
}

/**
 * The partition statuses that raise the group's status and open an alert: one table for both, so the
 * reason a group is critical and the alert it opens cannot disagree.
 */
const STATUS_ALERTS = [
  { status: 'STOP', kind: 'consumer_stopped', severity: 'critical' },
  { status: 'STALL', kind: 'consumer_stalled', severity: 'critical' },
  { status: 'REWIND', kind: 'offset_rewind', severity: 'warning' },
  { status: 'WARN', kind: 'lag_not_decreasing', severity: 'warning' },
] as const;

/**
 * How long a partition may wait for its turn while the member that owns it commits on its other
 * partitions before it counts as stalled after all: past this, one record failing every time (or a
 * consumer that serves its partitions one after another) is the likelier story.
 */
export const MAX_TURN_WAIT_MS = 60_000;

/** Who owns each partition ("topic\0partition" → member). */
function partitionOwners(g: GroupObservation): Map<string, PartitionReport['owner']> {
  const owners = new Map<string, PartitionReport['owner']>();
  for (const m of g.members)
    for (const a of m.assignment)
      for (const p of a.partitions)
        owners.set(`${a.topic}\u0000${p}`, { member_id: m.memberId, client_id: m.clientId, host: m.host });
  return owners;
}

/**
 * One partition's window at a time, in arrays reused for every partition of every cycle (at 10,000
 * partitions, fresh arrays per window were a third of a cycle's garbage): the newest `size` samples
 * (`tAll`, `endAll`: `count` of them) and those from the first commit on (`t`, `end`, `committed`,
 * `lag`: `committedCount`; before the first commit the samples say nothing about the consumer).
 */
class WindowScratch {
  readonly tAll: Float64Array;
  readonly endAll: Float64Array;
  private readonly committedAll: Float64Array;
  readonly t: Float64Array;
  readonly end: Float64Array;
  readonly committed: Float64Array;
  readonly lag: Float64Array;
  count = 0;
  committedCount = 0;

  constructor(private readonly size: number) {
    [this.tAll, this.endAll, this.committedAll, this.t, this.end, this.committed, this.lag] = Array.from(
      { length: 7 },
      () => new Float64Array(size),
    );
  }

  fill(ring: SampleRing): void {
    const k = ring.windowInto(this.size, this.tAll, this.endAll, this.committedAll);
    let from = 0;
    while (from < k && Number.isNaN(this.committedAll[from])) from++;
    for (let i = from; i < k; i++) {
      const j = i - from;
      this.t[j] = this.tAll[i];
      this.end[j] = this.endAll[i];
      this.committed[j] = this.committedAll[i];
      this.lag[j] = Math.max(0, this.endAll[i] - this.committedAll[i]);
    }
    this.count = k;
    this.committedCount = k - from;
  }
}

/**
 * A STALL whose owner committed on its other partitions within the window is a partition waiting for
 * its turn behind a busy member, not a stuck one: OK, saying so, until it has waited {@link MAX_TURN_WAIT_MS}.
 */
function markWaitingTurns(parts: EvaluatedPartition[]): void {
  const busy = new Map<string, PartitionReport>();
  for (const p of parts) {
    const owner = p.report.owner?.member_id;
    if (owner !== undefined && p.movedInWindow) busy.set(owner, p.report);
  }
  for (const p of parts) {
    const r = p.report;
    const elsewhere = r.owner ? busy.get(r.owner.member_id) : undefined;
    if (r.status !== 'STALL' || !elsewhere) continue;
    const waitedMs = (p.idleSeconds ?? 0) * 1000;
    if (waitedMs > MAX_TURN_WAIT_MS) {
      r.reason += `; its owner commits on ${elsewhere.topic}/${elsewhere.partition} but not here for ${Math.round(waitedMs / 1000)} s`;
      continue;
    }
    r.status = 'OK';
    r.status_code = 0;
    r.reason = `waiting its turn: its owner ${r.owner?.client_id ?? ''} is committing on ${elsewhere.topic}/${elsewhere.partition}`;
  }
}

/**
 * Partitions left out of the group's total: those whose offsets this cycle could not read, and those
 * holding records where the group never committed (how far behind it is depends on its reset policy).
 */
function unknownLagPartitions(g: GroupObservation): number {
  let unknown = g.unreadPartitions ?? 0;
  for (const p of g.partitions) if (p.committed === null && p.logEnd > p.logStart) unknown++;
  return unknown;
}

/** Sums over a group's partitions, and its largest lag in seconds. */
function groupTotals(parts: EvaluatedPartition[]) {
  let totalLag = 0;
  let rate = 0;
  let trend = 0;
  let production = 0;
  let consumption = 0;
  let samples = Number.POSITIVE_INFINITY;
  let maxLagSeconds: number | null = null;
  let maxMethod: TimeLagMethod = 'exact';
  for (const p of parts) {
    const { lag } = p.report;
    production += p.production;
    if (lag === null) continue;
    totalLag += lag;
    rate += p.rate;
    trend += p.trend;
    consumption += p.consumption;
    samples = Math.min(samples, p.samples);
    if (lag > 0) {
      if (p.timeLag.seconds === null) maxMethod = 'unknown';
      else if (maxLagSeconds === null || p.timeLag.seconds > maxLagSeconds) {
        maxLagSeconds = p.timeLag.seconds;
        if (maxMethod !== 'unknown') maxMethod = p.timeLag.method;
      }
    }
  }
  if (parts.every((p) => p.report.lag === null || p.report.lag === 0))
    maxLagSeconds = parts.some((p) => p.report.lag === 0) ? 0 : null;
  return {
    totalLag,
    rate,
    trend,
    production,
    consumption,
    samples: Number.isFinite(samples) ? samples : 0,
    maxLagSeconds: maxLagSeconds === null || maxMethod === 'unknown' ? null : round(maxLagSeconds),
    maxMethod,
  };
}

/** The group's status from the lab thresholds and its partitions' window statuses; the worse wins. */
function groupStatus(partitions: PartitionReport[], totalLag: number, rate: number, t: MonitorThresholds) {
  const reasons: string[] = [];
  let code: 0 | 1 | 2 = 0;
  const raise = (c: 0 | 1 | 2, why: string) => {
    if (c > code) code = c;
    reasons.push(why);
  };
  if (totalLag > t.criticalLag) raise(2, `total lag ${totalLag} > ${t.criticalLag}`);
  if (rate > t.warningRate) raise(1, `lag grows ${round(rate, 1)}/s > ${t.warningRate}/s`);
  for (const { status } of STATUS_ALERTS) {
    const hit = partitions.filter((p) => p.status === status);
    if (hit.length > 0)
      raise(
        statusCode(status),
        `${hit.length} partition(s) ${status}: ${hit[0].topic}/${hit[0].partition} ${hit[0].reason}`,
      );
  }
  return { code, reasons };
}

/** The alert conditions a group's report raises (the AlertBook opens and resolves alerts from them). */
function groupConditions(
  g: GroupReport,
  partitions: PartitionReport[],
  growth: number,
  t: MonitorThresholds,
): AlertCondition[] {
  const conditions: AlertCondition[] = [];
  if (g.total_lag > t.criticalLag)
    conditions.push({
      kind: 'lag_critical',
      group: g.group,
      severity: 'critical',
      value: g.total_lag,
      threshold: t.criticalLag,
      message: `group ${g.group}: total lag ${g.total_lag} > ${t.criticalLag}`,
    });
  if (growth > t.warningRate)
    conditions.push({
      kind: 'lag_growing',
      group: g.group,
      severity: 'warning',
      value: g.rate_of_change,
      threshold: t.warningRate,
      message: `group ${g.group}: lag grows ${round(g.rate_of_change, 1)}/s > ${t.warningRate}/s`,
    });
  for (const { status, kind, severity } of STATUS_ALERTS) {
    const hit = partitions.filter((p) => p.status === status);
    if (hit.length > 0)
      conditions.push({
        kind,
        group: g.group,
        severity,
        value: hit.length,
        message: `group ${g.group}: ${hit.length} partition(s) ${status} (${hit
          .map((p) => `${p.topic}/${p.partition}`)
          .slice(0, 5)
          .join(', ')}): ${hit[0].reason}`,
      });
  }
  return conditions;
}

/** A group's totals on a topic before any partition is counted in. */
function noTopicTotals(group: string, topic: string): TopicReport {
  return {
    group,
    topic,
    partitions: 0,
    total_lag: 0,
    rate_of_change: 0,
    production_rate: 0,
    consumption_rate: 0,
    max_lag_seconds: null,
  };
}

function topicTotals(partitions: PartitionReport[]): TopicReport[] {
  const out: TopicReport[] = [];
  // Keyed group, then topic: no "group\0topic" string per partition per cycle.
  const byGroup = new Map<string, Map<string, TopicReport>>();
  for (let i = 0; i < partitions.length; i++) {
    const p = partitions[i];
    let byTopic = byGroup.get(p.group);
    if (!byTopic) byGroup.set(p.group, (byTopic = new Map()));
    let t = byTopic.get(p.topic);
    if (!t) {
      t = noTopicTotals(p.group, p.topic);
      byTopic.set(p.topic, t);
      out.push(t);
    }
    t.partitions++;
    t.total_lag += p.lag ?? 0;
    t.rate_of_change = round(t.rate_of_change + p.rate_of_change);
    t.production_rate = round(t.production_rate + p.production_rate);
    t.consumption_rate = round(t.consumption_rate + p.consumption_rate);
    if (p.lag_seconds !== null && (t.max_lag_seconds === null || p.lag_seconds > t.max_lag_seconds))
      t.max_lag_seconds = p.lag_seconds;
  }
  return out;
}
