import { bytes, int, num, pct } from './format.js';
import type { SimulationResult } from './model.js';

type Partial = Omit<SimulationResult, 'verdict'>;

/** One or two sentences that answer the what-if question the options asked. */
export function verdictFor(r: Partial): string {
  const outcome = outcomeOf(r);
  const parts = [
    failureSentence(r),
    burstSentence(r, outcome),
    outcomeSentence(r, outcome),
    deadLetterSentence(r),
    countSentence(r),
    resumeSentence(r),
    r.totals.thrashing
      ? 'backpressure thrashed (declared and relieved over and over): the consumer cannot keep up'
      : undefined,
  ];
  return parts.filter((p): p is string => p !== undefined).join('; ');
}

/**
 * What the run came to, checked in this order: a fixed count all handled, a crash out of memory, a
 * consumer that keeps up (the queue neither grows nor fills), or a queue that grows or fills (the policy decides).
 */
type Outcome = 'all-handled' | 'crashed' | 'keeps-up' | 'grows';

function outcomeOf(r: Partial): Outcome {
  const t = r.totals;
  if (Number.isFinite(r.options.count) && t.allHandledAtSec !== undefined) return 'all-handled';
  if (t.crashedAtSec !== undefined) return 'crashed';
  if (!isGrowing(r) && t.fullAtSec === undefined) return 'keeps-up';
  return 'grows';
}

const isGrowing = (r: Partial) => r.growthPerSec > 1e-9;

function failureSentence(r: Partial): string | undefined {
  const o = r.options;
  if (o.failureRate <= 0) return undefined;
  return `${pct(o.failureRate)} of attempts fail${o.failurePattern === 'random' ? ` (at random, seed ${o.seed})` : ''} and are retried${o.retryBackoffMs > 0 ? `, each retry after a ${num(o.retryBackoffMs)} ms backoff` : ''}, so the consumer manages ${num(r.effectiveConsumeRate)} ev/s of its ${num(o.consumeRate)}`;
}

function burstSentence(r: Partial, outcome: Outcome): string | undefined {
  const o = r.options;
  if (!o.burst) return undefined;
  const sentence = `bursts of ${num(o.burst.rate)} ev/s for ${num(o.burst.seconds)} s every ${num(o.burst.everySec)} s push the queue to ${int(r.totals.maxQueued)} events (${bytes(r.totals.maxQueued * o.eventBytes)})`;
  return outcome === 'keeps-up'
    ? `${sentence} and it drains between them: the buffer absorbs the bursts`
    : sentence;
}

/**
 * "queue grows N ev/s". With bursts the queue fills at the burst's rate, not the run's average: the time
 * to full quoted beside the growth must follow from it.
 */
function growthPhrase(r: Partial): string {
  const g = r.growthPerSec;
  const backlog = r.options.failureRate > 0 ? 'lag' : 'queue';
  return r.burstGrowthPerSec !== undefined && r.burstGrowthPerSec > 0
    ? `during a burst the ${backlog} grows ${num(r.burstGrowthPerSec)} ev/s (${isGrowing(r) ? `${num(g)} ev/s` : 'not at all'} on average)`
    : `${backlog} grows ${num(g)} ev/s`;
}

function outcomeSentence(r: Partial, outcome: Outcome): string | undefined {
  const o = r.options;
  const t = r.totals;
  switch (outcome) {
    case 'all-handled':
      // A fixed count that was all handled: the story is how far behind the consumer fell while it came in.
      return isGrowing(r)
        ? `while the producer sends, the ${growthPhrase(r)} (up to ${int(t.maxQueued)} queued; the last event waited ${num(t.lastLatencySec)} s from sent to handled)`
        : `the consumer keeps up (never more than ${int(t.maxQueued)} queued)`;
    case 'crashed': {
      const cause = Number.isFinite(o.capacity)
        ? `the buffer is full (${int(o.capacity)} events) after ${num(t.crashedAtSec!)} s`
        : `the queue reaches the ${bytes(o.memoryLimitBytes)} memory limit after ${num(t.crashedAtSec!)} s`;
      return `${isGrowing(r) ? `${growthPhrase(r)}: ` : ''}${cause} and the process runs out of memory, losing the ${int(t.lostInCrash)} events (${bytes(t.lostInCrash * o.eventBytes)}) it held; a buffer absorbs bursts, not a sustained imbalance`;
    }
    case 'keeps-up':
      // With bursts, the burst sentence already says the queue drains between them.
      return o.burst
        ? undefined
        : `the consumer keeps up (${num(r.effectiveConsumeRate)} ev/s for ${num(o.produceRate)} ev/s produced): the queue never holds more than ${int(t.maxQueued)} events`;
    case 'grows':
      return policySentence(r);
  }
}

