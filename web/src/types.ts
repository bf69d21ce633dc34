/**
 * The JSON the monitor service sends (the shapes of src/monitor/reports.ts, alerts.ts and advice.ts,
 * and of the lab services' /stats), restated here for the page: only the fields it reads.
 */

export type StatusWord = 'ok' | 'warning' | 'critical';

export interface PartitionReport {
  group: string;
  topic: string;
  partition: number;
  log_start_offset: number;
  log_end_offset: number;
  committed_offset: number | null;
  lag: number | null;
  lag_seconds: number | null;
  status: string;
  status_code: 0 | 1 | 2;
  owner: { member_id: string; client_id: string; host: string } | null;
}

export interface GroupReport {
  group: string;
  state: string;
  members: number;
  consumers: number;
  total_lag: number;
  status: StatusWord;
  rate_of_change: number;
  production_rate: number;
  consumption_rate: number;
  time_to_drain_seconds: number | null;
  max_lag_seconds: number | null;
}

export interface LagReport {
  timestamp: string;
  total_lag: number;
  status: StatusWord;
  rate_of_change: number;
  production_rate: number;
  consumption_rate: number;
  time_to_drain_seconds: number | null;
  draining: boolean;
  max_lag_seconds: number | null;
  groups: GroupReport[];
  partitions: PartitionReport[];
  collection: { duration_ms: number; errors: string[]; cycles: number };
}

export interface Alert {
  id: string;
  kind: string;
  group: string;
  severity: 'warning' | 'critical';
  message: string;
  state: 'open' | 'closed';
  opened_at: string;
  closed_at: string | null;
}

export interface Recommendation {
  group: string;
  severity: 'info' | 'warning' | 'critical';
  kind: string;
  message: string;
}

export interface Snapshot {
  lag: LagReport;
  status: { status: StatusWord; active_alerts: number; thresholds: { critical_lag: number } };
  alerts: { active: Alert[]; history: { event: 'open' | 'close'; at: string; alert: Alert }[] };
  recommendations: { timestamp: string | null; recommendations: Recommendation[] };
}

export interface HistoryEntry {
  timestamp: string;
  total_lag: number;
  rate_of_change: number;
  production_rate: number;
  consumption_rate: number;
  max_lag_seconds: number | null;
}

export interface ConsumerStats {
  instance: string;
  paused: boolean;
  consumed: number;
  rate: number;
  processing_time_ms: number;
  max_messages_per_second: number | null;
  in_flight: number;
  max_in_flight: number;
  credits_free?: number;
  sink_active?: number;
  paused_partitions?: number[];
  assigned_partitions: number[];
}

export interface ProducerStats {
  running: boolean;
  produced: number;
  rejected_total: number;
  buffer: {
    buffered_bytes: number;
    buffered_records?: number;
    capacity_bytes: number;
    waiting_senders: number;
  };
}

export interface ProducerConfig {
  rate_ms: number;
  batch_size: number;
  running: boolean;
}

export interface Flow {
  producer: { url: string; stats: ProducerStats | null; config: ProducerConfig | null } | null;
  consumers: { instance: string; url: string; stats: ConsumerStats | null }[];
}

export interface LabInfo {
  topic: string;
  partitions: number;
  group: string;
  embedded_broker: boolean;
  storage: string;
  producer: string | null;
  consumers: string[];
}

export interface TopicsView {
  brokers: { node_id: number; host: string; port: number }[];
  topics: {
    name: string;
    internal: boolean;
    partitions: number;
    messages: number;
    partition_details: {
      partition: number;
      leader: number;
      log_start_offset: number;
      log_end_offset: number;
      messages: number;
    }[];
  }[];
}

export interface GroupsView {
  groups: {
    group: string;
    state: string;
    protocol: string;
    members: {
      member_id: string;
      client_id: string;
      host: string;
      partitions: { topic: string; partition: number }[];
    }[];
    total_lag: number | null;
    status: StatusWord | null;
  }[];
}

export interface ConfigsView {
  brokers: { node_id: number; configs: Record<string, string | null> }[];
  topics: { name: string; replication_factor: number; configs: Record<string, string | null> }[];
}
