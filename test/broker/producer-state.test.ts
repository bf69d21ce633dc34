import { describe, expect, it } from 'vitest';
import { ProducerStates } from '../../src/broker/producer-state.js';
import { VirtualClock } from '../../src/flow/clock.js';

const batch = (baseSequence: number, recordCount = 1, producerEpoch = 0) => ({
  producerId: 7n,
  producerEpoch,
  baseSequence,
  recordCount,
});

describe('idempotent producer state', () => {
  it('answers a retry of a batch still being appended with that batch’s offset once it lands', async () => {
    const states = new ProducerStates(new VirtualClock(0));
    const first = states.check('t', 0, batch(0, 3));
    expect(first.kind).toBe('append');
    const retry = states.check('t', 0, batch(0, 3));
    expect(retry.kind).toBe('duplicate');
    if (first.kind !== 'append' || retry.kind !== 'duplicate') return;
    first.commit(42n);
    expect(await retry.baseOffset).toBe(42n);
    expect(states.check('t', 0, batch(3)).kind).toBe('append');
  });

  it('gives a failed batch’s sequence back only when nothing was reserved after it', () => {
    const states = new ProducerStates(new VirtualClock(0));
    const a = states.check('t', 0, batch(0));
    if (a.kind !== 'append') throw new Error('expected append');
    a.abort();
    expect(states.check('t', 0, batch(0)).kind).toBe('append'); // the retry fits
    const b = states.check('t', 0, batch(1));
    const c = states.check('t', 0, batch(2));
    if (b.kind !== 'append' || c.kind !== 'append') throw new Error('expected appends');
    b.abort(); // c is already on its way: the gap stays, and the producer must start a new epoch
    expect(states.check('t', 0, batch(1))).toMatchObject({ kind: 'error', errorCode: 45 });
    expect(states.check('t', 0, batch(0, 1, 1)).kind).toBe('append');
  });

  it('keeps producers, partitions and topics apart, and allocates increasing ids', () => {
    const states = new ProducerStates(new VirtualClock(1000));
    expect(states.check('t', 0, batch(0)).kind).toBe('append');
    expect(states.check('t', 1, batch(0)).kind).toBe('append');
    expect(states.check('u', 0, batch(0)).kind).toBe('append');
    states.forgetTopic('t');
    expect(states.check('t', 0, batch(5)).kind).toBe('append'); // unknown again: accepted as is
    const ids = [states.allocate(), states.allocate()];
    expect(ids[1]).toBeGreaterThan(ids[0]);
  });
});
