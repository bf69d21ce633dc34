import { type Clock, realClock } from '../flow/clock.js';
import { checkNumber } from '../flow/validate.js';

/**
 * One config object for the lag monitor, validated here so a bad value fails at start with a message
 * that says which field, what was given and what to use instead.
 */

export interface MonitorThresholds {
  /** Group total lag (records) above which the group is critical (the lab: > 500). */
  criticalLag: number;
  /** Lag growth (records/s) above which the group is a warning (the lab: > 10/s). */
  warningRate: number;
  /**
   * Per-partition lag at or below which the window rules do not apply (Burrow has no floor, so 0
   * keeps its verdicts; a few records stop WARN flapping on busy topics).
   */
  allowedLag: number;
}

export interface WebhookOptions {
  url: string;
  /** Attempts per notification, the first included (default 4). */
  attempts?: number;
  /** First retry delay; doubles each time (default 500 ms). */
  backoffMs?: number;
  /** Per-attempt timeout (default 5 s). */
  timeoutMs?: number;
}

export interface MonitorOptions {
  /** Collection period (default 2 s). */
  intervalMs?: number;
  /** Samples the status rules and the rate regression look at (Burrow's `intervals`; default 10). */
  windowSize?: number;
  /** Newest samples `rate_of_change` is computed over (default 3); the whole window gives the trend. */
  rateSamples?: number;
  /** Samples needed before the window rules judge a partition (default 5); before that: OK. */
  minSamples?: number;
  /** Samples kept per partition for time-lag interpolation and history (default 60). */
  historySize?: number;
  /** Snapshots kept for history() (default 300). */
  snapshotHistory?: number;
  /** Alert events kept (default 500). */
  alertHistory?: number;
  thresholds?: Partial<MonitorThresholds>;
  /** Groups to watch: regular expressions on the group id (default: all). */
  includeGroups?: string[];
  /** Groups to skip (applied after include). */
  excludeGroups?: string[];
  /**
   * How to measure lag in seconds: `exact` fetches the record at the committed offset (falling back to
   * interpolation when it cannot), `interpolated` uses the offset/time history only, `off` skips it.
   */
  timeLag?: 'exact' | 'interpolated' | 'off';
  /** Most partitions whose oldest-record timestamp is fetched in one cycle (default 5000). */
  maxTimestampFetchesPerCycle?: number;
  /** Zero lag this long with more than one consumer suggests over-provisioning (default 10 min). */
  idleAdviceAfterMs?: number;
  webhook?: WebhookOptions;
  clock?: Clock;
}

export interface MonitorConfig {
  intervalMs: number;
  windowSize: number;
  rateSamples: number;
  minSamples: number;
  historySize: number;
  snapshotHistory: number;
  alertHistory: number;
  thresholds: MonitorThresholds;
  includeGroups: RegExp[];
  excludeGroups: RegExp[];
  timeLag: 'exact' | 'interpolated' | 'off';
  maxTimestampFetchesPerCycle: number;
  idleAdviceAfterMs: number;
  webhook: Required<WebhookOptions> | null;
  clock: Clock;
}

export class MonitorConfigError extends Error {
  override name = 'MonitorConfigError';
}

export const MONITOR_DEFAULTS = {
  intervalMs: 2000,
  windowSize: 10,
  rateSamples: 3,
  minSamples: 5,
  historySize: 60,
  snapshotHistory: 300,
  alertHistory: 500,
  criticalLag: 500,
  warningRate: 10,
  allowedLag: 0,
  maxTimestampFetchesPerCycle: 5000,
  idleAdviceAfterMs: 600_000,
} as const;

function integer(name: string, value: unknown, min: number, hint: string): number {
  return checkNumber(
    `monitor ${name}`,
    value,
    { integer: true, min },
    (m) => new MonitorConfigError(`${m}; ${hint}`),
  );
}

function nonNegative(name: string, value: unknown, hint: string): number {
  return checkNumber(`monitor ${name}`, value, { min: 0 }, (m) => new MonitorConfigError(`${m}; ${hint}`));
}

function patterns(name: string, list: unknown): RegExp[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new MonitorConfigError(
      `monitor ${name} must be an array of regular expressions, e.g. ["^orders-"]`,
    );
  }
  return list.map((p) => {
    try {
      return new RegExp(String(p));
    } catch (err) {
      throw new MonitorConfigError(
        `monitor ${name}: ${JSON.stringify(p)} is not a regular expression (${(err as Error).message})`,
      );
    }
  });
}

