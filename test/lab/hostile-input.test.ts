import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import { MAX_CONCURRENT_BURSTS, MAX_WAITING_SENDERS } from '../../src/lab/producer.js';
import { QUOTED_CHARS } from '../../src/lab/validate.js';
import { get, http } from './helpers.js';

/**
 * What a hostile web page or a careless script does to a default lab (loopback, no token): foreign
 * origins and Host names are refused, bodies are JSON only, absurd bodies get a short 400, and bursts
 * cannot pile up unbounded work.
 */

interface RawReply {
  status: number;
  body: { error?: string; message?: string; reason?: string; [k: string]: unknown };
}

/** node:http, so Host and Origin are exactly what the test says (fetch would set Host itself). */
function raw(url: string, method: string, headers: Record<string, string>, body?: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let lab: Lab;
let P: string;
let C: string;
let M: string;

beforeAll(async () => {
  lab = await Lab.start({
    memory: true,
    ports: { broker: 0, producer: 0, consumer: 0, monitor: 0 },
    processingTimeMs: 0,
    monitorIntervalMs: 500,
  });
  P = lab.urls.producer!;
  C = lab.urls.consumers[0];
  M = lab.urls.monitor!;
}, 30_000);

afterAll(async () => {
  await lab?.stop();
}, 30_000);

const produced = async () => (await get(`${P}/stats`)).body.produced as number;
const json = { 'content-type': 'application/json' };

describe('a page from another site cannot drive the loopback lab', () => {
  it('refuses foreign origins on every service, and serves the lab’s own', async () => {
    const before = await produced();
    for (const [url, path] of [
      [P, '/burst'],
      [P, '/config'],
      [C, '/pause'],
      [M, '/lab/producer/start'],
    ]) {
      const r = await raw(url + path, 'POST', { ...json, origin: 'http://evil.example' }, '{}');
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(403);
      expect(r.body.error).toBe('forbidden_origin');
      expect(r.body.message).toContain('http://evil.example');
    }
    const sandboxed = await raw(`${P}/produce`, 'POST', { ...json, origin: 'null' }, '{}');
    expect(sandboxed.status).toBe(403);
    expect(await produced()).toBe(before);
    expect((await get(`${C}/stats`)).body.paused).not.toBe(true);

    const port = new URL(M).port;
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const own = await raw(`${P}/produce`, 'POST', { ...json, origin }, '{}');
      expect(own.status, JSON.stringify(own.body)).toBe(200);
    }
    expect(await produced()).toBe(before + 2);
  });

  it('refuses a foreign Host name (DNS rebinding), reads included', async () => {
    const r = await raw(`${P}/stats`, 'GET', { host: 'attacker.example' });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('forbidden_host');
    expect(r.body.message).toMatch(/attacker\.example.*--host and --token/);
    const port = new URL(P).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await raw(`${P}/stats`, 'GET', { host })).status, host).toBe(200);
    }
  });

  it('reads bodies as JSON only when they say so (415 otherwise)', async () => {
    const before = await produced();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const r = await raw(`${P}/burst`, 'POST', { 'content-type': type }, '{"count": 5, "delay_ms": 0}');
      expect(r.status, type).toBe(415);
      expect(r.body.error).toBe('unsupported_media_type');
    }
    // The seed's bodiless `curl -X POST .../stop` still works.
    expect((await raw(`${P}/stop`, 'POST', {})).status).toBe(200);
    expect(await produced()).toBe(before);
  });
});

describe('absurd bodies get a short 400, never a 500', () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const deepObject = `{"consumers": ${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;

  it('100,000-deep JSON', async () => {
    for (const [url, body] of [
      [`${P}/produce`, deep],
      [`${P}/produce/batch`, deep],
      [`${M}/lab/scale`, deep],
      [`${M}/lab/scale`, deepObject],
      [`${P}/produce`, `{"customer": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`],
    ]) {
      const r = await http('POST', url, { raw: body });
      expect(r.status, `${url}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(400);
      expect(r.body.message.length).toBeLessThan(400);
      expect(r.body.message).toMatch(/deeply nested/);
    }
  });

  it('prototype names as actions', async () => {
    for (const path of [
      '/lab/producer/__proto__',
      '/lab/producer/toString',
      '/lab/consumers/toString',
      '/lab/consumers/constructor',
    ]) {
      const r = await http('POST', M + path, { json: {} });
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.message).toMatch(/unknown (producer|consumer) action/);
    }
  });

  it('a 200 KB field or field name is quoted, not echoed whole', async () => {
    const huge = 'x'.repeat(200_000);
    for (const [url, body] of [
      [`${P}/produce`, { customer: huge }],
      [`${P}/produce`, { [huge]: 1 }],
      [`${P}/config`, { rate_ms: huge }],
      [`${C}/config`, { paused: huge }],
    ] as const) {
      const r = await http('POST', url, { json: body });
      expect(r.status).toBe(400);
      expect(r.body.message.length).toBeLessThan(QUOTED_CHARS + 300);
      expect(r.body.message).toMatch(/200,00\d characters/);
    }
  });
});

describe('bursts cannot pile up unbounded work', () => {
  it('at most MAX_CONCURRENT_BURSTS bursts run at once, waiting senders stay bounded; the rest get a 429 with the reason', async () => {
    const rssBefore = process.memoryUsage().rss;
    let peakWaiting = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakWaiting = Math.max(peakWaiting, (await get(`${P}/stats`)).body.buffer.waiting_senders);
      }
    })();
    const calls = await Promise.all(
      Array.from({ length: MAX_CONCURRENT_BURSTS + 2 }, () =>
        http('POST', `${P}/burst`, { json: { count: 5_000, delay_ms: 0 } }),
      ),
    );
    sampling = false;
    await sampler;
    const refused = calls.filter((c) => c.status === 429);
    const done = calls.filter((c) => c.status === 200);
    expect(done.length).toBe(MAX_CONCURRENT_BURSTS);
    expect(refused.length).toBe(2);
    for (const r of refused) {
      expect(r.body.reason).toBe('bursts_in_flight');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    for (const d of done) expect(d.body).toMatchObject({ produced: 5_000, dropped: 0 });
    expect((await get(`${P}/stats`)).body.errors).toBe(0);
    expect(peakWaiting).toBeLessThanOrEqual(MAX_WAITING_SENDERS);
    // Bounded by the window, not by what was asked: a generous ceiling that 4 × 100,000 queued sends broke.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(400 * 1024 * 1024);
  }, 120_000);
});
