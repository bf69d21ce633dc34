import {
  headerText,
  type RecordOutcome,
  type RecordTrace,
  type RecordTracer,
  TRACE_HEADERS,
  type TracedRecord,
} from './hooks.js';

/**
 * The lab dashboard's traces, kept in memory without OpenTelemetry or Jaeger: the timeline of each of the
 * last `keep` records the consumer finished (in the broker, in flight, each sink attempt, backoffs, dead
 * letter), from which it answers "where does the time go": the slowest of them with their parts as bars,
 * and per partition the share of end-to-end time spent waiting (broker, in flight, backoff) against working
 * (the sink, the dead-letter write). A record's trace id is its `traceparent`'s, so the same order can be
 * looked up in Jaeger when the services export there too.
 */

export type TracePart = 'broker' | 'in flight' | 'sink' | 'backoff' | 'dead letter';

export interface TraceBar {
  part: TracePart;
  /** Milliseconds from the record's timestamp to the start of this part. */
  start_ms: number;
  duration_ms: number;
  attempt?: number;
  failed?: boolean;
}

export interface OrderTimeline {
  trace_id: string | null;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** The record's timestamp (ms since the epoch): when it was produced. */
  produced_at: number;
  fetched_at: number;
  finished_at: number;
  total_ms: number;
  waiting_ms: number;
  working_ms: number;
  attempts: number;
  outcome: RecordOutcome;
  bars: TraceBar[];
}

export interface PartitionTimeShare {
  topic: string;
  partition: number;
  orders: number;
  waiting_ms: number;
  working_ms: number;
  /** waiting / (waiting + working), 0..1 (null before the first order). */
  waiting_share: number | null;
}

export interface RecentTracesSnapshot {
  /** How many finished records the figures cover (the last `keep`). */
  orders: number;
  slowest: OrderTimeline[];
  partitions: PartitionTimeShare[];
}

const WAITING: ReadonlySet<TracePart> = new Set(['broker', 'in flight', 'backoff']);

export class RecentTraces implements RecordTracer {
  private readonly keep: number;
  private readonly finished: OrderTimeline[] = [];
  private next = 0;

  /** `keep`: finished records remembered (default 1000). */
  constructor(options: { keep?: number } = {}) {
    this.keep = Math.max(1, options.keep ?? 1000);
  }

  taken(record: TracedRecord, at: number): RecordTrace {
    const producedAt = Math.min(record.timestamp, at);
    const bars: TraceBar[] = [{ part: 'broker', start_ms: 0, duration_ms: at - producedAt }];
    let mark = at;
    // null after a successful attempt: what follows is the runtime's own bookkeeping, not a part.
    let markPart: TracePart | null = 'in flight';
    let attempts = 0;
    // An abandoned record's attempt may still end afterwards: nothing after `finished` counts.
    let finished = false;
    const close = (part: TracePart, until: number, extra?: Partial<TraceBar>) => {
      bars.push({ part, start_ms: mark - producedAt, duration_ms: Math.max(0, until - mark), ...extra });
      mark = until;
    };
    return {
      attemptStarted: (n, when) => {
        if (finished) return;
        if (markPart !== null) close(markPart, when);
        markPart = 'sink';
        attempts = n;
      },
      attemptEnded: (n, when, error) => {
        if (finished) return;
        close('sink', when, { attempt: n, ...(error !== undefined && { failed: true }) });
        markPart = error === undefined ? null : 'backoff';
      },
      deadLetterStarted: (when) => {
        if (finished) return;
        if (markPart !== null && when > mark) close(markPart, when);
        markPart = 'dead letter';
      },
      finished: (outcome, when) => {
        if (finished) return;
        finished = true;
        if (markPart !== null && (when > mark || markPart === 'dead letter')) close(markPart, when);
        this.remember(record, producedAt, at, when, attempts, outcome, bars);
      },
    };
  }

  /** The slowest `limit` of the remembered records (end to end), and the waiting/working share per partition. */
  snapshot(limit = 10): RecentTracesSnapshot {
    const slowest = [...this.finished].sort((a, b) => b.total_ms - a.total_ms).slice(0, limit);
    const byPartition = new Map<string, PartitionTimeShare>();
    for (const t of this.finished) {
      const key = `${t.topic}\u0000${t.partition}`;
      let p = byPartition.get(key);
      if (!p) byPartition.set(key, (p = noTimeShare(t.topic, t.partition)));
      p.orders++;
      p.waiting_ms += t.waiting_ms;
      p.working_ms += t.working_ms;
    }
    const partitions = [...byPartition.values()]
      .map((p) => {
        const all = p.waiting_ms + p.working_ms;
        return { ...p, waiting_share: all > 0 ? p.waiting_ms / all : null };
      })
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    return { orders: this.finished.length, slowest, partitions };
  }

  private remember(
    record: TracedRecord,
    producedAt: number,
    fetchedAt: number,
    finishedAt: number,
    attempts: number,
    outcome: RecordOutcome,
    bars: TraceBar[],
  ): void {
    let waiting = 0;
    let working = 0;
    for (const b of bars) {
      if (WAITING.has(b.part)) waiting += b.duration_ms;
      else working += b.duration_ms;
    }
    const traceparent = headerText(record.headers, TRACE_HEADERS.parent);
    const timeline: OrderTimeline = {
      trace_id: traceparent?.split('-')[1] ?? null,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset.toString(),
      key: record.key ? record.key.toString('utf8', 0, 100) : null,
      produced_at: producedAt,
      fetched_at: fetchedAt,
      finished_at: finishedAt,
      total_ms: finishedAt - producedAt,
      waiting_ms: waiting,
      working_ms: working,
      attempts,
      outcome,
      bars,
    };
    // A ring of the last `keep`: the oldest is overwritten.
    if (this.finished.length < this.keep) this.finished.push(timeline);
    else this.finished[this.next] = timeline;
    this.next = (this.next + 1) % this.keep;
  }
}

/** A partition's waiting/working split before any order is counted in. */
function noTimeShare(topic: string, partition: number): PartitionTimeShare {
  return { topic, partition, orders: 0, waiting_ms: 0, working_ms: 0, waiting_share: null };
}
