import { Admin } from '../client/admin.js';
import type { Cluster } from '../client/cluster.js';
import type { Clock, Timer } from '../flow/clock.js';
import { adviseGroup, type Recommendation } from './advice.js';
import { AlertBook, type AlertCondition, type AlertEvent } from './alerts.js';
import { groupWatched, type MonitorConfig, type MonitorOptions, resolveMonitorConfig } from './config.js';
import { KafkaLagSource } from './kafka-lag-source.js';
import { MonitorMetrics } from './metrics.js';
import type { ClusterObservation, Observation } from './observation.js';
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
import { SampleRing, slopePerSecond } from './sample-ring.js';
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
  /** Or a shared client cluster. */
  cluster?: Cluster;
  /** Or any other source of observations. */
  source?: LagSource;
}

interface PartitionTrack {
  ring: SampleRing;
  lastCommitted: number | null;
  lastChangeAt: number | null;
  seenInCycle: number;
}

interface GroupTrack {
  zeroSince: number | null;
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
  private readonly admin: Admin | null = null;
  private readonly tracks = new Map<string, PartitionTrack>();
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
        : new Admin({ brokers: options.brokers ?? [], clientId: 'sluice-monitor', clock: this.clock });
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
    const cfg = this.config;
    const now = obs.at;
    const cycle = ++this.cycles;
    const groups: GroupReport[] = [];
    const partitions: PartitionReport[] = [];
    const conditions: AlertCondition[] = [];
    const advice: Recommendation[] = [];
    const producedByTp = new Map<string, number>();

