import { afterAll, beforeAll, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import { startMonitorService } from '../../src/lab/monitor-service.js';
import { type Target, uniqueName } from '../helpers/targets.js';
import { until } from '../lab/helpers.js';

/**
 * The monitor routes the dashboard relies on (src/lab/monitor-dashboard-routes.ts): the lab's figures
 * in one answer, control calls forwarded to the services with the caller's token, refusals that say
 * what was wrong, and topic/broker configs over DescribeConfigs. The lab runs in this process with
 * `brokers` pointing at the target, as `sluice lab --brokers` does.
 */

const TOKEN = 'dashboard-secret';

export function dashboardRoutesSuite(target: Target): void {
  const topic = uniqueName('dashboard-orders');
  const group = uniqueName('dashboard-group');

  let lab: Lab;
  let M: string;
  const call = async (method: string, path: string, options: { auth?: boolean; json?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    if (options.auth !== false) headers.authorization = `Bearer ${TOKEN}`;
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(M + path, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON from the routes under test; the assertions check it
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    lab = await Lab.start({
      brokers: target().bootstrap.split(','),
      topic,
      groupId: group,
      token: TOKEN,
      ports: { producer: 0, consumer: 0, monitor: 0 },
      consumers: 2,
      processingTimeMs: 5,
      monitorIntervalMs: 200,
    });
    M = lab.urls.monitor!;
  }, 60_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('answers what the page loads: the lab, the cluster view, lag history and the event stream', async () => {
    const info = await call('GET', '/lab', { auth: false });
    expect(info.body).toMatchObject({
      topic,
      group,
      partitions: 6,
      embedded_broker: false,
      storage: 'external',
      broker: target().bootstrap,
    });

    // Every broker of the bootstrap list, and a live leader for each partition of the lab's topic.
    const view = (await call('GET', '/cluster/topics', { auth: false })).body;
    expect(view.brokers.map((b: { port: number }) => `127.0.0.1:${b.port}`).sort()).toEqual(
      target().bootstrap.split(',').sort(),
    );
    // Each of them as the monitor sees it: listed in the metadata and answering.
    for (const b of view.brokers) expect(b.status).toBe('up');
    const ids = view.brokers.map((b: { node_id: number }) => b.node_id);
    const mine = view.topics.find((t: { name: string }) => t.name === topic);
    expect(mine.partitions).toBe(6);
    const leaders = new Set(mine.partition_details.map((p: { leader: number }) => p.leader));
    for (const l of leaders) expect(ids).toContain(l);
    // Kafka spreads partition leadership over its brokers; the embedded broker leads everything.
    expect(leaders.size).toBe(target().brokers);

    // Both consumers own their share, as the monitor saw it.
    const groups = await until('both members to own partitions', async () => {
      const g = (await call('GET', '/cluster/groups', { auth: false })).body.groups.find(
        (x: { group: string }) => x.group === group,
      );
      const owned = g?.members.flatMap((m: { partitions: unknown[] }) => m.partitions) ?? [];
      return g?.members.length === 2 && owned.length === 6 ? g : undefined;
    });
    expect(groups.state).toBe('Stable');

    const history = (await call('GET', '/lag/history?limit=300', { auth: false })).body.samples;
    expect(history.length).toBeGreaterThan(0);
    expect(history.at(-1).groups.map((g: { group: string }) => g.group)).toEqual([group]);

    const res = await fetch(`${M}/events`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const first = JSON.parse(/data: (.*)\n/.exec(text)![1]);
    expect(first.lag.partitions.filter((p: { group: string }) => p.group === group)).toHaveLength(6);
    expect(first.status.status).toMatch(/^(ok|warning|critical)$/);
  });

  it('reports producer and every consumer in one answer', async () => {
    const r = await call('GET', '/lab/flow', { auth: false });
    expect(r.status).toBe(200);
    expect(r.body.producer.stats.buffer.capacity_bytes).toBeGreaterThan(0);
    expect(r.body.consumers.map((c: { instance: string }) => c.instance)).toEqual([
      'consumer-1',
      'consumer-2',
    ]);
    for (const c of r.body.consumers) {
      expect(c.stats.max_in_flight).toBe(10);
      expect(c.stats.credits_free + c.stats.in_flight).toBeLessThanOrEqual(c.stats.max_in_flight);
    }
  });

  it('forwards controls with the caller token and refuses without it', async () => {
    expect((await call('POST', '/lab/consumers/pause', { auth: false })).status).toBe(401);
    expect(lab.consumers.every((c) => !c.consumer.paused)).toBe(true);

    const one = await call('POST', '/lab/consumers/pause?instance=consumer-2');
    expect(one.status).toBe(200);
    expect(one.body.consumers).toHaveLength(1);
    expect(lab.consumers.map((c) => c.consumer.paused)).toEqual([false, true]);

    const all = await call('POST', '/lab/consumers/config', {
      json: { processing_time_ms: 7, paused: false },
    });
    expect(all.status).toBe(200);
    expect(lab.consumers.map((c) => [c.consumer.paused, c.consumer.processingTimeMs])).toEqual([
      [false, 7],
      [false, 7],
    ]);

    const batch = await call('POST', '/lab/producer/batch?count=5');
    expect(batch.status).toBe(200);
    expect(batch.body.produced).toBe(5);
  });

  it('shows the dead letters by reason and replays them once, with the token', async () => {
    const dlq = `${topic}.dlq`;
    const get = async () => (await call('GET', '/lab/dead-letters', { auth: false })).body;
    expect(await get()).toMatchObject({ topic: dlq, count: 0, pending: 0, replayed: 0, latest: [] });
    for (let i = 0; i < 2; i++) {
      const r = await call('POST', '/lab/producer/produce', { json: { poison: true } });
      expect(r.status).toBe(200);
      expect(r.body.poison).toBe(true);
    }
    const seen = await until('both poison orders dead-lettered', async () => {
      const b = await get();
      return b.count === 2 ? b : undefined;
    });
    expect(seen).toMatchObject({ pending: 2, replayed: 0, by_reason: { poison: 2 } });
    for (const d of seen.latest) {
      expect(d).toMatchObject({ reason: 'poison', attempts: 5, replayed: false, source: { topic } });
      expect(d.error).toMatch(/^PoisonOrderFailure: order .* is marked poison/);
    }
    const succeeded = () => lab.consumers.reduce((n, c) => n + c.consumer.stats().succeeded, 0);
    await until('the consumers idle', async () =>
      lab.consumers.every((c) => c.consumer.stats().in_flight === 0) ? true : undefined,
    );
    const before = succeeded();

    expect((await call('POST', '/lab/dead-letters/replay', { auth: false })).status).toBe(401);
    expect((await call('POST', '/lab/consumers/config', { json: { poison_fixed: true } })).status).toBe(200);
    const first = await call('POST', '/lab/dead-letters/replay', { json: {} });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ replayed: 2, already_replayed: 0, to_topics: { [topic]: 2 } });
    await until('the replayed orders processed', async () => (succeeded() === before + 2 ? true : undefined));
    const second = await call('POST', '/lab/dead-letters/replay', { json: { reason: 'poison' } });
    expect(second.body).toMatchObject({ matched: 2, replayed: 0, already_replayed: 2 });
    expect(await get()).toMatchObject({ count: 2, pending: 0, replayed: 2 });
    expect(succeeded()).toBe(before + 2);
  });

  it('says what was wrong with a control call', async () => {
    const action = await call('POST', '/lab/producer/explode');
    expect(action.status).toBe(400);
    expect(action.body.message).toMatch(/unknown producer action "explode"; use one of start, stop/);
    const who = await call('POST', '/lab/consumers/pause?instance=consumer-9');
    expect(who.status).toBe(400);
    expect(who.body.message).toMatch(/no consumer "consumer-9".*consumer-1, consumer-2/);
    // The service's own validation comes back as it is.
    const bad = await call('POST', '/lab/producer/config', { json: { rate_ms: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/rate_ms/);
    const kind = await call('POST', '/lab/consumers/config', { json: { failure: 'flaky', failure_rate: 2 } });
    expect(kind.status).toBe(400);
    expect(kind.body.consumers[0].body.message).toMatch(
      /"failure_rate" must be a number from 0 to 1 \(got 2\)/,
    );
  });

  it('reads retention and durability over DescribeConfigs', async () => {
    const r = await call('GET', '/cluster/configs', { auth: false });
    expect(r.status).toBe(200);
    expect(r.body.brokers).toHaveLength(target().brokers);
    const orders = r.body.topics.find((t: { name: string }) => t.name === topic);
    expect(orders.configs['retention.ms']).toBe('604800000');
    // The lab's topic takes the cluster's replication default: one copy on the embedded broker, three
    // on the cluster, where min.insync.replicas=2 is set for every topic.
    expect(orders.replication_factor).toBe(target().brokers);
    if (target().kind === 'kafka') {
      expect(orders.configs['min.insync.replicas']).toBe('2');
    } else {
      // Only the embedded broker has a durability setting (the target's broker runs in memory); Kafka
      // brokers answer DescribeConfigs without it (replication is their durability).
      expect(r.body.brokers[0].configs['sluice.durability']).toBe('memory');
    }
  });

  it('serves a monitor without a lab: cluster configs yes, lab routes no', async () => {
    const alone = await startMonitorService({
      brokers: lab.brokers,
      intervalMs: 1000,
      http: { host: '127.0.0.1', port: 0 },
    });
    try {
      expect((await fetch(`${alone.url}/lab/flow`)).status).toBe(404);
      expect((await fetch(`${alone.url}/lab/dead-letters`)).status).toBe(404);
      expect((await fetch(`${alone.url}/lab/consumers/pause`, { method: 'POST' })).status).toBe(404);
      const configs = await fetch(`${alone.url}/cluster/configs`);
      expect(configs.status).toBe(200);
      expect(((await configs.json()) as { topics: { name: string }[] }).topics.map((t) => t.name)).toContain(
        topic,
      );
    } finally {
      await alone.close();
    }
  });
}
