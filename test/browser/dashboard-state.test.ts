import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LabDashboard, openLabDashboard } from '../helpers/dashboard.js';
import { describeWithTools } from '../helpers/tools.js';
import { get, type LabProcess, post, until } from '../lab/helpers.js';
import { chromiumTool } from './chromium.js';

/**
 * The dashboard tells the truth about its inputs and its state (Chromium against `sluice lab --memory`,
 * the built package): input it cannot send as typed is refused in the page and on the server, the
 * controls show what the lab runs now, the consumer counts add up, the time axes read as clock times
 * that do not collide, and a stopped lab is shown as unreachable, polled less and less often.
 */

let lab: LabProcess;
let page: Page;
let monitor: string;
let producer: string;
const producerPosts: string[] = [];

interface DashboardWindow {
  __sluice: {
    reachable: boolean;
    store: { snapshots: number; snapshot: { lag: { total_lag: number } } | null };
    xAxes(): { id: string; labels: string[]; positions: number[] }[];
  };
}

describeWithTools('dashboard state and input in Chromium', [chromiumTool()], () => {
  let dash: LabDashboard;
  beforeAll(async () => {
    dash = await openLabDashboard();
    ({ page, lab } = dash);
    ({ monitor, producer } = dash.urls);
    page.on('request', (r: Request) => {
      if (r.method() === 'POST' && r.url().includes('/lab/producer/')) producerPosts.push(r.url());
    });
    await page.goto(`${monitor}/`);
    await page.waitForFunction(() => {
      const s = (window as unknown as DashboardWindow).__sluice;
      return s?.store.snapshots > 0;
    });
  }, 90_000);

  afterAll(() => dash?.close());

  it('says "no backlog" while nothing waits', async () => {
    await page.waitForFunction(
      () => (window as unknown as DashboardWindow).__sluice.store.snapshot?.lag.total_lag === 0,
    );
    const drain = page.locator('.kpi', { hasText: 'Time to drain' });
    await expect.poll(() => drain.textContent()).toContain('no backlog');
    expect(await drain.textContent()).not.toContain('production ≥ consumption');
  });

  it('refuses, in the page, input it would otherwise round, replace or clamp', async () => {
    const cases = [
      {
        field: '#ctl-burst',
        value: '0',
        button: 'burst',
        says: 'A burst must be a whole number from 1 to 100,000 (got 0)',
      },
      {
        field: '#ctl-rate',
        value: '0',
        button: 'start',
        says: 'The rate must be a whole number from 1 to 10,000 (got 0)',
      },
      {
        field: '#ctl-rate',
        value: '2.5',
        button: 'start',
        says: 'The rate must be a whole number from 1 to 10,000 (got 2.5)',
      },
      { field: '#ctl-rate', value: '50000', button: 'start', says: '(got 50000)' },
    ];
    const sentBefore = producerPosts.length;
    for (const c of cases) {
      await page.fill(c.field, c.value);
      await page.click(`button[data-action="${c.button}"]`);
      await expect.poll(() => page.textContent('#ctl-result')).toContain(c.says);
      expect(await page.textContent('#ctl-result')).toContain('nothing was sent');
      expect(await page.getAttribute('#ctl-result', 'class')).toContain('bad');
    }
    expect(producerPosts.slice(sentBefore)).toEqual([]);
    expect((await get(`${producer}/config`)).body.running).toBe(false);
  });

  it('refuses on the server what the page refuses, saying why', async () => {
    const flood = await post(`${monitor}/lab/producer/config`, { rate_ms: 100, batch_size: 5000 });
    expect(flood.status).toBe(400);
    expect(flood.body.message).toContain(
      'is 50,000 orders/s; the auto-producer runs at most 10,000 orders/s',
    );
    const empty = await post(`${monitor}/lab/producer/burst`, { count: 0, delay_ms: 5 });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toContain('"count" must be a whole number from 1 to 100000');
  });

  it('shows the rate the producer runs at, set from anywhere, and sends a whole rate as typed', async () => {
    await page.fill('#ctl-rate', '15');
    await page.click('button[data-action="start"]');
    await expect.poll(() => page.textContent('#ctl-result')).toContain('Producer running at');
    const cfg = (await get(`${producer}/config`)).body;
    expect(Math.round((cfg.batch_size * 1000) / cfg.rate_ms)).toBe(15);
    // Changed behind the page's back (curl, another tab): the field and the state follow.
    await post(`${producer}/config`, { rate_ms: 100, batch_size: 10, running: true });
    await page.waitForFunction(
      () => (document.querySelector('#ctl-rate') as HTMLInputElement).value === '100',
    );
    await expect.poll(() => page.textContent('#ctl-producer-state')).toBe('running at 100/s');
    await post(`${producer}/stop`);
    await expect.poll(() => page.textContent('#ctl-producer-state')).toBe('stopped');
  });

  it('counts running and paused consumers so that they add up', async () => {
    await post(`${monitor}/lab/scale`, { consumers: 2 });
    await post(`${dash.urls.consumer}/pause`);
    await expect
      .poll(() => page.textContent('#ctl-consumer-state'), { timeout: 15_000 })
      .toBe('1 running, 1 paused');
    await post(`${dash.urls.consumer}/resume`);
    await post(`${monitor}/lab/scale`, { consumers: 1 });
    await expect.poll(() => page.textContent('#ctl-consumer-state'), { timeout: 15_000 }).toBe('1 running');
  }, 30_000);

  it('labels time axes with clock times that do not overlap', async () => {
    await page.waitForFunction(() => (window as unknown as DashboardWindow).__sluice.xAxes().length === 5);
    const axes = await page.evaluate(() => {
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = '11px system-ui, sans-serif';
      return (window as unknown as DashboardWindow).__sluice
        .xAxes()
        .map((a) => ({ ...a, widths: a.labels.map((l) => ctx.measureText(l).width) }));
    });
    for (const a of axes) {
      expect(a.labels.length, a.id).toBeGreaterThan(0);
      for (const l of a.labels) expect(l, a.id).toMatch(/^\d\d:\d\d(:\d\d)?$/);
      for (let i = 1; i < a.labels.length; i++) {
        const room = a.positions[i] - a.positions[i - 1];
        expect(room, `${a.id}: "${a.labels[i - 1]}" and "${a.labels[i]}"`).toBeGreaterThan(
          (a.widths[i - 1] + a.widths[i]) / 2,
        );
      }
    }
  });

  it('spans the last minute on charts with no data yet, not 1970..2020', async () => {
    // A second page that gets no data at all.
    const empty = await dash.browser.context.newPage();
    try {
      // An empty history (a fresh monitor); the event stream and the flow figures never answer.
      await empty.route('**/lag/history*', (r) => r.fulfill({ json: { samples: [] } }));
      for (const path of ['**/lab/flow', '**/events']) await empty.route(path, () => undefined);
      await empty.goto(`${monitor}/`);
      await empty.waitForFunction(() => (window as unknown as DashboardWindow).__sluice.xAxes().length === 5);
      const { axes, now } = await empty.evaluate(() => ({
        axes: (window as unknown as DashboardWindow).__sluice.xAxes(),
        now: new Date().toTimeString().slice(0, 5),
      }));
      const minutes = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));
      for (const a of axes) {
        expect(a.labels.length, a.id).toBeGreaterThan(0);
        // Every label is a time of the last minute or two (hh:mm of now or just before).
        for (const l of a.labels)
          expect((minutes(now) - minutes(l) + 1440) % 1440, `${a.id} ${l}`).toBeLessThanOrEqual(2);
      }
    } finally {
      await empty.close();
    }
  });

  it('shows a stopped lab as unreachable, greys the figures and polls less and less often', async () => {
    const flowRequests: number[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/lab/flow')) flowRequests.push(Date.now());
    });
    expect(await lab.stop()).toBe(0);
    await page.waitForFunction(() => !(window as unknown as DashboardWindow).__sluice.reachable, undefined, {
      timeout: 15_000,
    });
    expect(await page.textContent('#badge')).toBe('UNREACHABLE');
    expect(await page.getAttribute('#badge', 'data-status')).toBe('unknown');
    expect(await page.textContent('#advice')).toContain('The lab is unreachable');
    expect(await page.textContent('#conn')).toBe('unreachable');
    expect(await page.$eval('#kpis', (e) => getComputedStyle(e).filter)).toContain('grayscale');
    await page.click('button[data-action="pause"]');
    await expect
      .poll(() => page.textContent('#ctl-result'))
      .toContain('pause: not sent, the lab is unreachable');
    expect(await page.textContent('#ctl-result')).not.toContain('Failed to fetch');
    // Retries thin out: each wait at least as long as the one before, the third twice the first.
    const since = flowRequests.length;
    await until(
      'four flow retries',
      async () => (flowRequests.length - since >= 4 ? true : undefined),
      30_000,
    );
    const at = flowRequests.slice(since);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1] * 0.8);
    expect(gaps[2]).toBeGreaterThanOrEqual(gaps[0] * 2);
  }, 60_000);
});
