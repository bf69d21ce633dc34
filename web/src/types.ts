/**
 * The JSON the page reads. The monitor's shapes (src/monitor/reports.ts, alerts.ts, advice.ts) are
 * imported from their source, so a change there fails the page's typecheck instead of drifting. The
 * lab's /stats and /lab bodies have no named type (stats() and describe() returns are inferred), so
 * they are the ReturnType of those methods. Type imports only: Vite bundles nothing from src. What has
 * no type in src (the /lab/flow and /cluster/* answers, built inline in route handlers) is restated
 * below: only the fields the page reads.
 */

import type { OrderConsumer } from '../../src/lab/consumer.js';
import type { Lab } from '../../src/lab/lab.js';
import type { OrderProducer, ProducerConfigView } from '../../src/lab/producer.js';
import type { LagMonitor } from '../../src/monitor/monitor.js';
import type { LagReport, StatusWord } from '../../src/monitor/reports.js';

export type { HistoryEntry, LagReport, StatusWord } from '../../src/monitor/reports.js';

/** One server-sent `snapshot` event (monitor-service.ts `snapshot()`). */
export interface Snapshot {
  lag: LagReport;
  status: ReturnType<LagMonitor['status']>;
  alerts: ReturnType<LagMonitor['alerts']>;
  recommendations: ReturnType<LagMonitor['recommendations']>;
}

/** A consumer service's GET /stats (OrderConsumer.stats()). */
export type ConsumerStats = ReturnType<OrderConsumer['stats']>;

/** The producer service's GET /stats (OrderProducer.stats()). */
export type ProducerStats = ReturnType<OrderProducer['stats']>;

/** The producer service's GET /config. */
export type ProducerConfig = ProducerConfigView;

export interface Flow {
  producer: { url: string; stats: ProducerStats | null; config: ProducerConfig | null } | null;
  consumers: { instance: string; url: string; stats: ConsumerStats | null }[];
}

/** GET /lab (Lab.describe()). */
export type LabInfo = ReturnType<Lab['describe']>;

export interface TopicsView {
  /** `missing`: seen by the monitor, no longer in the cluster's metadata (dead or removed). */
  brokers: { node_id: number; host: string; port: number; status: 'up' | 'unreachable' | 'missing' }[];
  topics: {
    name: string;
    internal: boolean;
    partitions: number;
    messages: number;
    partition_details: {
      partition: number;
      /** -1: no leader (its only in-sync replica is down). */
      leader: number;
      /** Null while the partition has no reachable leader. */
      log_start_offset: number | null;
      log_end_offset: number | null;
      messages: number | null;
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
