/**
 * Issue 26, the library half: Producer.close() and the monitor's stop() resolve within their deadlines
 * when the broker hangs (SIGSTOP: connections stay open, nothing answers, so only a deadline ends the
 * wait), and release their connections. The broker is a child process so it can be frozen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Producer } from '../../src/client/producer.js';
import { LagMonitor } from '../../src/monitor/monitor.js';
import { type BrokerProcess, killBrokers, startBrokerProcess } from '../crash/broker-process.js';

const dirs: string[] = [];
afterAll(() => {
  killBrokers();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function hungBroker(): Promise<BrokerProcess & { freeze(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-close-'));
  dirs.push(dir);
  const b = await startBrokerProcess(dir, 'async');
  return { ...b, freeze: () => b.child.kill('SIGSTOP') };
}

const elapsed = async (fn: () => Promise<unknown>) => {
  const at = Date.now();
  await fn();
  return Date.now() - at;
};

describe('close with the broker hung', () => {
  it('Producer.close() gives up flushing at its timeout, fails the unsent records and closes its connections', async () => {
    const broker = await hungBroker();
    const producer = new Producer({ brokers: [broker.bootstrap], lingerMs: 10 });
    await producer.send([{ topic: 'orders', value: 'before' }]);
    broker.freeze();
    const pending = producer.send([{ topic: 'orders', value: 'after' }]).then(
      () => 'delivered',
      (err: Error) => err.message,
    );
    await new Promise((r) => setTimeout(r, 500));
    // Without the bound the flush waits out the 30 s request timeout, then retries.
    const took = await elapsed(() => producer.close({ timeoutMs: 1_000 }));
    expect(took).toBeLessThan(6_000);
    expect(await pending).toMatch(/closed/);
    expect(producer.cluster.stats()).toEqual([]);
    await broker.kill9();
  }, 60_000);

  it("the monitor's stop() gives up on a collection cycle at its timeout and closes its client", async () => {
    const broker = await hungBroker();
    const monitor = new LagMonitor({ brokers: [broker.bootstrap], intervalMs: 200 });
    const reported = new Promise<void>((resolve) => monitor.onReport(() => resolve()));
    monitor.start();
    await reported;
    broker.freeze();
    // Let a cycle go out to the frozen broker.
    await new Promise((r) => setTimeout(r, 500));
    const took = await elapsed(() => monitor.stop(1_000));
    expect(took).toBeGreaterThanOrEqual(500);
    expect(took).toBeLessThan(6_000);
    await broker.kill9();
  }, 60_000);
});