    for (const g of obs.groups) {
      const owners = new Map<string, PartitionReport['owner']>();
      for (const m of g.members)
        for (const a of m.assignment)
          for (const p of a.partitions)
            owners.set(`${a.topic}\u0000${p}`, {
              member_id: m.memberId,
              client_id: m.clientId,
              host: m.host,
            });
      const consumers = g.members.filter((m) => m.assignment.some((a) => a.partitions.length > 0)).length;
      let totalLag = 0;
      let rate = 0;
      let production = 0;
      let consumption = 0;
      let samples = Number.POSITIVE_INFINITY;
      let maxLagSeconds: number | null = null;
      let maxMethod: TimeLagMethod = 'exact';
      const statuses: { status: PartitionReport['status']; idleSeconds: number | null }[] = [];
      const groupPartitions: PartitionReport[] = [];
      for (const p of g.partitions) {
        const tpKey = `${p.topic}\u0000${p.partition}`;
        const key = `${g.groupId}\u0000${tpKey}`;
        let track = this.tracks.get(key);
        if (!track) {
          track = {
            ring: new SampleRing(cfg.historySize),
            lastCommitted: null,
            lastChangeAt: null,
            seenInCycle: cycle,
          };
          this.tracks.set(key, track);
        }
        track.seenInCycle = cycle;
        track.ring.push(now, p.logEnd, p.committed);
        if (p.committed !== null && p.committed !== track.lastCommitted) {
          track.lastCommitted = p.committed;
          track.lastChangeAt = now;
        }
        const w = track.ring.window(cfg.windowSize);
        // Samples from before the first commit say nothing about the consumer.
        let from = 0;
        while (from < w.committed.length && Number.isNaN(w.committed[from])) from++;
        const wEnd = from === 0 ? w.end : w.end.slice(from);
        const wCommitted = from === 0 ? w.committed : w.committed.slice(from);
        const wT = from === 0 ? w.t : w.t.slice(from);
        const lagSeries = wCommitted.map((c, i) => Math.max(0, wEnd[i] - c));
        const owner = owners.get(tpKey) ?? null;
        const verdict = evaluateWindow({
          end: wEnd,
          committed: wCommitted,
          lag: lagSeries,
          owned: owner !== null,
          allowedLag: cfg.thresholds.allowedLag,
          minSamples: cfg.minSamples,
        });
        const lag = p.committed === null ? null : Math.max(0, p.logEnd - p.committed);
        const pRate = p.committed === null ? 0 : slopePerSecond(wT, lagSeries);
        const pProd = slopePerSecond(w.t, w.end);
        const pCons = p.committed === null ? 0 : slopePerSecond(wT, wCommitted);
        producedByTp.set(tpKey, pProd);
        const tl = timeLag(now, p.committed, p.logEnd, p.committedRecordTimestamp, track.ring);
        const idleSeconds = track.lastChangeAt === null ? null : (now - track.lastChangeAt) / 1000;
        const report: PartitionReport = {
          group: g.groupId,
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
          rate_of_change: round(pRate),
          production_rate: round(pProd),
          consumption_rate: round(pCons),
          seconds_since_progress: idleSeconds === null ? null : round(idleSeconds),
          owner,
        };
        groupPartitions.push(report);
        statuses.push({ status: verdict.status, idleSeconds });
        if (lag !== null) {
          totalLag += lag;
          rate += pRate;
          consumption += pCons;
          samples = Math.min(samples, wCommitted.length);
        }
        production += pProd;
        if (lag !== null && lag > 0) {
          if (tl.seconds === null) maxMethod = 'unknown';
          else if (maxLagSeconds === null || tl.seconds > maxLagSeconds) {
            maxLagSeconds = tl.seconds;
            if (maxMethod !== 'unknown') maxMethod = tl.method;
          }
        }
      }
      if (!Number.isFinite(samples)) samples = 0;
      if (groupPartitions.every((p) => p.lag === null || p.lag === 0))
        maxLagSeconds = groupPartitions.some((p) => p.lag === 0) ? 0 : null;

      let gt = this.groupTracks.get(g.groupId);
      if (!gt) {
        gt = { zeroSince: null, seenInCycle: cycle };
        this.groupTracks.set(g.groupId, gt);
      }
      gt.seenInCycle = cycle;
      if (totalLag === 0) gt.zeroSince ??= now;
      else gt.zeroSince = null;

      const reasons: string[] = [];
      let code: 0 | 1 | 2 = 0;
      const raise = (c: 0 | 1 | 2, why: string) => {
        if (c > code) code = c;
        reasons.push(why);
      };
      const t = cfg.thresholds;
      if (totalLag > t.criticalLag) raise(2, `total lag ${totalLag} > ${t.criticalLag}`);
      if (rate > t.warningRate) raise(1, `lag grows ${round(rate, 1)}/s > ${t.warningRate}/s`);
      for (const s of ['STOP', 'STALL', 'REWIND', 'WARN'] as const) {
        const hit = groupPartitions.filter((p) => p.status === s);
        if (hit.length > 0)
          raise(
            statusCode(s),
            `${hit.length} partition(s) ${s}: ${hit[0].topic}/${hit[0].partition} ${hit[0].reason}`,
          );
      }
      const draining = totalLag > 0 && rate < 0;
      const ttd = totalLag === 0 ? 0 : draining ? totalLag / -rate : null;
      const report: GroupReport = {
        group: g.groupId,
        state: g.state,
        members: g.members.length,
        consumers,
        partitions: groupPartitions.length,
        total_lag: totalLag,
        status: STATUS_WORDS[code],
        status_code: code,
        window_status: burrowGroupStatus(groupPartitions.map((p) => p.status)),
        reasons,
        rate_of_change: round(rate),
        production_rate: round(production),
        consumption_rate: round(consumption),
        time_to_drain_seconds: ttd === null ? null : round(ttd, 1),
        draining,
        max_lag_seconds: maxLagSeconds === null || maxMethod === 'unknown' ? null : round(maxLagSeconds),
        max_lag_seconds_method: maxMethod,
        zero_lag_seconds: gt.zeroSince === null ? null : round((now - gt.zeroSince) / 1000),
        samples,
      };
      groups.push(report);
      partitions.push(...groupPartitions);

      if (totalLag > t.criticalLag)
        conditions.push({
          kind: 'lag_critical',
          group: g.groupId,
          severity: 'critical',
          value: totalLag,
          threshold: t.criticalLag,
          message: `group ${g.groupId}: total lag ${totalLag} > ${t.criticalLag}`,
        });
      if (rate > t.warningRate)
        conditions.push({
          kind: 'lag_growing',
          group: g.groupId,
          severity: 'warning',
          value: round(rate),
          threshold: t.warningRate,
          message: `group ${g.groupId}: lag grows ${round(rate, 1)}/s > ${t.warningRate}/s`,
        });
      const byStatus = (s: string) => groupPartitions.filter((p) => p.status === s);
      const kinds = [
        ['STOP', 'consumer_stopped', 'critical'],
        ['STALL', 'consumer_stalled', 'critical'],
        ['REWIND', 'offset_rewind', 'warning'],
        ['WARN', 'lag_not_decreasing', 'warning'],
      ] as const;
      for (const [s, kind, severity] of kinds) {
        const hit = byStatus(s);
        if (hit.length > 0)
          conditions.push({
            kind,
            group: g.groupId,
            severity,
            value: hit.length,
            message: `group ${g.groupId}: ${hit.length} partition(s) ${s} (${hit
              .map((p) => `${p.topic}/${p.partition}`)
              .slice(0, 5)
              .join(', ')}): ${hit[0].reason}`,
          });
      }
      advice.push(
        ...adviseGroup({
          group: g.groupId,
          totalLag,
          productionRate: production,
          consumptionRate: consumption,
          rateOfChange: rate,
          timeToDrainSeconds: ttd,
          consumers,
          partitions: groupPartitions.length,
          statuses,
          zeroLagSeconds: gt.zeroSince === null ? null : (now - gt.zeroSince) / 1000,
          criticalLag: t.criticalLag,
          warningRate: t.warningRate,
          idleAdviceAfterSeconds: cfg.idleAdviceAfterMs / 1000,
          samples,
        }),
      );
    }
    for (const [k, tr] of this.tracks) if (tr.seenInCycle !== cycle) this.tracks.delete(k);
    for (const [k, tr] of this.groupTracks) if (tr.seenInCycle !== cycle) this.groupTracks.delete(k);

