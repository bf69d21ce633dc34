import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/client/errors.js';
import type { FetchedPartition } from '../../src/client/fetcher.js';
import { ConsumerRuntime } from '../../src/consumer/runtime.js';
import type { AssignmentListener, RecordSource, TopicPartition } from '../../src/consumer/types.js';
import { VirtualClock } from '../../src/flow/clock.js';
import { ScriptedSink, seeded, T } from './helpers.js';

/**
 * A fetch in which every partition is refused (their leader was killed, or is fenced and not yet
 * replaced) comes back at once, not after the long-poll wait. The runtime must back off then, as it does
 * when a whole fetch fails, or it asks again in a tight loop for as long as the outage lasts.
 */
class RefusingSource implements RecordSource {
  fetches = 0;
  private readonly parts: TopicPartition[] = [0, 1].map((partition) => ({ topic: T, partition }));

  async start(listener: AssignmentListener): Promise<void> {
    await listener.onAssign(this.parts);
  }

  async fetch(partitions: TopicPartition[]): Promise<FetchedPartition[]> {
    this.fetches++;
    // A real round trip yields to the event loop; so does this one, so a tight loop cannot starve the test.
    await tick();
    return partitions.map((p) => ({
      ...p,
      records: [],
      nextOffset: 0n,
      highWatermark: -1n,
      lastStableOffset: -1n,
      logStartOffset: -1n,
      bytes: 0,
      error: new ConnectionError('cannot connect to 127.0.0.1:19001: connect ECONNREFUSED'),
    }));
  }

  seek(): void {}
  async commit(): Promise<void> {}
  async stop(): Promise<void> {}
}

describe('every partition refused', () => {
  it('backs off between fetches instead of asking again at once', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const source = new RefusingSource();
    const errors: unknown[] = [];
    const runtime = new ConsumerRuntime({
      source,
      sink: new ScriptedSink(clock, () => 1),
      clock,
      random: seeded(3),
      retry: { initialBackoffMs: 100, maxBackoffMs: 1000, multiplier: 2, jitter: 0 },
    });
    runtime.on('fetchError', (e) => errors.push(e));
    await runtime.start();
    // Real time passes, virtual time does not: a loop without a backoff would fetch thousands of times.
    await new Promise((r) => setTimeout(r, 100));
    expect(source.fetches).toBe(1);
    expect(errors).toHaveLength(2);
    // Each backoff on the clock lets one more fetch through (100 ms, then 200 ms).
    const fetchesAfter = async (ms: number) => {
      await clock.advance(ms);
      await new Promise((r) => setTimeout(r, 20));
      return source.fetches;
    };
    expect(await fetchesAfter(150)).toBe(2);
    expect(await fetchesAfter(90)).toBe(2);
    expect(await fetchesAfter(200)).toBe(3);
    const stopping = runtime.stop();
    await clock.advance(5000);
    await stopping;
  });
});
