import { type Clock, realClock } from '../flow/clock.js';
import { checkNumber } from '../flow/validate.js';
import { LabConfigError } from './validate.js';

/**
 * The lab's k6 exercise without k6: drives the producer's HTTP API with `POST /produce/batch` at a
 * target rate. `steady` holds the rate; `burst` holds it for the first and last quarter and sends ten
 * times as much in between, like the seed's burst-producer script. A 429 is honoured: the generator
 * waits for Retry-After before sending again, and counts it.
 */

export type LoadScenario = 'steady' | 'burst';

export interface LoadOptions {
  /** Producer service base URL, e.g. http://127.0.0.1:8000. */
  url: string;
  scenario: LoadScenario;
  /** Target orders per second (the base rate for `burst`). */
  rate: number;
  durationMs: number;
  /** Requests per second the rate is split into (default 10). */
  requestsPerSecond?: number;
  /** Requests in flight at most; a tick finding them all busy is counted as behind (default 16). */
  maxInFlight?: number;
  token?: string;
  /**
   * Wait for Retry-After after a 429 (default true, what a well-behaved client does). `false` plays the
   * client that keeps pushing, as an overload soak wants: the edge must keep refusing it cheaply.
   */
  honorRetryAfter?: boolean;
  /** Called about once a second with the running totals. */
  onProgress?: (p: LoadProgress) => void;
  clock?: Clock;
  signal?: AbortSignal;
}

export interface LoadProgress {
  elapsed_ms: number;
  target_rate: number;
  requests: number;
  accepted: number;
  rejected_429: number;
  errors: number;
  behind: number;
  in_flight: number;
  /** Orders the producer acknowledged per second over the last progress period. */
  rate: number;
}

export interface LoadReport extends LoadProgress {
  scenario: LoadScenario;
  sent: number;
  latency_ms: { p50: number; p95: number; p99: number; max: number };
  error_samples: string[];
}

/**
 * What went wrong with a request, cause included: undici's fetch says only "fetch failed" and keeps
 * the reason (ECONNREFUSED, ENOTFOUND, a bad URL) in `cause`.
 */
export function failureCause(err: unknown): string {
  const e = err as Error & { cause?: Error & { code?: string } };
  const cause = e.cause?.message ?? e.cause?.code;
  return cause && !e.message.includes(cause) ? `${e.message}: ${cause}` : e.message;
}

/**
 * Asks `url`/health whether the lab's producer answers there, before any load is sent: a wrong
 * address fails at once with what answered (nothing, or another service), not after the whole run.
 */
export async function checkProducer(url: string, timeoutMs = 3_000): Promise<void> {
  const base = url.replace(/\/$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new LabConfigError(
      `no producer answers at ${base} (${failureCause(err)}); start the lab with "sluice lab", or give its producer's address with --url host:port`,
    );
  }
  const body = (await res.json().catch(() => null)) as { service?: unknown } | null;
  if (body?.service !== 'producer') {
    const what = typeof body?.service === 'string' ? `the lab's ${body.service}` : `HTTP ${res.status}`;
    throw new LabConfigError(
      `${base} is not the lab's producer (its /health answered as ${what}); give the producer's address with --url host:port (default 127.0.0.1:8000)`,
    );
  }
}