/** What the policy made of a queue that grows or fills. */
function policySentence(r: Partial): string {
  const o = r.options;
  const t = r.totals;
  const c = r.effectiveConsumeRate;
  const full = t.fullAtSec !== undefined ? `full after ${num(t.fullAtSec)} s` : undefined;
  const growsAtAll = isGrowing(r) || (r.burstGrowthPerSec ?? 0) > 0;
  const lead = growsAtAll ? `${growthPhrase(r)}: ` : '';
  switch (o.policy) {
    case 'block':
      return full
        ? `${lead}${full}; with block the producer is held to ${num(c)} ev/s (no events lost; blocked ${pct(t.blockedMs / (r.endedAtSec * 1000))} of the run): ${int(t.produced)} of the ${int(t.wanted)} events it wanted to send got out, the rest waits upstream`
        : `${lead}it would be full after ${num(o.capacity / r.growthPerSec)} s, beyond this ${num(o.durationSec)} s run (${int(t.lag)} behind at the end)`;
    case 'buffer':
      return `${lead}${int(t.lag)} behind (${bytes(t.lag * o.eventBytes)} in memory) after ${num(r.endedAtSec)} s and nothing stops it; buffering only postpones the failure`;
    case 'drop':
      return full
        ? `${lead}${full}, then new events are dropped: ${int(t.dropped)} of ${int(t.produced)} lost (${pct(t.dropped / Math.max(1, t.produced))}); the producer keeps its ${num(o.produceRate)} ev/s${staleness(r)}`
        : `${lead}not full yet after ${num(o.durationSec)} s (${int(t.lag)} queued): nothing dropped so far`;
    case 'stop': {
      const high = Math.max(1, Math.floor(o.capacity * o.highWatermark));
      const low = Math.floor(o.capacity * o.lowWatermark);
      return full
        ? `${lead}the source is stopped at the high watermark (${int(high)} queued, first after ${num(t.fullAtSec!)} s) and resumed at the low one (${int(low)}): stopped ${t.pressureDeclarations} times, the producer averages ${num(t.produced / r.endedAtSec)} ev/s (no events lost; stopped ${pct(t.blockedMs / (r.endedAtSec * 1000))} of the run)`
        : `${lead}the queue never reaches the high watermark (${int(high)}) in ${num(o.durationSec)} s`;
    }
    case 'sample':
      return full
        ? `${lead}${full}, then 1 in ${o.sampleEvery} of the overflow is kept in place of the oldest queued event: ${int(t.dropped)} discarded (${pct(t.dropped / Math.max(1, t.produced))} of what was produced; ${int(t.sampled)} of them older events displaced by kept newer ones), as many as drop loses, since the queue is just as full, but what gets through is fresher; the producer keeps its ${num(o.produceRate)} ev/s${staleness(r)}`
        : `${lead}not full yet after ${num(o.durationSec)} s (${int(t.lag)} queued): nothing sampled out so far`;
  }
}

function deadLetterSentence(r: Partial): string | undefined {
  const { options: o, totals: t } = r;
  if (t.deadLettered <= 0) return undefined;
  const left = t.deadLettered + t.consumed;
  return `${int(t.deadLettered)} events (${pct(t.deadLettered / left)} of those handled) given up after ${o.maxRetries} ${o.maxRetries === 1 ? 'retry' : 'retries'}`;
}

function countSentence(r: Partial): string | undefined {
  const { options: o, totals: t } = r;
  if (!Number.isFinite(o.count)) return undefined;
  return t.allHandledAtSec !== undefined
    ? `all ${int(o.count)} events handled by ${num(t.allHandledAtSec)} s`
    : `${int(t.produced)} of the ${int(o.count)} events sent by the end`;
}

function resumeSentence(r: Partial): string | undefined {
  const { options: o, totals: t } = r;
  if (o.policy !== 'stop' || o.resumeDelayMs <= 0 || t.pressureDeclarations <= 0) return undefined;
  return `each restart of the source takes ${num(o.resumeDelayMs)} ms: the consumer sat idle ${num(t.consumerIdleMs / 1000)} s of the run`;
}

/** How stale what the consumer sees is at the end: a full queue bounds memory, not age. */
function staleness(r: Partial): string {
  const last = r.rows[r.rows.length - 1];
  if (!last || last.oldestAgeMs < 1000) return '';
  return ` and what gets through waits up to ${num(last.oldestAgeMs / 1000)} s in the full queue`;
}