export function resolveMonitorConfig(o: MonitorOptions = {}): MonitorConfig {
  const d = MONITOR_DEFAULTS;
  const { windowSize, minSamples, historySize } = resolveWindows(o);
  const timeLag = resolveTimeLag(o.timeLag);
  const webhook = o.webhook === undefined ? null : resolveWebhook(o.webhook);
  return {
    intervalMs: integer('intervalMs', o.intervalMs ?? d.intervalMs, 1, 'e.g. 2000 for every two seconds'),
    windowSize,
    rateSamples: integer(
      'rateSamples',
      o.rateSamples ?? Math.min(d.rateSamples, windowSize),
      2,
      'a rate needs two samples at least; e.g. 3',
    ),
    minSamples,
    historySize,
    snapshotHistory: integer('snapshotHistory', o.snapshotHistory ?? d.snapshotHistory, 1, 'e.g. 300'),
    alertHistory: integer('alertHistory', o.alertHistory ?? d.alertHistory, 1, 'e.g. 500'),
    thresholds: resolveThresholds(o.thresholds ?? {}),
    includeGroups: patterns('includeGroups', o.includeGroups),
    excludeGroups: patterns('excludeGroups', o.excludeGroups),
    timeLag,
    maxTimestampFetchesPerCycle: integer(
      'maxTimestampFetchesPerCycle',
      o.maxTimestampFetchesPerCycle ?? d.maxTimestampFetchesPerCycle,
      0,
      'e.g. 5000',
    ),
    idleAdviceAfterMs: nonNegative(
      'idleAdviceAfterMs',
      o.idleAdviceAfterMs ?? d.idleAdviceAfterMs,
      'e.g. 600000',
    ),
    webhook,
    clock: o.clock ?? realClock,
  };
}

/** The rules' window, the samples a status needs, and the history kept (at least one window). */
function resolveWindows(o: MonitorOptions): Pick<MonitorConfig, 'windowSize' | 'minSamples' | 'historySize'> {
  const d = MONITOR_DEFAULTS;
  const windowSize = integer(
    'windowSize',
    o.windowSize ?? d.windowSize,
    2,
    'it is the number of samples the rules look at (e.g. 10)',
  );
  const minSamples = integer(
    'minSamples',
    o.minSamples ?? Math.min(d.minSamples, windowSize),
    1,
    'use 1..windowSize',
  );
  if (minSamples > windowSize) {
    throw new MonitorConfigError(
      `monitor minSamples (${minSamples}) cannot exceed windowSize (${windowSize})`,
    );
  }
  const historySize = integer(
    'historySize',
    o.historySize ?? Math.max(d.historySize, windowSize),
    2,
    'e.g. 60',
  );
  if (historySize < windowSize) {
    throw new MonitorConfigError(
      `monitor historySize (${historySize}) must be >= windowSize (${windowSize})`,
    );
  }
  return { windowSize, minSamples, historySize };
}

function resolveTimeLag(value: MonitorOptions['timeLag']): MonitorConfig['timeLag'] {
  const timeLag = value ?? 'exact';
  if (!['exact', 'interpolated', 'off'].includes(timeLag)) {
    throw new MonitorConfigError(
      `monitor timeLag must be "exact", "interpolated" or "off" (got ${JSON.stringify(timeLag)})`,
    );
  }
  return timeLag;
}

function resolveWebhook(hook: NonNullable<MonitorOptions['webhook']>): MonitorConfig['webhook'] {
  let url: URL;
  try {
    url = new URL(hook.url);
  } catch {
    throw new MonitorConfigError(
      `monitor webhook.url ${JSON.stringify(hook.url)} is not a URL; give e.g. "http://127.0.0.1:9000/hook"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MonitorConfigError(`monitor webhook.url must be http(s), got ${url.protocol}`);
  }
  return {
    url: url.toString(),
    attempts: integer('webhook.attempts', hook.attempts ?? 4, 1, 'e.g. 4'),
    backoffMs: nonNegative('webhook.backoffMs', hook.backoffMs ?? 500, 'e.g. 500'),
    timeoutMs: integer('webhook.timeoutMs', hook.timeoutMs ?? 5000, 1, 'e.g. 5000'),
  };
}

function resolveThresholds(t: NonNullable<MonitorOptions['thresholds']>): MonitorConfig['thresholds'] {
  const d = MONITOR_DEFAULTS;
  return {
    criticalLag: nonNegative('thresholds.criticalLag', t.criticalLag ?? d.criticalLag, 'records, e.g. 500'),
    warningRate: nonNegative('thresholds.warningRate', t.warningRate ?? d.warningRate, 'records/s, e.g. 10'),
    allowedLag: nonNegative('thresholds.allowedLag', t.allowedLag ?? d.allowedLag, 'records, e.g. 0'),
  };
}

export function groupWatched(config: MonitorConfig, groupId: string): boolean {
  if (config.includeGroups.length > 0 && !config.includeGroups.some((r) => r.test(groupId))) return false;
  return !config.excludeGroups.some((r) => r.test(groupId));
}
