import { afterAll, expect, it } from 'vitest';
import { type Target, uniqueName } from '../helpers/targets.js';
import { get, http, type LabProcess, requireBuild, spawnSluice, until } from '../lab/helpers.js';

/**
 * Each service alone, as separate processes of the built package, started in the "wrong" order against
 * a fresh broker: consumers before the producer ever wrote. This is the seed lab's
 * `docker compose --profile scaled up consumer-2 consumer-3` done by hand (`sluice consumer --port 8002 &`),
 * against a `sluice broker` process, and against the three-broker Kafka cluster with `--brokers`.
 */

export function labStandaloneSuite(target: Target): void {
  const procs: LabProcess[] = [];

  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
  }, 60_000);

  /** On Sluice a `sluice broker` process of its own (the target's stands by unused); on Kafka the cluster. */
  async function bootstrapAddress(): Promise<string> {
    if (target().kind === 'kafka') return target().bootstrap;
    const broker = await spawnSluice(['broker', '--port', '0', '--durability', 'memory'], {
      ready: /listening on/,
    });
    procs.push(broker);
    return /listening on (\S+)/.exec(broker.output())![1];
  }

  it('two consumers share the topic, the monitor sees the lag, and it drains', async () => {
    requireBuild();
    const bootstrap = await bootstrapAddress();
    const topic = uniqueName('orders');
    const group = uniqueName('order-processors');
    // Every service on a port the system picks (--port 0); each names its address when it is ready.
    const common = ['--brokers', bootstrap, '--topic', topic];
    const C: string[] = [];
    for (const instance of ['consumer-a', 'consumer-b']) {
      const proc = await spawnSluice(
        [
          'consumer',
          '--port',
          '0',
          '--instance',
          instance,
          '--processing-time-ms',
          '20',
          '--group',
          group,
          ...common,
        ],
        { ready: /sluice consumer: .* at http:\/\/\S+,/ },
      );
      procs.push(proc);
      C.push(/ at (http:\/\/\S+),/.exec(proc.output())![1]);
    }
    const monitor = await spawnSluice(
      ['monitor', '--port', '0', '--interval-ms', '250', '--group', `^${group}$`, '--brokers', bootstrap],
      { ready: /sluice monitor: http:\/\/\S+/ },
    );
    procs.push(monitor);
    const producer = await spawnSluice(['producer', '--port', '0', '--group', group, ...common], {
      ready: /sluice producer: http:\/\/\S+/,
    });
    procs.push(producer);
    const M = /sluice monitor: (http:\/\/\S+)/.exec(monitor.output())![1];
    const P = /sluice producer: (http:\/\/\S+)/.exec(producer.output())![1];

    const parts = await until('two members with three partitions each', async () => {
      const a = await Promise.all(
        C.map(async (u) => (await get(`${u}/stats`)).body.assigned_partitions as number[]),
      );
      return a.every((x) => x.length === 3) ? a : undefined;
    });
    expect(parts.flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await get(`${C[1]}/stats`)).body.instance).toBe('consumer-b');

    for (const u of C) await http('POST', `${u}/pause`);
    const produced = await http('POST', `${P}/produce/batch?count=60`);
    expect(produced.body.produced).toBe(60);
    const t = Date.now();
    const lag = await until('the monitor to see 60 orders of lag', async () => {
      const r = (await get(`${M}/lag`)).body;
      return Date.parse(r.timestamp) > t && r.total_lag === 60 ? r : undefined;
    });
    expect(lag.groups.find((g: { group: string }) => g.group === group).consumers).toBe(2);
    for (const u of C) await http('POST', `${u}/resume`);
    await until('lag to drain', async () =>
      (await get(`${M}/lag`)).body.total_lag === 0 ? true : undefined,
    );
    const consumed = (await get(`${C[0]}/stats`)).body.consumed + (await get(`${C[1]}/stats`)).body.consumed;
    expect(consumed).toBe(60);
    const topics = (await get(`${M}/cluster/topics`)).body.topics;
    expect(topics.find((x: { name: string }) => x.name === topic)).toMatchObject({
      partitions: 6,
      messages: 60,
    });
  }, 90_000);
}
