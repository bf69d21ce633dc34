import type { PartitionStatus } from './window-rules.js';

/**
 * Advice in words from the figures of one group, in the lab's terms (1000 ms / processing_time_ms =
 * max msg/s per consumer). Every sentence says what it is based on, and what the monitor cannot see
 * (how busy a consumer is, whether it is paused on purpose) is said rather than guessed.
 */

export interface GroupFigures {
  group: string;
  totalLag: number;
  productionRate: number;
  consumptionRate: number;
  rateOfChange: number;
  timeToDrainSeconds: number | null;
  /** Members with partitions assigned. */
  consumers: number;
  partitions: number;
  statuses: { status: PartitionStatus; idleSeconds: number | null }[];
  zeroLagSeconds: number | null;
  criticalLag: number;
  warningRate: number;
  idleAdviceAfterSeconds: number;
  /** Samples behind the rates; rates from fewer than 2 are 0. */
  samples: number;
  /** What the group's runner knows that offsets do not show (the lab passes its consumers'). */
  context?: GroupContext;
}

/** What a runner of the consumers (the lab) knows about them: advice uses it instead of guessing. */
export interface GroupContext {
  /** Consumers paused by hand (instance names). */
  pausedConsumers: string[];
  /** Per-order processing time the consumers are set to, when they share one (ms). */
  processingTimeMs: number | null;
}

export interface Recommendation {
  group: string;
  severity: 'info' | 'warning' | 'critical';
  kind:
    | 'scale_out'
    | 'consumer_stopped'
    | 'consumer_stalled'
    | 'offset_rewind'
    | 'draining'
    | 'healthy'
    | 'over_provisioned'
    | 'collecting';
  message: string;
  figures: Record<string, number | null>;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
/** Two significant figures: the rates behind advice are estimates, and "625.8 ms" claims more than they know. */
export const approx = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(2)) : x);

type Advice = Omit<Recommendation, 'group'>;
type PartitionFigures = GroupFigures['statuses'];

/**
 * Every piece of advice that applies to the group, most urgent first: stuck partitions, then the lag's
 * trend, then over-provisioning; "healthy" when none applies, "collecting" until rates can be computed.
 */
export function adviseGroup(f: GroupFigures): Recommendation[] {
  if (f.samples < 2) {
    return [
      {
        group: f.group,
        severity: 'info',
        kind: 'collecting',
        message: `collecting: rates need at least 2 samples (have ${f.samples})`,
        figures: {},
      },
    ];
  }
  const advice = [...stuckPartitionAdvice(f), lagTrendAdvice(f), overProvisionedAdvice(f)].filter(
    (a): a is Advice => a !== undefined,
  );
  if (advice.length === 0) advice.push(healthyAdvice(f));
  return advice.map((a) => ({ group: f.group, ...a }));
}

/** The longest time any of these partitions has gone without commit progress, in whole seconds. */
const longestIdle = (list: PartitionFigures) =>
  Math.round(Math.max(0, ...list.map((s) => s.idleSeconds ?? 0)));

/** Partitions whose committed offsets stopped (no owner), stalled (an owner that does not commit) or went back. */
function stuckPartitionAdvice(f: GroupFigures): Advice[] {
  const stopped = f.statuses.filter((s) => s.status === 'STOP');
  const stalled = f.statuses.filter((s) => s.status === 'STALL');
  const rewound = f.statuses.filter((s) => s.status === 'REWIND');
  const out: Advice[] = [];
  if (stopped.length > 0) {
    out.push({
      severity: 'critical',
      kind: 'consumer_stopped',
      message:
        `consumer stopped: no commit progress for ${longestIdle(stopped)} s on ${stopped.length} partition(s) and no member owns them, ` +
        `with ${f.totalLag} records waiting; start the consumers (or, if they were stopped on purpose, expect lag to keep growing)`,
      figures: { idle_seconds: longestIdle(stopped), partitions: stopped.length, total_lag: f.totalLag },
    });
  }
  if (stalled.length > 0) {
    out.push({
      severity: 'critical',
      kind: 'consumer_stalled',
      message: `consumer stalled: members own ${stalled.length} partition(s) but their committed offsets have not moved for ${longestIdle(stalled)} s; ${stallCause(f)}`,
      figures: { idle_seconds: longestIdle(stalled), partitions: stalled.length },
    });
  }
  if (rewound.length > 0) {
    out.push({
      severity: 'warning',
      kind: 'offset_rewind',
      message: `committed offsets went back on ${rewound.length} partition(s): an offset reset or replay; downstream will see those records again`,
      figures: { partitions: rewound.length },
    });
  }
  return out;
}

/** Why members might hold partitions without committing: the runner's context says whether any is paused. */
function stallCause(f: GroupFigures): string {
  const paused = f.context?.pausedConsumers ?? [];
  if (paused.length > 0) {
    return `${paused.join(', ')} ${paused.length === 1 ? 'is' : 'are'} paused: resume ${paused.length === 1 ? 'it' : 'them'} (POST /resume) if that was not on purpose`;
  }
  return f.context
    ? 'no consumer is paused, so look for a record that fails every time or a stuck sink'
    : 'look for a record that fails every time, a stuck sink, or a consumer paused on purpose (the monitor cannot tell which)';
}

