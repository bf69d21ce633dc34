import { bytes, int, num, pct } from './format.js';
import type { SimulationResult } from './model.js';

type Partial = Omit<SimulationResult, 'verdict'>;

/** One or two sentences that answer the what-if question the options asked. */
export function verdictFor(r: Partial): string {
  const o = r.options;
  const t = r.totals;
  const c = r.effectiveConsumeRate;
  const g = r.growthPerSec;
  const parts: string[] = [];
  if (o.failureRate > 0) {
    parts.push(
      `${pct(o.failureRate)} of attempts fail${o.failurePattern === 'random' ? ` (at random, seed ${o.seed})` : ''} and are retried${o.retryBackoffMs > 0 ? `, each retry after a ${num(o.retryBackoffMs)} ms backoff` : ''}, so the consumer manages ${num(c)} ev/s of its ${num(o.consumeRate)}`,
    );
  }
  if (o.burst) {
    parts.push(
      `bursts of ${num(o.burst.rate)} ev/s for ${num(o.burst.seconds)} s every ${num(o.burst.everySec)} s push the queue to ${int(t.maxQueued)} events (${bytes(t.maxQueued * o.eventBytes)})`,
    );
  }
  const growing = g > 1e-9;
  const backlog = o.failureRate > 0 ? 'lag' : 'queue';
  // With bursts the queue fills at the burst's rate, not the run's average: the time to full quoted
  // beside the growth must follow from it.
  const grows =
    r.burstGrowthPerSec !== undefined && r.burstGrowthPerSec > 0
      ? `during a burst the ${backlog} grows ${num(r.burstGrowthPerSec)} ev/s (${growing ? `${num(g)} ev/s` : 'not at all'} on average)`
      : `${backlog} grows ${num(g)} ev/s`;
  const growsAtAll = growing || (r.burstGrowthPerSec ?? 0) > 0;

  if (Number.isFinite(o.count) && t.allHandledAtSec !== undefined) {
    // A fixed count that was all handled: the story is how far behind the consumer fell while it came in.
    parts.push(
      growing
        ? `while the producer sends, the ${grows} (up to ${int(t.maxQueued)} queued; the last event waited ${num(t.lastLatencySec)} s from sent to handled)`
        : `the consumer keeps up (never more than ${int(t.maxQueued)} queued)`,
    );
  } else if (t.crashedAtSec !== undefined) {
    const cause = Number.isFinite(o.capacity)
      ? `the buffer is full (${int(o.capacity)} events) after ${num(t.crashedAtSec)} s`
      : `the queue reaches the ${bytes(o.memoryLimitBytes)} memory limit after ${num(t.crashedAtSec)} s`;
    parts.push(
      `${growing ? `${grows}: ` : ''}${cause} and the process runs out of memory, losing the ${int(t.lostInCrash)} events (${bytes(t.lostInCrash * o.eventBytes)}) it held; a buffer absorbs bursts, not a sustained imbalance`,
    );
  } else if (!growing && t.fullAtSec === undefined) {
    if (!o.burst) {
      parts.push(
        `the consumer keeps up (${num(c)} ev/s for ${num(o.produceRate)} ev/s produced): the queue never holds more than ${int(t.maxQueued)} events`,
      );
    } else {
      parts[parts.length - 1] += ' and it drains between them: the buffer absorbs the bursts';
    }
  } else {
    const full = t.fullAtSec !== undefined ? `full after ${num(t.fullAtSec)} s` : undefined;
    const lead = growsAtAll ? `${grows}: ` : '';
    switch (o.policy) {
      case 'block':
        parts.push(
          full
            ? `${lead}${full}; with block the producer is held to ${num(c)} ev/s (no events lost; blocked ${pct(t.blockedMs / (r.endedAtSec * 1000))} of the run): ${int(t.produced)} of the ${int(t.wanted)} events it wanted to send got out, the rest waits upstream`
            : `${lead}it would be full after ${num(o.capacity / g)} s, beyond this ${num(o.durationSec)} s run (${int(t.lag)} behind at the end)`,
        );
        break;
      case 'buffer':
        parts.push(
          `${lead}${int(t.lag)} behind (${bytes(t.lag * o.eventBytes)} in memory) after ${num(r.endedAtSec)} s and nothing stops it; buffering only postpones the failure`,
        );
        break;
      case 'drop':
        parts.push(
          full
            ? `${lead}${full}, then new events are dropped: ${int(t.dropped)} of ${int(t.produced)} lost (${pct(t.dropped / Math.max(1, t.produced))}); the producer keeps its ${num(o.produceRate)} ev/s${staleness(r)}`
            : `${lead}not full yet after ${num(o.durationSec)} s (${int(t.lag)} queued): nothing dropped so far`,
        );
        break;
      case 'stop': {
        const high = Math.max(1, Math.floor(o.capacity * o.highWatermark));
        const low = Math.floor(o.capacity * o.lowWatermark);
        parts.push(
          full
            ? `${lead}the source is stopped at the high watermark (${int(high)} queued, first after ${num(t.fullAtSec!)} s) and resumed at the low one (${int(low)}): stopped ${t.pressureDeclarations} times, the producer averages ${num(t.produced / r.endedAtSec)} ev/s (no events lost; stopped ${pct(t.blockedMs / (r.endedAtSec * 1000))} of the run)`
            : `${lead}the queue never reaches the high watermark (${int(high)}) in ${num(o.durationSec)} s`,
        );
        break;
      }
      case 'sample':
        parts.push(
          full
            ? `${lead}${full}, then 1 in ${o.sampleEvery} of the overflow is kept in place of the oldest queued event: ${int(t.dropped)} discarded (${pct(t.dropped / Math.max(1, t.produced))} of what was produced; ${int(t.sampled)} of them older events displaced by kept newer ones), as many as drop loses, since the queue is just as full, but what gets through is fresher; the producer keeps its ${num(o.produceRate)} ev/s${staleness(r)}`
            : `${lead}not full yet after ${num(o.durationSec)} s (${int(t.lag)} queued): nothing sampled out so far`,
        );
        break;
    }
  }
  if (t.deadLettered > 0) {
    const left = t.deadLettered + t.consumed;
    parts.push(
      `${int(t.deadLettered)} events (${pct(t.deadLettered / left)} of those handled) given up after ${o.maxRetries} ${o.maxRetries === 1 ? 'retry' : 'retries'}`,
    );
  }
  if (Number.isFinite(o.count)) {
    parts.push(
      t.allHandledAtSec !== undefined
        ? `all ${int(o.count)} events handled by ${num(t.allHandledAtSec)} s`
        : `${int(t.produced)} of the ${int(o.count)} events sent by the end`,
    );
  }
  if (o.policy === 'stop' && o.resumeDelayMs > 0 && t.pressureDeclarations > 0) {
    parts.push(
      `each restart of the source takes ${num(o.resumeDelayMs)} ms: the consumer sat idle ${num(t.consumerIdleMs / 1000)} s of the run`,
    );
  }
  if (t.thrashing)
    parts.push('backpressure thrashed (declared and relieved over and over): the consumer cannot keep up');
  return parts.join('; ');
}

/** How stale what the consumer sees is at the end: a full queue bounds memory, not age. */
function staleness(r: Partial): string {
  const last = r.rows[r.rows.length - 1];
  if (!last || last.oldestAgeMs < 1000) return '';
  return ` and what gets through waits up to ${num(last.oldestAgeMs / 1000)} s in the full queue`;
}