    const totalLag = groups.reduce((s, g) => s + g.total_lag, 0);
    const code = groups.reduce<number>((c, g) => Math.max(c, g.status_code), 0) as 0 | 1 | 2;
    const rate = groups.reduce((s, g) => s + g.rate_of_change, 0);
    const production = [...producedByTp.values()].reduce((s, x) => s + x, 0);
    const consumption = groups.reduce((s, g) => s + g.consumption_rate, 0);
    const lagging = groups.filter((g) => g.total_lag > 0);
    const ttd =
      lagging.length === 0
        ? 0
        : lagging.every((g) => g.time_to_drain_seconds !== null)
          ? Math.max(...lagging.map((g) => g.time_to_drain_seconds ?? 0))
          : null;
    const known = groups.filter((g) => g.max_lag_seconds !== null).map((g) => g.max_lag_seconds ?? 0);
    const report: LagReport = {
      timestamp: new Date(now).toISOString(),
      total_lag: totalLag,
      status: STATUS_WORDS[code],
      status_code: code,
      rate_of_change: round(rate),
      production_rate: round(production),
      consumption_rate: round(consumption),
      time_to_drain_seconds: ttd,
      draining: lagging.length > 0 && lagging.every((g) => g.draining),
      max_lag_seconds: known.length > 0 ? Math.max(...known) : null,
      groups,
      topics: topicTotals(partitions),
      partitions,
      collection: { duration_ms: obs.durationMs, errors: obs.errors, cycles: cycle },
      cluster: obs.cluster ? this.clusterReport(obs.cluster, now) : null,
    };
    this.latest = report;
    this.latestAdvice = advice;
    this.snapshots.push({
      timestamp: report.timestamp,
      total_lag: totalLag,
      status_code: code,
      rate_of_change: report.rate_of_change,
      production_rate: report.production_rate,
      consumption_rate: report.consumption_rate,
      max_lag_seconds: report.max_lag_seconds,
      groups: groups.map((g) => ({
        group: g.group,
        total_lag: g.total_lag,
        status_code: g.status_code,
        rate_of_change: g.rate_of_change,
        max_lag_seconds: g.max_lag_seconds,
      })),
    });
    if (this.snapshots.length > cfg.snapshotHistory)
      this.snapshots.splice(0, this.snapshots.length - cfg.snapshotHistory);
    this.alertBook.update(conditions);
    this.metrics.update({
      groups,
      partitions,
      overall: { total_lag: totalLag, status_code: code, rate_of_change: report.rate_of_change },
      collectionSeconds: obs.durationMs / 1000,
      cluster: report.cluster,
    });
    for (const fn of this.listeners) fn(report);
    return report;
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

function topicTotals(partitions: PartitionReport[]): TopicReport[] {
  const out = new Map<string, TopicReport>();
  for (const p of partitions) {
    const key = `${p.group}\u0000${p.topic}`;
    let t = out.get(key);
    if (!t) {
      t = {
        group: p.group,
        topic: p.topic,
        partitions: 0,
        total_lag: 0,
        rate_of_change: 0,
        production_rate: 0,
        consumption_rate: 0,
        max_lag_seconds: null,
      };
      out.set(key, t);
    }
    t.partitions++;
    t.total_lag += p.lag ?? 0;
    t.rate_of_change = round(t.rate_of_change + p.rate_of_change);
    t.production_rate = round(t.production_rate + p.production_rate);
    t.consumption_rate = round(t.consumption_rate + p.consumption_rate);
    if (p.lag_seconds !== null && (t.max_lag_seconds === null || p.lag_seconds > t.max_lag_seconds))
      t.max_lag_seconds = p.lag_seconds;
  }
  return [...out.values()];
}
