import type { Bottleneck, EdgeMetrics, InstanceMetrics } from './metrics.js';

export interface BottleneckOptions {
  /** Backpressured share of time above which an instance counts as backpressured. Default 0.1 (Flink's OK bound). */
  backpressured?: number;
  /** Busy share of time at or above which an instance counts as busy. Default 0.5. */
  busy?: number;
}

/**
 * Finds the instance that holds the job back, the way one reads Flink's back-pressure view: start at
 * the backpressured instances and walk downstream; the first instance on the way that is busy but not
 * itself backpressured is the bottleneck (everything between is only waiting on it). When nothing is
 * backpressured (a drop or sample strategy never makes anyone wait), the instance whose queue lost
 * items, or failing that the busiest instance at capacity, is named instead.
 */
export function findBottleneck(
  instances: readonly InstanceMetrics[],
  downstream: ReadonlyMap<string, readonly string[]>,
  edges: readonly EdgeMetrics[] = [],
  options: BottleneckOptions = {},
): Bottleneck | undefined {
  const bpLimit = options.backpressured ?? 0.1;
  const busyLimit = options.busy ?? 0.5;
  const byId = new Map(instances.map((m) => [m.id, m]));
  const isBackpressured = (m: InstanceMetrics) => m.backPressuredTimeMsPerSecond / 1000 > bpLimit;
  const isBusy = (m: InstanceMetrics) => m.utilization >= busyLimit;

  const starts = instances.filter(isBackpressured);
  if (starts.length > 0) {
    const candidates: InstanceMetrics[] = [];
    const seen = new Set(starts.map((m) => m.id));
    const queue = [...starts];
    while (queue.length > 0) {
      const m = queue.shift()!;
      for (const id of downstream.get(m.id) ?? []) {
        if (seen.has(id)) continue;
        seen.add(id);
        const next = byId.get(id);
        if (!next) continue;
        if (isBusy(next) && !isBackpressured(next)) candidates.push(next);
        else queue.push(next);
      }
    }
    const best = busiest(candidates);
    if (best) {
      return {
        instance: best.id,
        component: best.component,
        reason: `busy ${pct(best.utilization)} and not backpressured, downstream of ${starts.length} backpressured instance(s)`,
        utilization: best.utilization,
        from: starts.map((m) => m.id),
      };
    }
  }

  const losses = new Map<string, number>();
  for (const e of edges) {
    for (const [id, n] of Object.entries(e.droppedAt)) losses.set(id, (losses.get(id) ?? 0) + n);
  }
  const lossy = [...losses.entries()].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (lossy.length > 0) {
    const m = byId.get(lossy[0][0]);
    if (m) {
      return {
        instance: m.id,
        component: m.component,
        reason: `its queue discarded ${lossy[0][1]} item(s); busy ${pct(m.utilization)}`,
        utilization: m.utilization,
        from: [],
      };
    }
  }
  const saturated = busiest(instances.filter((m) => m.utilization >= 0.9 && !isBackpressured(m)));
  if (saturated) {
    return {
      instance: saturated.id,
      component: saturated.component,
      reason: `at capacity (busy ${pct(saturated.utilization)}) with no backpressure upstream yet`,
      utilization: saturated.utilization,
      from: [],
    };
  }
  return undefined;
}

function busiest(list: InstanceMetrics[]): InstanceMetrics | undefined {
  let best: InstanceMetrics | undefined;
  for (const m of list) if (!best || m.utilization > best.utilization) best = m;
  return best;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
