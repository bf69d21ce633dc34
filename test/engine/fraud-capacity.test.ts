import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type InstanceCapacity, runStrategy } from '../../src/engine/examples/fraud-detection.js';
import { formatCapacity } from '../../src/engine/examples/report.js';

const SLOW = 'score-aggregator#1';
const byId = (list: InstanceCapacity[], id: string) => list.find((i) => i.id === id)!;

describe('fraud example: capacity, utilisation and headroom per instance (the chapter)', () => {
  it('one slow instance in 100 under drop: under 1% error, and the job capacity is the minimum over instances', async () => {
    // 300 transactions/s; the slow instance is offered about 9 scores/s and can take 2 (queues of 20, so
    // it drops within the first seconds).
    const o = await runStrategy('drop', {
      aggregatorParallelism: 100,
      slowInstances: 1,
      slowCostMs: 500,
      durationMs: 20_000,
      queueCapacity: 20,
    });
    const { instances, jobCapacity, limitedBy, headroom } = o.capacity;
    // Every operator instance is listed: 3 analyzers x 2 and the 100 aggregators.
    expect(instances.filter((i) => i.id.startsWith('score-aggregator#'))).toHaveLength(100);
    expect(instances.filter((i) => /^(avg-ticket|proximity|txn-count)#/.test(i.id))).toHaveLength(6);
    // Capacities are measured (items per busy second) and agree with the costs the job was given.
    const slow = byId(instances, SLOW);
    expect(slow.capacityPerSecond).toBeCloseTo(1000 / 500, 1);
    expect(byId(instances, 'score-aggregator#0').capacityPerSecond).toBeCloseTo(1000 / 1.5, 0);
    expect(byId(instances, 'avg-ticket#0').capacityPerSecond).toBeCloseTo(1000, -1);
    // The slow instance is saturated; the others have most of their capacity spare.
    expect(slow.utilization).toBeGreaterThan(0.9);
    for (const i of instances) {
      expect(i.headroom).toBeCloseTo(1 - i.utilization, 9);
      // Utilisation is the load it was offered over its capacity (while it was not saturated).
      if (i.id !== SLOW) {
        const offered = o.capacity.offered * i.itemsPerTransaction;
        expect(i.utilization).toBeCloseTo(offered / i.capacityPerSecond, 1);
      }
    }
    // The job's capacity is the minimum over its instances, in transactions per second.
    expect(jobCapacity).toBe(Math.min(...instances.map((i) => i.jobCapacity)));
    expect(limitedBy).toBe(SLOW);
    expect(jobCapacity).toBeCloseTo(slow.capacityPerSecond / slow.itemsPerTransaction, 6);
    expect(jobCapacity).toBeLessThan(o.capacity.offered);
    expect(headroom).toBe(Math.min(...instances.map((i) => i.headroom)));
    // The chapter: with one instance in 100 affected, dropping keeps the error (events dropped) under 1%.
    expect(o.dropped).toBeGreaterThan(0);
    expect(o.droppedShare).toBeGreaterThan(0);
    expect(o.droppedShare).toBeLessThan(0.01);
    // A dropped score loses its transaction, so the transactions lost are at most those routed to the
    // slow instance (three scores each): bounded by its share, about 1%.
    expect(o.lost).toBeGreaterThan(0);
    expect(o.lost).toBeLessThanOrEqual((slow.itemsPerTransaction * o.read) / 3);
    // Every instance's figures are printed, and the job's minimum beside them.
    const text = formatCapacity('drop', o.capacity);
    expect(text).toMatch(
      new RegExp(
        `^${SLOW}\\s+${slow.capacityPerSecond.toFixed(1)}\\s+${Math.round(slow.utilization * 100)}%`,
        'm',
      ),
    );
    expect(text).toContain(
      `job capacity: ${jobCapacity.toFixed(1)} txn/s, the minimum over its instances (${SLOW})`,
    );
  });

  it('ten slow instances in 100 drop about ten times as much, and a faster slow instance raises the job capacity', async () => {
    const one = await runStrategy('drop', {
      aggregatorParallelism: 100,
      slowInstances: 1,
      slowCostMs: 250,
      durationMs: 20_000,
      queueCapacity: 20,
    });
    const ten = await runStrategy('drop', {
      aggregatorParallelism: 100,
      slowInstances: 10,
      slowCostMs: 250,
      durationMs: 20_000,
      queueCapacity: 20,
    });
    // 250 ms per score: capacity 4/s, so the job capacity is about twice the 500 ms run's ~66 txn/s.
    expect(byId(one.capacity.instances, SLOW).capacityPerSecond).toBeCloseTo(4, 1);
    expect(one.capacity.jobCapacity).toBeGreaterThan(100);
    expect(one.droppedShare).toBeLessThan(0.01);
    expect(ten.droppedShare).toBeGreaterThan(0.01);
    expect(ten.droppedShare).toBeLessThan(0.1);
    expect(ten.droppedShare / one.droppedShare).toBeGreaterThan(5);
  });

  it('runs from the CLI: --parallelism and --slow-instances, with the per-instance report', () => {
    const out = execFileSync(
      process.execPath,
      [
        'bin/sluice.js',
        'engine',
        'example',
        'fraud',
        '--parallelism',
        '100',
        '--slow-instances',
        '1',
        '--slow-cost',
        '500',
        '--strategies',
        'drop',
        '--duration',
        '10',
      ],
      { encoding: 'utf8' },
    );
    expect(out).toContain('score-aggregator (100, #1 slow: 500 ms/score)');
    expect(out).toMatch(/^score-aggregator#99\s+\d+\.\d\s+\d+%\s+\d+%/m);
    expect(out).toMatch(
      /^job capacity: \d+\.\d txn\/s, the minimum over its instances \(score-aggregator#1\)/m,
    );
    expect(out).toMatch(/^error under drop: 0\.\d\d% of the scores sent to the aggregator discarded/m);
    expect(() =>
      execFileSync(
        process.execPath,
        ['bin/sluice.js', 'engine', 'example', 'fraud', '--parallelism', '3', '--slow-instances', '4'],
        { encoding: 'utf8', stdio: 'pipe' },
      ),
    ).toThrow(/slow instances 4: give a whole number from 0 to the parallelism \(3\)/);
  });
});
