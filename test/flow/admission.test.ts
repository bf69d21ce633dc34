import { describe, expect, it } from 'vitest';
import { AdmissionGate, retryAfterSeconds, TokenBucket, VirtualClock } from '../../src/flow/index.js';

describe('AdmissionGate', () => {
  it('sheds optional work first, then normal, and critical only at the limit', () => {
    const gate = new AdmissionGate({ maxQueueDepth: 1000, drainRatePerSec: 100 });
    const at = (depth: number) =>
      (['optional', 'normal', 'critical'] as const).map((p) => gate.admit(p, { queueDepth: depth }).admitted);
    expect(at(100)).toEqual([true, true, true]);
    expect(at(600)).toEqual([false, true, true]);
    expect(at(900)).toEqual([false, false, true]);
    expect(at(1000)).toEqual([false, false, false]);
    expect(gate.stats.rejected).toEqual({ optional: 3, normal: 2, critical: 1 });
  });

  it('says when to come back, from the drain rate (Retry-After for a 429)', () => {
    const gate = new AdmissionGate({ maxQueueDepth: 1000, drainRatePerSec: 100 });
    const d = gate.admit('normal', { queueDepth: 1100 });
    expect(d.admitted).toBe(false);
    if (d.admitted) return;
    expect(d.reason).toBe('queue-depth');
    expect(d.retryAfterMs).toBe(3000); // 300 items over the normal threshold (800) at 100/s
    expect(d.message).toMatch(/normal work is shed at 80% of a limit: queue depth 1100 of 1000/);
    expect(retryAfterSeconds(d.retryAfterMs)).toBe(3);
    expect(retryAfterSeconds(100)).toBe(1); // Retry-After is whole seconds, never 0
  });

  it('protects a freshness budget: old work waiting refuses new work', () => {
    const gate = new AdmissionGate({ freshnessBudgetMs: 120_000 });
    expect(gate.admit('normal', { oldestAgeMs: 60_000 }).admitted).toBe(true);
    const d = gate.admit('normal', { oldestAgeMs: 110_000 });
    expect(d).toMatchObject({ admitted: false, reason: 'freshness', retryAfterMs: 14_000 });
  });

  it('uses the worst of several signals, read from a provider', () => {
    let lag = 0;
    const gate = new AdmissionGate({
      maxLag: 10_000,
      maxQueueDepth: 100,
      signals: () => ({ lag, queueDepth: 10 }),
    });
    expect(gate.admit().admitted).toBe(true);
    lag = 9_000;
    expect(gate.admit()).toMatchObject({ admitted: false, reason: 'lag' });
    expect(gate.pressure()).toBeCloseTo(0.9);
  });

  it('rate-limits with a token bucket, exempting critical work', () => {
    const clock = new VirtualClock();
    const gate = new AdmissionGate({ bucket: new TokenBucket({ ratePerSec: 10, burst: 2, clock }) });
    expect(gate.admit().admitted).toBe(true);
    expect(gate.admit().admitted).toBe(true);
    expect(gate.admit()).toMatchObject({ admitted: false, reason: 'rate', retryAfterMs: 100 });
    expect(gate.admit('critical').admitted).toBe(true);
  });

  it('rejects configurations that would shed critical work before optional work', () => {
    expect(() => new AdmissionGate({ shedAt: { optional: 0.9, normal: 0.5 } })).toThrow(/optional <= normal/);
    expect(() => new AdmissionGate({}).admit('urgent' as never)).toThrow(/unknown priority "urgent"/);
  });
});
