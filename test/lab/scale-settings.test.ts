import { describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import { ANY_FREE_LAB_PORTS } from './helpers.js';

describe('lab scale', () => {
  it("new consumers take the running ones' settings, and the monitor's advice knows who is paused", async () => {
    const lab = await Lab.start({
      memory: true,
      ports: ANY_FREE_LAB_PORTS,
    });
    try {
      const first = lab.consumers[0].consumer;
      first.setProcessingTime(100);
      first.setFailures({ rate: 0.25, kind: 'transient' });
      await lab.scale(3);
      for (const c of lab.consumers.slice(1)) {
        expect({
          instance: c.consumer.instance,
          ms: c.consumer.processingTimeMs,
          rate: c.consumer.sink.settings.rate,
        }).toEqual({
          instance: c.consumer.instance,
          ms: 100,
          rate: 0.25,
        });
      }
      expect(lab.groupContext()).toEqual({ pausedConsumers: [], processingTimeMs: 100 });
      lab.consumers[1].consumer.pause();
      expect(lab.groupContext().pausedConsumers).toEqual(['consumer-2']);
    } finally {
      await lab.stop();
    }
  });
});
