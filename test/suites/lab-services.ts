import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECT_REASONS } from '../../src/flow/admission.js';
import { Lab } from '../../src/lab/lab.js';
import { type Target, uniqueName } from '../helpers/targets.js';
import { get, http, until } from '../lab/helpers.js';

/**
 * Every lab endpoint refuses bad input with a 400 that says why, a token guards mutating requests, the
 * monitor serves the cluster view and its event stream, and the producer's edge admission answers 429.
 * The lab runs in this process with `brokers` pointing at the target (as `sluice lab --brokers` does),
 * every HTTP port picked by the OS.
 */

const TOKEN = 'correct-horse-battery';
const auth = { authorization: `Bearer ${TOKEN}` };

export function labServicesSuite(target: Target): void {
  let lab: Lab;
  let P: string;
  let C: string;
  let M: string;
  const topic = uniqueName('services-orders');
  const group = uniqueName('services-group');

  beforeAll(async () => {
    lab = await Lab.start({
      brokers: target().bootstrap.split(','),
      topic,
      groupId: group,
      ports: { producer: 0, consumer: 0, monitor: 0 },
      token: TOKEN,
      processingTimeMs: 10,
      monitorIntervalMs: 200,
    });
    P = lab.urls.producer!;
    C = lab.urls.consumers[0];
    M = lab.urls.monitor!;
  }, 30_000);

  afterAll(async () => {
    await lab?.stop();
  }, 30_000);

  async function expect400(
    method: string,
    url: string,
    options: { raw?: string; json?: unknown },
    reason: RegExp,
  ) {
    const r = await http(method, url, { ...options, headers: auth });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error).toBe('bad_request');
    expect(r.body.message).toMatch(reason);
  }

  describe('producer input validation', () => {
    it('refuses malformed JSON, wrong types, out-of-range values and unknown fields', async () => {
      await expect400('POST', `${P}/config`, { raw: '{"rate_ms": 100,' }, /not valid JSON/);
      await expect400(
        'POST',
        `${P}/config`,
        { json: { rate_ms: '100' } },
        /"rate_ms" must be a whole number/,
      );
      await expect400(
        'POST',
        `${P}/config`,
        { json: { rate_ms: 0 } },
        /"rate_ms" must be a whole number from 1/,
      );
      await expect400('POST', `${P}/config`, { json: { rate_ms: 1.5 } }, /whole number/);
      await expect400(
        'POST',
        `${P}/config`,
        { json: { batch_size: 10_001 } },
        /"batch_size" must be a whole number from 1 to 10000/,
      );
      await expect400('POST', `${P}/config`, { json: { running: 'yes' } }, /"running" must be true or false/);
      await expect400('POST', `${P}/config`, { json: { rate: 100 } }, /unknown field "rate"/);
      await expect400('POST', `${P}/config`, { json: [1, 2] }, /must be a JSON object/);
      await expect400(
        'POST',
        `${P}/produce/batch?count=0`,
        {},
        /"count" must be a whole number from 1 to 10000/,
      );
      await expect400('POST', `${P}/produce/batch?count=ten`, {}, /"count" must be a whole number/);
      await expect400(
        'POST',
        `${P}/produce/batch?count=1&priority=urgent`,
        {},
        /"priority" must be critical, normal or optional/,
      );
      await expect400('POST', `${P}/burst`, { json: { count: -1 } }, /"count" must be a whole number from 1/);
      await expect400(
        'POST',
        `${P}/burst`,
        { json: { count: 10, delay_ms: 'fast' } },
        /"delay_ms" must be a whole number/,
      );
      await expect400('POST', `${P}/burst`, { raw: 'count=10' }, /not valid JSON/);
      await expect400(
        'POST',
        `${P}/produce`,
        { json: { customer: 42 } },
        /"customer" must be a non-empty string/,
      );
      await expect400(
        'POST',
        `${P}/produce`,
        { json: { amount: -5 } },
        /"amount" must be a number from 0 to 1000000/,
      );
      await expect400('POST', `${P}/start`, { json: { now: true } }, /unknown field "now"/);
      // Nothing above changed the producer.
      expect((await get(`${P}/config`)).body).toMatchObject({ rate_ms: 1000, batch_size: 1, running: false });
    });

    it("accepts the lab's own calls, with or without a body", async () => {
      const one = await http('POST', `${P}/produce`, { headers: auth });
      expect(one.status).toBe(200);
      expect(one.body.order).toMatchObject({ id: expect.stringMatching(/^ord-/), currency: 'EUR' });
      expect(typeof one.body.order.amount).toBe('number');
      expect(Date.parse(one.body.order.created_at)).not.toBeNaN();
      const chosen = await http('POST', `${P}/produce`, {
        json: { customer: 'cust-0042', amount: 12.5 },
        headers: auth,
      });
      expect(chosen.body.order).toMatchObject({ customer: 'cust-0042', amount: 12.5 });
      expect(chosen.body.partition).toBeGreaterThanOrEqual(0);
      // A form or text/plain body is what a foreign page can send without a preflight: never read as JSON.
      for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
        const refused = await http('POST', `${P}/burst`, {
          raw: '{"count": 3, "delay_ms": 0}',
          headers: { ...auth, 'content-type': type },
        });
        expect(refused.status, JSON.stringify(refused.body)).toBe(415);
        expect(refused.body.message).toMatch(/Content-Type: application\/json/);
      }
      const burst = await http('POST', `${P}/burst`, { json: { count: 3, delay_ms: 0 }, headers: auth });
      expect(burst.body).toMatchObject({ produced: 3 });
      const cfg = await http('POST', `${P}/config`, {
        json: { rate_ms: 50, batch_size: 2, running: false },
        headers: auth,
      });
      expect(cfg.body).toMatchObject({ rate_ms: 50, batch_size: 2, running: false, messages_per_second: 40 });
      expect((await get(`${P}/health`)).body).toMatchObject({ status: 'healthy', service: 'producer' });
      const metrics = (await get<string>(`${P}/metrics`)).body;
      expect(metrics).toMatch(/^kafka_messages_produced_total 5$/m);
      // No request was refused, and every reason's 429 series is there at 0 (rate() needs the zero).
      for (const reason of REJECT_REASONS)
        expect(metrics).toContain(`kafka_producer_rejected_total{reason="${reason}"} 0\n`);
    });
  });

  describe('consumer input validation', () => {
    it('refuses bad bodies and query values', async () => {
      await expect400('POST', `${C}/config`, { raw: '{' }, /not valid JSON/);
      await expect400(
        'POST',
        `${C}/config`,
        { json: { processing_time_ms: -1 } },
        /"processing_time_ms" must be a whole number from 0 to 600000/,
      );
      await expect400('POST', `${C}/config`, { json: { processing_time_ms: '50' } }, /whole number/);
      await expect400('POST', `${C}/config`, { json: { paused: 1 } }, /"paused" must be true or false/);
      await expect400('POST', `${C}/config`, { json: { processing_ms: 5 } }, /unknown field "processing_ms"/);
      await expect400('POST', `${C}/slow?time_ms=abc`, {}, /"time_ms" must be a whole number/);
      await expect400(
        'POST',
        `${C}/fast?time_ms=700000`,
        {},
        /"time_ms" must be a whole number from 0 to 600000/,
      );
      await expect400('POST', `${C}/fast?time_ms=1&time_ms=2`, {}, /more than once/);
      await expect400('POST', `${C}/pause`, { json: { all: true } }, /unknown field/);
      expect((await get(`${C}/config`)).body).toMatchObject({ processing_time_ms: 10, paused: false });
    });

    it('applies valid changes: the lab arithmetic follows processing_time_ms', async () => {
      const r = await http('POST', `${C}/config`, {
        json: { processing_time_ms: 250, paused: true },
        headers: auth,
      });
      expect(r.body).toMatchObject({ processing_time_ms: 250, paused: true, max_messages_per_second: 4 });
      const fast = await http('POST', `${C}/fast`, { headers: auth });
      expect(fast.body.processing_time_ms).toBe(50); // the lab's fast-mode example
      const slow = await http('POST', `${C}/slow`, { headers: auth });
      expect(slow.body.processing_time_ms).toBe(2000);
      await http('POST', `${C}/config`, { json: { processing_time_ms: 10, paused: false }, headers: auth });
      expect((await get(`${C}/health`)).body).toMatchObject({ status: 'healthy', paused: false });
    });
  });

  describe('monitor input validation', () => {
    it('refuses bad limits and scale requests', async () => {
      await expect400('GET', `${M}/lag/history?limit=0`, {}, /"limit" must be a whole number from 1/);
      await expect400('GET', `${M}/alerts?limit=x`, {}, /"limit" must be a whole number/);
      await expect400(
        'POST',
        `${M}/lab/scale`,
        { json: { consumers: 0 } },
        /"consumers" must be a whole number from 1 to 9/,
      );
      await expect400('POST', `${M}/lab/scale`, { json: { consumers: 'three' } }, /whole number/);
      await expect400('POST', `${M}/lab/scale`, {}, /give the number of consumers/);
      await expect400('POST', `${M}/lab/scale`, { raw: '[' }, /not valid JSON/);
      const history = await get(`${M}/lag/history?limit=2`);
      expect(history.status).toBe(200);
      expect(history.body.samples.length).toBeLessThanOrEqual(2);
      expect((await get(`${M}/nope`)).status).toBe(404);
    });

    it('serves the cluster view and streams snapshots as server-sent events', async () => {
      const topics = (await get(`${M}/cluster/topics`)).body;
      const orders = topics.topics.find((t: { name: string }) => t.name === topic);
      expect(orders.partitions).toBe(6);
      expect(orders.messages).toBeGreaterThanOrEqual(4);
      const groups = (await get(`${M}/cluster/groups`)).body.groups;
      expect(groups.find((g: { group: string }) => g.group === group).members.length).toBe(1);
      const res = await fetch(`${M}/events`);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      let text = '';
      await until('two snapshots', async () => {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        return (text.match(/event: snapshot/g) ?? []).length >= 2 ? true : undefined;
      });
      await reader.cancel();
      const data = JSON.parse(/data: (.*)\n/.exec(text)![1]);
      expect(data).toHaveProperty('lag.total_lag');
      expect(data).toHaveProperty('status.status');
    });
  });

  describe('tokens', () => {
    it('every mutating request needs the bearer token; reads do not', async () => {
      for (const [url, path] of [
        [P, '/produce'],
        [P, '/stop'],
        [C, '/pause'],
        [M, '/lab/scale'],
      ]) {
        const none = await http('POST', `${url}${path}`, {});
        expect(none.status).toBe(401);
        expect(none.headers.get('www-authenticate')).toBe('Bearer');
        const wrong = await http('POST', `${url}${path}`, {
          headers: { authorization: 'Bearer wrong-token-value' },
        });
        expect(wrong.status).toBe(401);
      }
      expect((await get(`${P}/health`)).status).toBe(200);
      expect((await get(`${C}/stats`)).status).toBe(200);
      expect((await get(`${M}/lag`)).status).toBe(200);
      expect((await get(`${C}/config`)).body.paused).toBe(false);
    });
  });

  describe('admission control at the edge', () => {
    it('answers 429 with Retry-After once the oldest unconsumed order is older than the freshness budget', async () => {
      const gated = await Lab.start({
        brokers: target().bootstrap.split(','),
        ports: { producer: 0, consumer: 0, monitor: 0 },
        processingTimeMs: 10,
        monitorIntervalMs: 100,
        topic: uniqueName('gated-orders'),
        groupId: uniqueName('gated'),
        admission: { freshnessBudgetMs: 800 },
      });
      try {
        const p = gated.urls.producer!;
        const c = gated.urls.consumers[0];
        await until('the consumer to join', async () =>
          (await get(`${c}/stats`)).body.assigned_partitions.length === 6 ? true : undefined,
        );
        expect((await http('POST', `${p}/produce/batch?count=5`)).status).toBe(200);
        await http('POST', `${c}/pause`);
        expect((await http('POST', `${p}/produce/batch?count=20`)).status).toBe(200);
        const refused = await until('a 429', async () => {
          const r = await http('POST', `${p}/produce/batch?count=1`);
          return r.status === 429 ? r : undefined;
        });
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(refused.body.reason).toBe('freshness');
        expect(refused.body.message).toMatch(/budget 800 ms/);
        const stats = (await get(`${p}/stats`)).body;
        expect(stats.rejected.freshness).toBeGreaterThanOrEqual(1);
        expect((await get<string>(`${p}/metrics`)).body).toMatch(
          /kafka_producer_rejected_total\{reason="freshness"\} [1-9]/,
        );
        // Resume: the backlog drains, the oldest order is fresh again and orders are admitted.
        await http('POST', `${c}/resume`);
        await until('admission again', async () =>
          (await http('POST', `${p}/produce/batch?count=1`)).status === 200 ? true : undefined,
        );
      } finally {
        await gated.stop();
      }
    }, 60_000);
  });
}
