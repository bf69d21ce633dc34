import { describe, expect, it } from 'vitest';
import { ReplayedOffsets } from '../../src/consumer/dead-letters.js';
import { onEmbeddedBroker } from '../helpers/targets.js';
import { deadLettersSuite } from '../suites/dead-letters.js';

// The suite itself is test/suites/dead-letters.ts; test/kafka/dead-letters.test.ts runs it on Kafka.
onEmbeddedBroker('dead letters: list, replay, purge', deadLettersSuite);

describe('ReplayedOffsets (what the replay group remembers)', () => {
  it('keeps a contiguous prefix as the committed offset and the rest as ranges', () => {
    const r = ReplayedOffsets.parse(-1n, null);
    expect(r.has(0n)).toBe(false);
    for (const o of [2n, 3n, 5n]) r.add(o);
    expect([r.next, r.metadata()]).toEqual([0n, 'replayed:2-3,5']);
    r.add(0n);
    r.add(1n);
    expect([r.next, r.metadata()]).toEqual([4n, 'replayed:5']);
    r.add(4n);
    expect([r.next, r.metadata()]).toEqual([6n, 'replayed:']);
    expect(r.has(5n)).toBe(true);
    expect(r.has(6n)).toBe(false);
  });

  it('reads back what it wrote, ignores what it cannot read, and moves past purged records', () => {
    const r = ReplayedOffsets.parse(10n, 'replayed:12-14,20');
    expect([10n, 11n, 12n, 14n, 15n, 20n].map((o) => r.has(o))).toEqual([
      false,
      false,
      true,
      true,
      false,
      true,
    ]);
    expect(ReplayedOffsets.parse(3n, 'something else').metadata()).toBe('replayed:');
    r.skipBelow(13n);
    expect([r.next, r.metadata()]).toEqual([15n, 'replayed:20']);
  });
});
