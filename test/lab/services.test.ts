import { describe, expect, it } from 'vitest';
import { checkBind, createHttp } from '../../src/lab/http.js';
import { Lab } from '../../src/lab/lab.js';
import { LabConfigError } from '../../src/lab/validate.js';
import { onEmbeddedBroker } from '../helpers/targets.js';
import { labServicesSuite } from '../suites/lab-services.js';

// The services against a broker: test/suites/lab-services.ts, run on the Kafka cluster by
// test/kafka/lab-services.test.ts. Below, what only the lab's own embedded broker has.
onEmbeddedBroker('lab services', labServicesSuite);

describe('lab start-up checks', () => {
  it('a non-loopback bind without a token is refused before anything listens', () => {
    expect(() => checkBind('producer', { host: '0.0.0.0', port: 0 })).toThrow(LabConfigError);
    expect(() => checkBind('producer', { host: '0.0.0.0', port: 0 })).toThrow(/--token/);
    expect(() => createHttp('consumer', { host: '192.168.1.10', port: 0 })).toThrow(/SLUICE_TOKEN/);
    expect(() => checkBind('producer', { host: '0.0.0.0', port: 0, token: 'short' })).toThrow(/at least 8/);
    expect(() =>
      checkBind('producer', { host: '0.0.0.0', port: 0, token: 'correct-horse-battery' }),
    ).not.toThrow();
    expect(() => checkBind('producer', { host: '127.0.0.1', port: 0 })).not.toThrow();
  });

  it('refuses a non-loopback --host without a token before starting anything', async () => {
    await expect(Lab.start({ memory: true, host: '0.0.0.0', ports: { broker: 0 } })).rejects.toThrow(
      /--token/,
    );
  });

  it('refuses bad options with the field named', async () => {
    await expect(Lab.start({ memory: true, consumers: 0 })).rejects.toThrow(
      /consumers must be a whole number from 1 to 9/,
    );
    await expect(Lab.start({ brokers: ['127.0.0.1:9'], memory: true })).rejects.toThrow(
      /--memory and --data-dir are for the embedded broker/,
    );
  });
});

describe('lab shutdown', () => {
  it('stops while a dashboard holds an event stream open', async () => {
    const l = await Lab.start({ memory: true, ports: { broker: 0, producer: 0, consumer: 0, monitor: 0 } });
    const res = await fetch(`${l.urls.monitor}/events`);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('event: snapshot');
    await l.stop();
    // The stream was ended by the server, not left hanging.
    const rest = await reader.read();
    expect(rest.done).toBe(true);
  }, 30_000);
});
