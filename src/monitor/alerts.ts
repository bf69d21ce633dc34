import type { Clock } from '../flow/clock.js';

/**
 * Alerts that open when a condition starts, stay open (de-duplicated: one alert however many cycles
 * see the condition) and close when it ends. Open and close events are kept in a bounded history and
 * handed to listeners (the webhook notifier).
 */

export type AlertKind =
  | 'lag_critical'
  | 'lag_growing'
  | 'consumer_stopped'
  | 'consumer_stalled'
  | 'offset_rewind'
  | 'lag_not_decreasing';

export type Severity = 'warning' | 'critical';

/** A condition true in this cycle. */
export interface AlertCondition {
  kind: AlertKind;
  group: string;
  severity: Severity;
  message: string;
  value: number;
  threshold?: number;
}

export interface Alert {
  id: string;
  kind: AlertKind;
  group: string;
  severity: Severity;
  message: string;
  value: number;
  threshold: number | null;
  state: 'open' | 'closed';
  opened_at: string;
  last_seen_at: string;
  closed_at: string | null;
  /** Cycles that saw the condition while this alert was open. */
  occurrences: number;
}

export interface AlertEvent {
  event: 'open' | 'close';
  at: string;
  alert: Alert;
}

export class AlertBook {
  private readonly open = new Map<string, Alert>();
  private readonly events: AlertEvent[] = [];
  private readonly listeners: ((e: AlertEvent) => void)[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly capacity: number,
  ) {}

  /** Calls `fn` with every alert opened or resolved; returns a function that unsubscribes it. */
  onEvent(fn: (e: AlertEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Applies this cycle's conditions: opens new alerts, refreshes open ones, closes the rest. */
  update(conditions: AlertCondition[]): AlertEvent[] {
    const now = new Date(this.clock.now()).toISOString();
    const seen = new Set<string>();
    const emitted: AlertEvent[] = [];
    for (const c of conditions) {
      const id = `${c.kind}:${c.group}`;
      seen.add(id);
      const existing = this.open.get(id);
      if (existing) {
        existing.last_seen_at = now;
        existing.value = c.value;
        existing.message = c.message;
        existing.occurrences++;
        // A warning that turns critical is a new fact worth telling: escalate in place.
        if (c.severity === 'critical' && existing.severity === 'warning') existing.severity = 'critical';
        continue;
      }
      const alert: Alert = {
        id,
        kind: c.kind,
        group: c.group,
        severity: c.severity,
        message: c.message,
        value: c.value,
        threshold: c.threshold ?? null,
        state: 'open',
        opened_at: now,
        last_seen_at: now,
        closed_at: null,
        occurrences: 1,
      };
      this.open.set(id, alert);
      emitted.push(this.record('open', now, alert));
    }
    for (const [id, alert] of this.open) {
      if (seen.has(id)) continue;
      this.open.delete(id);
      alert.state = 'closed';
      alert.closed_at = now;
      emitted.push(this.record('close', now, alert));
    }
    return emitted;
  }

  active(): Alert[] {
    return [...this.open.values()].map((a) => ({ ...a }));
  }

  history(limit = this.capacity): AlertEvent[] {
    return this.events.slice(-limit).reverse();
  }

  private record(event: 'open' | 'close', at: string, alert: Alert): AlertEvent {
    const e: AlertEvent = { event, at, alert: { ...alert } };
    this.events.push(e);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    for (const fn of this.listeners) fn(e);
    return e;
  }
}
