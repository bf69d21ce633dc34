import { describe, expect, it, vi } from 'vitest';
import { Producer } from '../../src/client/producer.js';
import { createKafkaConsumer } from '../../src/consumer/create.js';
import type { KafkaSource } from '../../src/consumer/kafka-record-source.js';
import type { VirtualClock } from '../../src/flow/clock.js';
import { startTestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/burrow.js';
import { records, ScriptedSink, setup, T } from './helpers.js';

/**
 * stop() with the broker gone: the final commit and LeaveGroup never answer, and stop() must still
 * resolve within drain + one step bound each, say what it gave up on, and leave no timer behind.
 * On the virtual clock, so the bounds are exact and the test takes no wall time.
 */
describe('runtime.stop() bounds', () => {
  const options = {
    maxInFlight: 100,
    concurrency: 4,
    ordering: 'none' as const,
    // No periodic commit before stop(): the final commit is the one that matters here.
    commitIntervalMs: 600_000,
    shutdownDrainTimeoutMs: 2_000,
    shutdownStepTimeoutMs: 1_000,
  };
  // Offset 5 is stuck in the sink (longer than the drain): 0..4 are committable, 6..19 complete behind the gap.
  const sink = (c: VirtualClock) => new ScriptedSink(c, (r) => (r.offset === 5n ? 600_000 : 100));

  async function stopTimed<R>(clock: VirtualClock, stop: () => Promise<R>) {
    const started = clock.now();
    let endedAt: number | null = null;
    const stopping = stop().then((r) => {
      endedAt = clock.now();
      return r;
    });
    for (let i = 0; i < 1000 && endedAt === null; i++) await clock.advance(50);
    return { report: await stopping, tookMs: (endedAt ?? Number.NaN) - started };
  }

  it('resolves within drain + commit + leave bounds when the broker never answers, counting what is left uncommitted', async () => {
    const { clock, source, runtime } = setup(1, { ...options, sink });
    source.append(T, 0, records(20));
    await runtime.start();
    await clock.advance(3_000);
    expect(runtime.stats().partitions[0]).toMatchObject({ committable: '5', committed: null });
    // The broker is gone: requests to it never settle.
    source.commit = () => new Promise(() => {});
    source.stop = () => new Promise(() => {});
    const close = vi.fn();
    Object.assign(source, { close });
    const gaveUp: string[] = [];
    runtime.on('gaveUp', (line: string) => gaveUp.push(line));

    const { report, tookMs } = await stopTimed(clock, () => runtime.stop());

    expect(tookMs).toBeLessThanOrEqual(2_000 + 1_000 + 1_000 + 100);
    expect(report).toMatchObject({ committed: false, left: false, abandoned: 1, uncommitted: 20 });
    expect(gaveUp).toEqual(report.gaveUp);
    expect(gaveUp).toEqual([
      expect.stringMatching(/^1 records still in the sink after the 2000 ms drain/),
      expect.stringMatching(/^final commit did not finish within 1000 ms/),
      expect.stringMatching(/^leaving the group did not finish within 1000 ms/),
    ]);
    // Connections are released even though leaving never finished, and no timer of ours is left.
    expect(close).toHaveBeenCalledTimes(1);
    expect(clock.pending()).toBe(0);
    expect(runtime.stats().state).toBe('stopped');
  });

  it('with the broker answering it commits everything completed, leaves, and gives up on nothing', async () => {
    const { clock, source, runtime } = setup(1, {
      ...options,
      sink: (c) => new ScriptedSink(c, () => 100),
    });
    source.append(T, 0, records(20));
    await runtime.start();
    await clock.advance(300);
    const { report, tookMs } = await stopTimed(clock, () => runtime.stop());
    expect(report).toMatchObject({ committed: true, left: true, abandoned: 0, uncommitted: 0, gaveUp: [] });
    expect(tookMs).toBeLessThan(2_000);
    // Queued records are dropped at stop and the commit stops below them: nothing completed is lost.
    const at = source.committed.get(`${T}\u00000`) ?? 0n;
    expect(runtime.stats().consumed).toBe(Number(at));
  });

  it('a second stop() returns the same report without a second shutdown', async () => {
    const { clock, runtime } = setup(1, { ...options, sink: (c) => new ScriptedSink(c, () => 100) });
    await runtime.start();
    const { report } = await stopTimed(clock, () => runtime.stop());
    expect(await runtime.stop()).toBe(report);
  });
});

describe('runtime.stop() over Kafka with the broker gone', () => {
  it('resolves within its bounds, reports the records left uncommitted and closes every connection', async () => {
    const broker = await startTestBroker({ durability: 'memory' });
    const producer = new Producer({ brokers: [broker.bootstrap] });
    await producer.send(Array.from({ length: 30 }, (_, i) => ({ topic: 'orders', value: `o${i}` })));
    await producer.close();
    const runtime = createKafkaConsumer({
      brokers: [broker.bootstrap],
      groupId: 'gone',
      topics: ['orders'],
      deadLetter: false,
      // Slow enough that most records are still held or uncommitted when the broker goes.
      sink: { name: 'slow', write: () => new Promise((r) => setTimeout(r, 100)) },
      concurrency: 1,
      commitIntervalMs: 60_000,
      shutdownDrainTimeoutMs: 1_000,
      shutdownStepTimeoutMs: 1_000,
    });
    await runtime.start();
    await waitFor(
      'a few records done',
      async () => (runtime.stats().consumed >= 3 ? true : undefined),
      20_000,
    );
    await broker.stop();

    const started = Date.now();
    const report = await runtime.stop();
    const tookMs = Date.now() - started;

    // 1 s drain + 1 s commit + 1 s leave, with room for a loaded machine; before the bounds: minutes.
    expect(tookMs).toBeLessThan(3_000 + 3_000);
    expect(report.committed).toBe(false);
    expect(report.uncommitted).toBeGreaterThanOrEqual(3);
    expect(report.gaveUp.some((l) => /final commit/.test(l))).toBe(true);
    const source = runtime.source as KafkaSource;
    expect(source.cluster.stats()).toEqual([]);
  }, 60_000);
});
