import type { BackpressureLevel } from './accounting.js';
import type { ComponentKind } from './job.js';
import type { BackpressureState, ThrashingFinding } from './pressure.js';
import type { Strategy } from './types.js';

/** One instance's measurements over a window (per-second figures are Flink's `...TimeMsPerSecond`). */
export interface InstanceMetrics {
  id: string;
  component: string;
  kind: ComponentKind;
  index: number;
  queue?: {
    depth: number;
    bytes: number;
    capacity: number;
    maxBytes: number;
    /** Deepest the queue has been since the run started. */
    maxDepth: number;
    level: number;
    inPressure: boolean;
    /** Credits the receiver has granted and no sender has spent yet (free slots announced). */
    credits: number;
    /** Senders waiting for credit right now. */
    waitingSenders: number;
  };
  /** Items taken in (operators, sinks) or read (sources) in the window. */
  processed: number;
  /** Items taken in since the run started. */
  processedTotal: number;
  busyTimeMsPerSecond: number;
  idleTimeMsPerSecond: number;
  backPressuredTimeMsPerSecond: number;
  /** `backPressuredTimeMsPerSecond / 1000` classified OK / LOW / HIGH. */
  backpressure: BackpressureLevel;
  /** Share of time busy (0..1): the chapter's capacity utilisation. */
  utilization: number;
  /** 1 - utilization: the share of extra work the instance could take on. */
  headroom: number;
  /** Estimated capacity in items per second (items per busy second), if it processed anything. */
  capacityPerSecond: number | undefined;
  /** Paused by stop-sources / stop-upstream right now. */
  paused: boolean;
}

export interface ComponentMetrics {
  name: string;
  kind: ComponentKind;
  parallelism: number;
  /** The minimum of its instances' headroom (the chapter's definition). */
  headroom: number;
  utilization: number;
  processed: number;
}

export interface EdgeMetrics {
  from: string;
  to: string;
  strategy: Strategy;
  /** Items moved over the edge since the run started. */
  sent: number;
  /** Items discarded at a full queue (drop, sample). */
  dropped: number;
  /** Items left out by sampling above the high watermark. */
  sampledOut: number;
  /** Discards per receiving instance id. */
  droppedAt: Record<string, number>;
}

export interface Bottleneck {
  instance: string;
  component: string;
  /** How it was found. */
  reason: string;
  utilization: number;
  /** The backpressured instances the walk started from (empty when found by drops or load alone). */
  from: string[];
}

export interface JobMetrics {
  job: string;
  at: number;
  /** Milliseconds since the run started. */
  elapsedMs: number;
  /** Width of the window the per-second figures were measured over. */
  windowMs: number;
  instances: InstanceMetrics[];
  components: ComponentMetrics[];
  edges: EdgeMetrics[];
  /** The minimum headroom over all instances (the chapter's job headroom). */
  headroom: number;
  sources: { read: number };
  sinks: {
    received: number;
    /** Items per second reaching the sinks over the whole run. */
    throughput: number;
    latencyMs: { mean: number; p50: number; p99: number; max: number };
  };
  dropped: number;
  backpressure: BackpressureState;
  thrashing: ThrashingFinding[];
  bottleneck: Bottleneck | undefined;
}
