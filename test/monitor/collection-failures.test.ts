import { describe, expect, it } from 'vitest';
import { LagMonitor } from '../../src/monitor/monitor.js';
import { freePort } from '../helpers/burrow.js';

describe('collection failures', () => {
  it('keeps running when the cluster is unreachable and says so in status()', async () => {
    const port = await freePort();
    const monitor = new LagMonitor({
      brokers: [`127.0.0.1:${port}`],
      intervalMs: 100,
    });
    monitor.start();
    const deadline = Date.now() + 20_000;
    while (monitor.status().collection_failure === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await monitor.stop();
    expect(monitor.status().collection_failure?.error).toMatch(/no broker reachable|ECONNREFUSED/);
    expect(monitor.lag().collection.cycles).toBe(0);
  }, 30_000);
});