export function targetRate(
  scenario: LoadScenario,
  rate: number,
  elapsedMs: number,
  durationMs: number,
): number {
  if (scenario === 'steady') return rate;
  const f = elapsedMs / durationMs;
  return f >= 0.25 && f < 0.75 ? rate * 10 : rate;
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const clock = options.clock ?? realClock;
  const labError = (message: string) => new LabConfigError(message);
  checkNumber('rate (orders/s)', options.rate, { positive: true, max: 1_000_000 }, labError);
  checkNumber('duration (ms)', options.durationMs, { positive: true }, labError);
  const rps = options.requestsPerSecond ?? 10;
  const maxInFlight = options.maxInFlight ?? 16;
  const base = options.url.replace(/\/$/, '');
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const started = clock.now();
  const state: LoadState = {
    counts: { requests: 0, accepted: 0, rejected: 0, errors: 0, behind: 0, inFlight: 0, sent: 0 },
    latencies: [],
    errorSamples: [],
    pausedUntil: 0,
  };
  const s = state.counts;
  const target = { url: `${base}/produce/batch`, headers, options, clock };
  let carry = 0;
  const pending = new Set<Promise<void>>();
  const progress = progressReporter(state, options, clock, started);

  const tickMs = 1000 / rps;
  let nextProgress = started + 1000;
  for (let tick = 0; ; tick++) {
    const now = clock.now();
    const elapsed = now - started;
    // The schedule bounds the ticks too: a timer may wake a millisecond early, and the clock alone
    // would then admit one tick past the end (sending more than rate x duration).
    if (tick * tickMs >= options.durationMs || elapsed >= options.durationMs || options.signal?.aborted)
      break;
    carry += targetRate(options.scenario, options.rate, elapsed, options.durationMs) / rps;
    const count = Math.floor(carry);
    if (count > 0 && now >= state.pausedUntil) {
      carry -= count;
      if (s.inFlight >= maxInFlight) s.behind++;
      else {
        const p = sendBatch(state, Math.min(count, 10_000), target);
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
    } else if (now < state.pausedUntil) {
      carry = 0; // Refused work is not saved up for later: that is the point of the 429.
    }
    if (now >= nextProgress) {
      options.onProgress?.(progress());
      nextProgress += 1000;
    }
    const wait = started + (tick + 1) * tickMs - clock.now();
    if (wait > 0) await clock.sleep(wait);
  }
  await Promise.all(pending);
  const final = progress();
  return {
    ...final,
    elapsed_ms: clock.now() - started,
    rate: Math.round((s.accepted * 1000) / Math.max(1, clock.now() - started)),
    scenario: options.scenario,
    sent: s.sent,
    latency_ms: latencySummary(state.latencies),
    error_samples: state.errorSamples,
  };
}

/** Takes a progress snapshot each time it is called; its rate covers the time since the previous call. */
function progressReporter(
  state: LoadState,
  options: LoadOptions,
  clock: Clock,
  started: number,
): () => LoadProgress {
  const s = state.counts;
  let lastProgressAt = started;
  let acceptedAtLastProgress = 0;
  return () => {
    const now = clock.now();
    const period = Math.max(1, now - lastProgressAt);
    const p: LoadProgress = {
      elapsed_ms: now - started,
      target_rate: targetRate(options.scenario, options.rate, now - started, options.durationMs),
      requests: s.requests,
      accepted: s.accepted,
      rejected_429: s.rejected,
      errors: s.errors,
      behind: s.behind,
      in_flight: s.inFlight,
      rate: Math.round(((s.accepted - acceptedAtLastProgress) * 1000) / period),
    };
    lastProgressAt = now;
    acceptedAtLastProgress = s.accepted;
    return p;
  };
}

interface LoadState {
  readonly counts: {
    requests: number;
    accepted: number;
    rejected: number;
    errors: number;
    behind: number;
    inFlight: number;
    sent: number;
  };
  readonly latencies: number[];
  /** The first few failures, quoted in the report. */
  readonly errorSamples: string[];
  /** No request before this time: the producer answered 429 with a Retry-After. */
  pausedUntil: number;
}

/** One `POST /produce/batch?count=n`: counts the answer; a 429 pauses sending for its Retry-After. */
async function sendBatch(
  state: LoadState,
  count: number,
  target: { url: string; headers: Record<string, string>; options: LoadOptions; clock: Clock },
): Promise<void> {
  const { counts: s, latencies, errorSamples } = state;
  const { options, clock } = target;
  s.requests++;
  s.sent += count;
  s.inFlight++;
  const t0 = clock.now();
  try {
    const res = await fetch(`${target.url}?count=${count}`, {
      method: 'POST',
      headers: target.headers,
      signal: options.signal,
    });
    const body = await res.text();
    latencies.push(clock.now() - t0);
    if (res.status === 200) s.accepted += count;
    else if (res.status === 429) {
      s.rejected++;
      const after = Number(res.headers.get('retry-after') ?? '1');
      if (options.honorRetryAfter !== false)
        state.pausedUntil = Math.max(
          state.pausedUntil,
          clock.now() + (Number.isFinite(after) ? after : 1) * 1000,
        );
    } else {
      s.errors++;
      if (errorSamples.length < 5) errorSamples.push(`${res.status} ${body.slice(0, 200)}`);
    }
  } catch (err) {
    s.errors++;
    if (errorSamples.length < 5) errorSamples.push(failureCause(err));
  } finally {
    s.inFlight--;
  }
}

/** Percentiles of the request latencies (ms). */
function latencySummary(latencies: number[]): LoadReport['latency_ms'] {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (q: number) =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), max: sorted.at(-1) ?? 0 };
}