/** Growing lag (resume paused consumers, or scale out) or falling lag (how long it takes to drain). */
function lagTrendAdvice(f: GroupFigures): Advice | undefined {
  const paused = f.context?.pausedConsumers ?? [];
  const growing = f.rateOfChange > 0 && f.productionRate > f.consumptionRate && f.totalLag > 0;
  if (growing && paused.length > 0) {
    return {
      severity: growthSeverity(f),
      kind: 'scale_out',
      message:
        `lag grows ${approx(f.rateOfChange)} msg/s while ${paused.join(', ')} ${paused.length === 1 ? 'is' : 'are'} paused: ` +
        'resume before judging capacity (a paused consumer looks slower than it is)',
      figures: { rate_of_change: r1(f.rateOfChange), paused_consumers: paused.length },
    };
  }
  if (growing && f.consumptionRate > 0 && f.consumers > 0) return scaleOutAdvice(f);
  if (f.totalLag > 0 && f.timeToDrainSeconds !== null && f.rateOfChange < 0) {
    return {
      severity: f.totalLag > f.criticalLag ? 'warning' : 'info',
      kind: 'draining',
      message: `lag falls ${r1(-f.rateOfChange)} msg/s: ${f.totalLag} records drain in about ${Math.ceil(f.timeToDrainSeconds)} s at this rate`,
      figures: {
        total_lag: f.totalLag,
        time_to_drain_seconds: Math.ceil(f.timeToDrainSeconds),
        rate_of_change: r1(f.rateOfChange),
      },
    };
  }
  return undefined;
}

const growthSeverity = (f: GroupFigures): Advice['severity'] =>
  f.rateOfChange > f.warningRate || f.totalLag > f.criticalLag ? 'critical' : 'warning';

/** How many consumers (or how fast a processing time) would keep up with production. */
function scaleOutAdvice(f: GroupFigures): Advice {
  // The lab knows each consumer's processing time; otherwise it is inferred from what they consumed.
  const knownMs = f.context?.processingTimeMs ?? null;
  const perConsumer = knownMs !== null && knownMs > 0 ? 1000 / knownMs : f.consumptionRate / f.consumers;
  const needed = Math.ceil(f.productionRate / perConsumer);
  // More consumers than partitions sit idle: the advice never counts past the partitions.
  const add = Math.max(1, Math.min(needed, f.partitions) - f.consumers);
  const targetMs = 1000 / (f.productionRate / f.consumers);
  const currentMs = 1000 / perConsumer;
  const basis = knownMs !== null ? 'set to' : 'about';
  let message =
    `lag grows ${approx(f.rateOfChange)} msg/s: consumers process about ${approx(f.consumptionRate)} msg/s against ${approx(f.productionRate)} produced; ` +
    (f.consumers + add <= f.partitions ? `add ${add} consumer(s) or ` : '') +
    `cut processing time to about ${approx(targetMs)} ms per message ` +
    `(now ${basis} ${approx(currentMs)} ms; 1000 ms / processing_time_ms = max msg/s per consumer)`;
  if (needed > f.partitions) {
    message += `; ${needed > 3 * f.partitions ? 'many more' : needed} consumers would be needed but the group reads ${f.partitions} partition(s), so more than ${f.partitions} would sit idle: add partitions too`;
  }
  if (knownMs === null)
    message +=
      '. Assumes the consumers were busy all the time; a paused or throttled consumer looks slower than it is';
  return {
    severity: growthSeverity(f),
    kind: 'scale_out',
    message,
    figures: {
      rate_of_change: r1(f.rateOfChange),
      consumption_rate: r1(f.consumptionRate),
      production_rate: r1(f.productionRate),
      consumers: f.consumers,
      consumers_needed: needed,
      add_consumers: add,
      target_processing_time_ms: r1(targetMs),
      current_processing_time_ms: r1(currentMs),
    },
  };
}

function overProvisionedAdvice(f: GroupFigures): Advice | undefined {
  const zeroLagSeconds = f.zeroLagSeconds ?? 0;
  const idleLongEnough = f.zeroLagSeconds !== null && zeroLagSeconds >= f.idleAdviceAfterSeconds;
  if (f.totalLag !== 0 || !idleLongEnough || f.consumers <= 1) return undefined;
  return {
    severity: 'info',
    kind: 'over_provisioned',
    message:
      `zero lag for ${Math.round(zeroLagSeconds / 60)} min with ${f.consumers} consumers: maybe over-provisioned ` +
      `(they take ${r1(f.productionRate)} msg/s together); the monitor cannot see how busy each one is, so check that before removing any`,
    figures: {
      zero_lag_seconds: Math.round(zeroLagSeconds),
      consumers: f.consumers,
      production_rate: r1(f.productionRate),
    },
  };
}

function healthyAdvice(f: GroupFigures): Advice {
  return {
    severity: 'info',
    kind: 'healthy',
    message:
      f.totalLag === 0
        ? 'no lag: consumers keep up'
        : `lag stable around ${f.totalLag} (changing ${r1(f.rateOfChange)} msg/s): consumers keep up`,
    figures: { total_lag: f.totalLag, rate_of_change: r1(f.rateOfChange) },
  };
}
