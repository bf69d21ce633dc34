import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareStrategies } from '../../src/engine/examples/fraud-detection.js';
import { formatOutcomes } from '../../src/engine/examples/report.js';

describe('fraud-detection example (the book chapter, one slow score-aggregator instance)', () => {
  it('shows each strategy behaving as the chapter says', async () => {
    const outcomes = await compareStrategies({ durationMs: 10_000 });
    const by = Object.fromEntries(outcomes.map((o) => [o.strategy, o]));
    const { propagate, drop, sample } = by;
    const stopSources = by['stop-sources'];
    const stopUpstream = by['stop-upstream'];

    // Backpressure loses nothing: everything read is decided once the job drains.
    for (const o of [propagate, stopSources, stopUpstream]) {
      expect(o.dropped).toBe(0);
      expect(o.lost).toBe(0);
      expect(o.sourceBackpressure).toBeGreaterThan(0.25);
      // The whole job slows to what the slow instance allows: 200 scores/s there, so ~200 tx/s overall.
      expect(o.throughput).toBeGreaterThan(180);
      expect(o.throughput).toBeLessThan(225);
    }
    // Dropping loses events (counted), never holds the sources back, and keeps latency low.
    for (const o of [drop, sample]) {
      expect(o.dropped).toBeGreaterThan(0);
      expect(o.lost).toBeGreaterThan(0);
      expect(o.sourceBackpressure).toBe(0);
      expect(o.latencyP99Ms).toBeLessThan(propagate.latencyP99Ms / 3);
      expect(o.throughput).toBeGreaterThan(propagate.throughput);
    }
    // Stopping and resuming with a permanently slow instance thrashes; holding the queue full does not.
    expect(stopSources.thrashing).toBe('thrashing (score-aggregator#1)');
    expect(stopSources.declarations).toBeGreaterThan(4);
    expect(propagate.thrashing).not.toMatch(/^thrashing/);
    for (const o of outcomes) {
      expect(o.bottleneck).toBe('score-aggregator#1');
      expect(o.maxQueueDepth).toBeLessThanOrEqual(o.queueCapacity);
    }

    const text = formatOutcomes(outcomes, 'score-aggregator#1');
    expect(text.split('\n')[0]).toMatch(
      /^strategy\s+throughput\s+p50 latency\s+p99 latency\s+max queue\s+dropped/,
    );
    expect(text).toContain('queue depth of score-aggregator#1');
  });

  it('runs from the CLI with one command', () => {
    const out = execFileSync(
      process.execPath,
      ['bin/sluice.js', 'engine', 'example', 'fraud', '--duration', '3', '--strategies', 'propagate,drop'],
      { encoding: 'utf8' },
    );
    expect(out).toMatch(/^propagate\s+\d+\.\d\/s/m);
    expect(out).toMatch(/^drop\s+\d+\.\d\/s/m);
    expect(() =>
      execFileSync(
        process.execPath,
        ['bin/sluice.js', 'engine', 'example', 'fraud', '--strategies', 'hope'],
        {
          encoding: 'utf8',
          stdio: 'pipe',
        },
      ),
    ).toThrow(/unknown strategy 'hope'/);
  });
});
