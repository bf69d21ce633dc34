import { describe, expect, it } from 'vitest';
import { RequestMemoryBudget } from '../../src/broker/request-memory.js';

describe('request memory budget', () => {
  it('grants while room is left (one oversized request included), then wakes waiters on release', () => {
    const budget = new RequestMemoryBudget(100);
    const woken: string[] = [];
    expect(budget.tryReserve(60, () => woken.push('a'))).toBe(true);
    // 60 + 70 > 100, but room was left: granted, like Kafka's non-strict pool, so nothing deadlocks.
    expect(budget.tryReserve(70, () => woken.push('b'))).toBe(true);
    expect(budget.tryReserve(1, () => woken.push('c'))).toBe(false);
    expect(budget.tryReserve(1, () => woken.push('d'))).toBe(false);
    budget.release(20); // 110: still spent
    expect(woken).toEqual([]);
    budget.release(60); // 50
    expect(woken).toEqual(['c', 'd']);
    expect(budget.inUse).toBe(50);
  });

  it('a forgotten waiter (closed connection) is not woken', () => {
    const budget = new RequestMemoryBudget(10);
    budget.tryReserve(10, () => {});
    const wake = () => {
      throw new Error('woken after close');
    };
    expect(budget.tryReserve(5, wake)).toBe(false);
    budget.forget(wake);
    budget.release(10);
    expect(budget.inUse).toBe(0);
  });
});
