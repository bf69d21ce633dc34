import type { TimeLagMethod } from './time-lag.js';
import type { PartitionStatus } from './window-rules.js';

/** JSON-ready shapes of the monitor's outputs (the lab's /lag, /lag/history, /status…). */

/** How fast the lag moves, in records/s, and the rates that move it. */
export interface LagRates {
  /** Lag growth (records/s) over the last few samples (`rateSamples`): what the lag does now. */
  rate_of_change: number;
  /** Lag growth over the whole window (`windowSize` samples): the longer trend. */
  rate_of_change_trend: number;
  production_rate: number;
  consumption_rate: number;
}

/** When the lag will be gone at the current rates (null: not draining). */
export interface Draining {
  time_to_drain_seconds: number | null;
  draining: boolean;
}

export interface PartitionReport extends LagRates {
  group: string;
  topic: string;
  partition: number;
  log_start_offset: number;
  log_end_offset: number;
  committed_offset: number | null;
  lag: number | null;
  lag_seconds: number | null;
  lag_seconds_method: TimeLagMethod;
  /** With method `unknown`: the oldest unconsumed record is at least this old. */
  lag_seconds_at_least: number | null;
  status: PartitionStatus;
  status_code: 0 | 1 | 2;
  reason: string;
  /** Seconds since the committed offset last moved (as sampled); null before the first commit. */
  seconds_since_progress: number | null;
  owner: { member_id: string; client_id: string; host: string } | null;
}

/** A group's (and the whole report's) status, by its status_code (0, 1, 2). */
export const STATUS_WORDS = ['ok', 'warning', 'critical'] as const;
export type StatusWord = (typeof STATUS_WORDS)[number];

export interface GroupReport extends LagRates, Draining {
  group: string;
  state: string;
  members: number;
  /** Members with at least one partition assigned. */
  consumers: number;
  partitions: number;
  /** Sum of the partitions' known lag; a lower bound while `unknown_lag_partitions` is above 0. */
  total_lag: number;
  /**
   * Partitions whose lag is unknown this cycle and so not in `total_lag`: their offsets could not be read
   * (the reasons are in `collection.errors`), or they hold records where the group never committed. A
   * total of 0 means caught up only when this is 0.
   */
  unknown_lag_partitions: number;
  status: StatusWord;
  status_code: 0 | 1 | 2;
  /** Burrow's roll-up of the window statuses (OK | WARN | ERR). */
  window_status: 'OK' | 'WARN' | 'ERR';
  reasons: string[];
  max_lag_seconds: number | null;
  max_lag_seconds_method: TimeLagMethod;
  /** Seconds the group has had zero lag without a break; null when it has lag. */
  zero_lag_seconds: number | null;
  samples: number;
}

/** Totals of one group on one topic. */
export interface TopicReport {
  group: string;
  topic: string;
  partitions: number;
  total_lag: number;
  rate_of_change: number;
  production_rate: number;
  consumption_rate: number;
  /** Largest known lag in seconds among its partitions; null when none is known. */
  max_lag_seconds: number | null;
}

/**
 * The cluster as the monitor sees it: every broker it has seen since it started, and the partitions
 * without a leader now. A broker's status: `up` (listed and answering), `unreachable` (listed, but did
 * not answer this cycle: a killed Kafka broker stays listed until the controller fences it, about
 * broker.session.timeout.ms later), `missing` (seen before, no longer listed: dead or removed).
 */
export interface ClusterReport {
  brokers: {
    node_id: number;
    host: string;
    port: number;
    status: 'up' | 'unreachable' | 'missing';
    /** Last cycle the metadata listed it. */
    last_seen: string;
  }[];
  /** Partitions whose metadata names no leader, with the first cycle that saw each so. */
  leaderless_partitions: { topic: string; partition: number; since: string }[];
}

export interface LagReport extends LagRates, Draining {
  timestamp: string;
  total_lag: number;
  status: StatusWord;
  status_code: 0 | 1 | 2;
  max_lag_seconds: number | null;
  groups: GroupReport[];
  topics: TopicReport[];
  partitions: PartitionReport[];
  collection: { duration_ms: number; errors: string[]; cycles: number };
  /** Null when this cycle's source did not read the cluster's metadata (a scripted source, a failed request). */
  cluster: ClusterReport | null;
}

export interface HistoryEntry {
  timestamp: string;
  total_lag: number;
  status_code: 0 | 1 | 2;
  rate_of_change: number;
  production_rate: number;
  consumption_rate: number;
  max_lag_seconds: number | null;
  groups: {
    group: string;
    total_lag: number;
    status_code: 0 | 1 | 2;
    rate_of_change: number;
    max_lag_seconds: number | null;
  }[];
}

export interface StatusReport {
  status: StatusWord;
  status_code: 0 | 1 | 2;
  total_lag: number;
  rate_of_change: number;
  groups: { ok: number; warning: number; critical: number };
  active_alerts: number;
  last_collection: string | null;
  collection_duration_ms: number | null;
  collection_errors: number;
  /** The last cycle that failed outright (cluster unreachable…), cleared by the next good one. */
  collection_failure: { at: string; error: string } | null;
  thresholds: { critical_lag: number; warning_rate: number; allowed_lag: number };
}
