import { describe, expect, it } from 'vitest';
import {
  comparePolicies,
  niceInterval,
  renderChart,
  renderComparison,
  renderReport,
  type SimulationOptions,
  type SimulationResult,
  simulate,
} from '../../src/flow/index.js';

const seedExample = (policy: SimulationOptions['policy'], extra: Partial<SimulationOptions> = {}) =>
  simulate({ produceRate: 1000, consumeRate: 100, policy, capacity: 10_000, durationSec: 60, ...extra });

/** Every event is accounted for: consumed, discarded, given up, or still in the system. */
function expectConservation(r: SimulationResult) {
  const t = r.totals;
  expect(t.produced).toBe(t.consumed + t.dropped + t.deadLettered + t.lag + t.lostInCrash);
  for (const row of r.rows) expect(row.lag).toBe(row.queued + row.inFlight);
}

const last = (r: SimulationResult) => r.rows[r.rows.length - 1];

describe('simulate: the course module, 1000 ev/s into a consumer of 100 ev/s', () => {
  it('block: the queue fills after ~11 s, then the producer is held to 100 ev/s and nothing is lost', () => {
    const r = seedExample('block');
    expect(r.growthPerSec).toBe(900);
    expect(r.totals.fullAtSec).toBeGreaterThanOrEqual(11.1);
    expect(r.totals.fullAtSec).toBeLessThan(11.2); // 10,000 / 900 = 11.1 s
    expect(r.totals.dropped).toBe(0);
    expect(r.totals.maxQueued).toBe(10_000);
    for (const row of r.rows.filter((x) => x.timeSec >= 20)) expect(row.producerRate).toBe(100);
    expect(r.rows[0].producerRate).toBe(1000);
    expect(r.totals.wanted).toBe(60_000);
    expect(r.totals.produced).toBe(16_000);
    expect(r.verdict).toMatch(
      /16,000 of the 60,000 events it wanted to send got out, the rest waits upstream$/,
    );
    expect(r.totals.pressureDeclarations).toBe(1);
    expect(r.totals.thrashing).toBe(false); // a steady overload, not thrashing
    expect(r.verdict).toMatch(
      /^queue grows 900 ev\/s: full after 11\.1 s; with block the producer is held to 100 ev\/s \(no events lost/,
    );
    expectConservation(r);
  });

  it('buffer (unbounded): the backlog grows 900 ev/s for the whole run', () => {
    const r = simulate({ produceRate: 1000, consumeRate: 100, policy: 'buffer', durationSec: 60 });
    expect(last(r).lag).toBe(60_000 - last(r).consumed);
    expect(last(r).consumed).toBe(5_999); // the first event arrives at 1 ms, each takes 10 ms
    expect(r.rows[1].lag - r.rows[0].lag).toBe(4_500); // 900 ev/s over a 5 s row
    expect(last(r).memoryBytes).toBe(last(r).lag * 1024);
    expect(r.verdict).toMatch(/queue grows 900 ev\/s: 54,001 behind \(52\.7 MiB in memory\) after 60 s/);
    expectConservation(r);
  });

  it('buffer (bounded): sustained imbalance exhausts the buffer and the process dies', () => {
    const r = seedExample('buffer');
    expect(r.totals.crashedAtSec).toBeCloseTo(11.1, 1);
    expect(r.totals.lostInCrash).toBe(10_001); // the full queue plus the event being processed
    expect(r.endedAtSec).toBe(r.totals.crashedAtSec);
    expect(last(r).crashed).toBe(true);
    expect(r.verdict).toMatch(/runs out of memory, losing the 10,001 events/);
    expectConservation(r);
  });

  it('buffer with a memory limit dies when the limit is reached', () => {
    const r = simulate({
      produceRate: 1000,
      consumeRate: 100,
      policy: 'buffer',
      durationSec: 60,
      eventBytes: 1024,
      memoryLimitBytes: 20 * 1024 * 1024,
    });
    expect(r.totals.crashedAtSec).toBeGreaterThan(22);
    expect(r.totals.crashedAtSec).toBeLessThan(23.5); // 20,480 events / 900 ev/s = 22.8 s
    expect(r.verdict).toMatch(/20\.0 MiB memory limit/);
  });

  it('drop: the producer keeps 1000 ev/s and the overflow, 900 ev/s, is dropped and counted', () => {
    const r = seedExample('drop');
    for (const row of r.rows) expect(row.producerRate).toBe(1000);
    const [a, b] = r.rows.slice(-2);
    expect(b.dropped - a.dropped).toBe(4_500);
    expect(r.totals.dropped).toBe(44_000);
    expect(r.totals.consumed).toBe(5_999);
    expect(r.verdict).toMatch(
      /full after 11\.1 s, then new events are dropped: 44,000 of 60,000 lost \(73%\)/,
    );
    expectConservation(r);
  });

  it('sample: 1 in 10 of the overflow is kept and the consumer still gets its 100 ev/s', () => {
    const r = seedExample('sample');
    expect(r.options.sampleEvery).toBe(10);
    // Every overflowing event is counted once in `dropped`: refused, or kept while displacing an old one.
    expect(r.totals.dropped).toBe(44_000);
    expect(r.totals.sampled).toBe(44_000 / 10);
    expect(last(r).consumerRate).toBe(100);
    // The words agree with the counts: 44,000 discarded in all, the 4,400 kept ones displacing older events.
    expect(r.verdict).toMatch(
      /then 1 in 10 of the overflow is kept in place of the oldest queued event: 44,000 discarded \(73% of what was produced; 4,400 of them older events displaced by kept newer ones\), as many as drop loses/,
    );
    expect(r.verdict).not.toMatch(/4,400 kept, 44,000 discarded/);
    expectConservation(r);
  });
});

describe('simulate: a 50% failure rate with retries', () => {
  it('at 100 ev/s in, lag grows 50 ev/s: 180,000 behind after an hour', () => {
    const r = simulate({
      produceRate: 100,
      consumeRate: 100,
      policy: 'buffer',
      failureRate: 0.5,
      failurePattern: 'even',
      durationSec: 3600,
    });
    expect(r.effectiveConsumeRate).toBe(50);
    expect(r.growthPerSec).toBe(50);
    expect(last(r).timeSec).toBe(3600);
    expect(last(r).lag).toBe(180_000);
    expect(r.totals.attempts).toBe(r.totals.consumed + r.totals.failures);
    expect(Math.abs(r.totals.failures - r.totals.consumed)).toBeLessThanOrEqual(1); // ok, fail, ok, fail, ...
    expect(r.rows.map((x) => x.lag)).toEqual(r.rows.map((x) => x.timeSec * 50));
    expect(r.verdict).toMatch(
      /^50% of attempts fail and are retried, so the consumer manages 50 ev\/s of its 100; lag grows 50 ev\/s: 180,000 behind/,
    );
    expectConservation(r);
  });

  it('random failures are reproducible by seed and close to the rate', () => {
    const run = (seed: number) =>
      simulate({
        produceRate: 100,
        consumeRate: 100,
        policy: 'buffer',
        failureRate: 0.5,
        durationSec: 600,
        seed,
      });
    const a = run(1);
    expect(run(1).totals).toEqual(a.totals);
    expect(run(2).totals.failures).not.toBe(a.totals.failures);
    expect(a.totals.failures / a.totals.attempts).toBeGreaterThan(0.48);
    expect(a.totals.failures / a.totals.attempts).toBeLessThan(0.52);
  });

  it('with a retry limit, events are given up instead of retried forever', () => {
    const r = simulate({
      produceRate: 50,
      consumeRate: 100,
      policy: 'buffer',
      failureRate: 0.5,
      failurePattern: 'even',
      maxRetries: 0,
      durationSec: 60,
    });
    expect(r.totals.consumed).toBeGreaterThan(1000);
    expect(Math.abs(r.totals.deadLettered - r.totals.consumed)).toBeLessThanOrEqual(1);
    expect(r.verdict).toMatch(/events \(50% of those handled\) given up after 0 retries/);
    expect(r.growthPerSec).toBe(-50); // 100 attempts/s, each event leaves after one: the backlog drains
    expect(r.totals.maxQueued).toBeLessThanOrEqual(1);
    expectConservation(r);
  });
});

describe('simulate: other shapes', () => {
  it('a consumer that keeps up leaves the queue near empty', () => {
    const r = simulate({ produceRate: 50, processingMs: 10, policy: 'block', durationSec: 30 });
    expect(r.options.consumeRate).toBe(100);
    expect(r.totals.maxQueued).toBeLessThanOrEqual(1);
    expect(r.verdict).toMatch(/^the consumer keeps up \(100 ev\/s for 50 ev\/s produced\)/);
  });

  it('bursts above the consumer rate are absorbed by the buffer when the average is below it', () => {
    const r = simulate({
      produceRate: 50,
      consumeRate: 100,
      policy: 'block',
      durationSec: 120,
      burst: { rate: 500, seconds: 2, everySec: 30 },
    });
    expect(r.totals.maxQueued).toBeGreaterThan(700);
    expect(r.totals.fullAtSec).toBeUndefined();
    expect(last(r).queued).toBe(0);
    expect(r.verdict).toMatch(
      /bursts of 500 ev\/s for 2 s every 30 s push the queue to [\d,]+ events \([\d.]+ KiB\) and it drains between them: the buffer absorbs the bursts$/,
    );
  });

  it('rejects impossible options with a message saying what to pass', () => {
    const base = { produceRate: 10, consumeRate: 5, policy: 'block' as const, durationSec: 10 };
    expect(() => simulate({ ...base, produceRate: -1 })).toThrow(/produce rate must be a number above 0/);
    expect(() => simulate({ ...base, consumeRate: undefined })).toThrow(
      /--consume <events\/s> or --processing-ms/,
    );
    expect(() => simulate({ ...base, processingMs: 10 })).toThrow(/not both/);
    expect(() => simulate({ ...base, failureRate: 1 })).toThrow(/up to \(not including\) 1/);
    expect(() => simulate({ ...base, policy: 'pray' as never })).toThrow(
      /use one of block, buffer, drop, sample/,
    );
    expect(() => simulate({ ...base, capacity: 0.5 })).toThrow(/capacity must be a whole number/);
    expect(() => simulate({ ...base, produceRate: 1e6, durationSec: 1e6 })).toThrow(/shorten --duration/);
    expect(() => simulate({ ...base, burst: { rate: 100, seconds: 20, everySec: 10 } })).toThrow(
      /cannot last longer/,
    );
    expect(() => simulate({ ...base, policy: 'stop', capacity: Infinity })).toThrow(
      /stop needs a bounded queue/,
    );
    expect(() => simulate({ ...base, highWatermark: 0.3, lowWatermark: 0.6 })).toThrow(
      /0 <= low <= high <= 1/,
    );
  });

  it('picks round table intervals', () => {
    expect(niceInterval(60)).toBe(5);
    expect(niceInterval(3600)).toBe(300);
    expect(niceInterval(10)).toBe(1);
  });

  it('renders a report with the table, the verdict and a chart that rises to the cap', () => {
    const r = seedExample('block');
    const text = renderReport(r);
    expect(text).toMatch(
      /^sluice simulate: 1,000 ev\/s into a consumer at 100 ev\/s; policy block, capacity 10,000; 60 s simulated/,
    );
    expect(text).toMatch(
      /time\s+produced\s+consumed\s+queued\s+dropped\s+lag\s+oldest\s+producer ev\/s\s+memory/,
    );
    expect(text).toContain(`verdict: ${r.verdict}`);
    expect(text).toMatch(
      /backpressure \(watermarks at 80% \/ 50% of the queue\): first declared at 8\.9 s, once; no thrashing/,
    );
    const chart = renderChart(r).split('\n');
    expect(chart[1]).toMatch(/^10,000 ┤ +▂▇█+$/); // the top row fills once the queue is full
    expect(chart[8]).toMatch(/^ +0 ┤▆█+$/);
  });

  it('stop-and-resume on a consumer that cannot keep up thrashes, and the detector says so', () => {
    const r = simulate({
      produceRate: 150,
      consumeRate: 100,
      policy: 'stop',
      capacity: 1000,
      lowWatermark: 0.2,
      durationSec: 120,
    });
    expect(r.totals.dropped).toBe(0);
    expect(r.totals.maxQueued).toBe(800); // never past the high watermark: the source stops there
    expect(r.totals.pressureDeclarations).toBeGreaterThanOrEqual(5);
    expect(r.totals.thrashing).toBe(true);
    expect(r.totals.blockedMs).toBeGreaterThan(0);
    expect(r.verdict).toMatch(
      /the source is stopped at the high watermark \(800 queued, first after 16 s\) and resumed at the low one \(200\)/,
    );
    expect(r.verdict).toMatch(/backpressure thrashed/);
    expectConservation(r);
  });

  it('a burst that fills the queue quotes the growth during the burst, which the time to full follows from', () => {
    const r = simulate({
      produceRate: 100,
      consumeRate: 100,
      policy: 'drop',
      capacity: 36_000,
      durationSec: 300,
      burst: { rate: 1300, seconds: 30, everySec: 300 },
    });
    expect(r.growthPerSec).toBe(120); // the run's average
    expect(r.burstGrowthPerSec).toBe(1200);
    expect(r.totals.fullAtSec).toBeCloseTo(36_000 / 1200, 1);
    expect(r.verdict).toMatch(
      /during a burst the queue grows 1,200 ev\/s \(120 ev\/s on average\): full after 30 s/,
    );
  });

  it('stop-and-resume through a short burst is not thrashing', () => {
    const r = simulate({
      produceRate: 50,
      consumeRate: 100,
      policy: 'stop',
      capacity: 1000,
      durationSec: 300,
      burst: { rate: 1000, seconds: 3, everySec: 300 },
    });
    expect(r.totals.pressureDeclarations).toBe(1);
    expect(r.totals.thrashing).toBe(false);
    expect(renderReport(r)).toMatch(/first declared at .* s, once; no thrashing/);
  });

  it('compares the four strategies on one scenario', () => {
    const results = comparePolicies({ produceRate: 1000, consumeRate: 100, durationSec: 60 });
    expect(results.map((r) => r.options.policy)).toEqual(['block', 'buffer', 'drop', 'sample']);
    const [block, buffer, drop, sample] = results;
    // Same consumer, same delivered count; what differs is where the excess goes.
    for (const r of results) expect(r.totals.consumed).toBe(5_999);
    expect(block.totals.produced).toBe(16_000);
    expect(buffer.totals.maxQueued).toBe(54_000);
    expect(drop.totals.dropped).toBe(44_000);
    expect(sample.totals.sampled).toBe(4_400);
    const text = renderComparison(results);
    expect(text).toMatch(/queue bound: block 10,000, buffer unbounded, drop 10,000, sample 10,000/);
    expect(text).toMatch(/^block\s+5,999\s+0\s+10,000\s+9\.8 MiB\s+54 s\s+producer held to 100 ev\/s$/m);
    expect(text).toMatch(/^buffer\s+5,999\s+0\s+54,000\s+52\.7 MiB\s+54 s\s+54,001 behind and growing$/m);
    expect(text).toMatch(/^drop\s+5,999\s+44,000 .* 73% of events dropped$/m);
    // Sample loses as many as drop (the queue is as full); its outcome says what it keeps instead.
    expect(text).toMatch(
      /^sample\s+5,999\s+44,000 .* 1 in 10 of the overflow kept in place of older events, 73% discarded$/m,
    );
  });
});

describe('simulate: seeded failures and what retries cost', () => {
  const retryRun = (extra: Partial<SimulationOptions> = {}) =>
    simulate({
      produceRate: 100,
      consumeRate: 100,
      policy: 'buffer',
      failureRate: 0.5,
      maxRetries: 1,
      durationSec: 3600,
      ...extra,
    });

  it('failures are random by default, from a fixed seed: one retry gives ~120,000 behind and ~25% given up', () => {
    const r = retryRun();
    expect(r.options.failurePattern).toBe('random');
    expect(retryRun().totals).toEqual(r.totals); // the same command, the same numbers
    expect(retryRun({ seed: 7 }).totals.failures).not.toBe(r.totals.failures);
    // Each event takes 1.5 attempts on average (fails twice with chance 1/4): 66.7 leave per second.
    expect(r.growthPerSec).toBeCloseTo(100 - 100 / 1.5, 6);
    expect(Math.abs(r.totals.lag - 120_000) / 120_000).toBeLessThan(0.02);
    const givenUp = r.totals.deadLettered / (r.totals.deadLettered + r.totals.consumed);
    expect(givenUp).toBeGreaterThan(0.24);
    expect(givenUp).toBeLessThan(0.26);
    expect(r.verdict).toMatch(/\(at random, seed 1\)/);
    expectConservation(r);
  });

  it('evenly spread failures never fail one event twice at 50%: nothing is given up', () => {
    const r = retryRun({ failurePattern: 'even' });
    expect(r.totals.deadLettered).toBe(0);
    expect(last(r).lag).toBe(180_000);
  });

  it('a retry backoff takes consumer time: the lag curve is steeper than with free retries', () => {
    const free = retryRun({ maxRetries: undefined, durationSec: 600 });
    const costly = retryRun({ maxRetries: undefined, durationSec: 600, retryBackoffMs: 10 });
    // 2 attempts of 10 ms and one 10 ms backoff per event: 33.3 ev/s instead of 50.
    expect(free.growthPerSec).toBeCloseTo(50, 6);
    expect(costly.growthPerSec).toBeCloseTo(100 - 1000 / 30, 6);
    expect(costly.effectiveConsumeRate).toBeCloseTo(1000 / 30, 6);
    for (let i = 0; i < free.rows.length; i++) {
      expect(costly.rows[i].lag).toBeGreaterThan(free.rows[i].lag);
    }
    expect(costly.verdict).toMatch(/each retry after a 10 ms backoff/);
    expect(costly.totals.consumerIdleMs).toBeLessThan(100); // busy nearly all the time
    expectConservation(costly);
  });
});

describe('simulate: fixed counts and the stop policy’s resume delay', () => {
  it('--count 20 at 2 ev/s: sent within 10 s, and the run lasts until every event is handled', () => {
    const r = simulate({ produceRate: 2, processingMs: 2000, policy: 'buffer', count: 20 });
    expect(r.totals.produced).toBe(20);
    const sentBy10 = r.rows.find((row) => row.timeSec === 10);
    expect(sentBy10?.produced).toBe(20);
    expect(r.totals.consumed).toBe(20);
    // The first event arrives at 0.5 s; twenty of 2 s each end at 40.5 s.
    expect(r.totals.allHandledAtSec).toBe(40.5);
    expect(r.totals.lastLatencySec).toBe(30.5);
    expect(r.verdict).toMatch(/all 20 events handled by 40\.5 s/);
    expectConservation(r);
  });

  it('a low watermark of 0 with a resume delay leaves the consumer idle while the source restarts; a higher one does not', () => {
    const run = (lowWatermark: number) =>
      simulate({
        produceRate: 150,
        consumeRate: 100,
        policy: 'stop',
        capacity: 1000,
        lowWatermark,
        resumeDelayMs: 2000,
        durationSec: 120,
      });
    const atZero = run(0);
    const atHalf = run(0.5);
    expect(atZero.totals.pressureDeclarations).toBeGreaterThan(1);
    // Relieved at an empty queue, the consumer finishes its last event and waits out the restart.
    expect(atZero.totals.consumerIdleMs).toBeGreaterThan(
      (atZero.totals.pressureDeclarations - 1) * (2000 - 10) - 1,
    );
    expect(atHalf.totals.consumerIdleMs).toBeLessThan(atZero.totals.consumerIdleMs / 10);
    expect(atHalf.totals.consumed).toBeGreaterThan(atZero.totals.consumed);
    expect(atZero.verdict).toMatch(/each restart of the source takes 2,000 ms: the consumer sat idle/);
    expectConservation(atZero);
  });

  it('rejects a count or delay that makes no sense, and a run with neither duration nor count', () => {
    const base = { produceRate: 10, consumeRate: 10, policy: 'block' as const };
    expect(() => simulate({ ...base, count: 2.5 })).toThrow(/count must be a whole number >= 1/);
    expect(() => simulate({ ...base, durationSec: 10, retryBackoffMs: -1 })).toThrow(
      /retry backoff must be a number >= 0 \(got -1\); milliseconds before each retry/,
    );
    expect(() => simulate(base)).toThrow(/--duration <s>\) or how many events to send \(--count <n>\)/);
  });
});
