import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LabDashboard, openLabDashboard, saveScreenshot } from '../helpers/dashboard.js';
import { describeWithTools } from '../helpers/tools.js';
import { post } from '../lab/helpers.js';
import { chromiumTool } from './chromium.js';

/**
 * The dashboard's traces panel in Chromium against `sluice lab --memory` (no Jaeger): a burst into a slow
 * consumer shows up as the slowest orders with their time in the broker, in flight and in the sink as
 * bars on one time axis, the backlog's wait dwarfing the work, and per partition a waiting share that
 * says so. Checked through the panel's data attributes and the bars' geometry, not pixels.
 */

const ORDERS = 30;
const PROCESSING_MS = 40;

let page: Page;
let monitor: string;
let problems: string[];

describeWithTools('traces panel in Chromium', [chromiumTool()], () => {
  let dash: LabDashboard;
  beforeAll(async () => {
    dash = await openLabDashboard({ processingTimeMs: PROCESSING_MS, labArgs: ['--partitions', '3'] });
    ({ page, problems } = dash);
    monitor = dash.urls.monitor;
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 90_000);

  afterAll(() => dash?.close());

  it('shows the slowest orders of a burst as bars, waiting in the broker far longer than working', async () => {
    await page.goto(`${monitor}/`);
    await page.waitForFunction(() => document.querySelector('#traces')?.getAttribute('data-orders') === '0');
    expect(await page.textContent('#tr-slowest')).toContain('No order finished yet');

    const burst = await post(`${monitor}/lab/producer/burst`, { count: ORDERS, delay_ms: 0 });
    expect(burst.status).toBe(200);
    await page.waitForFunction(
      (n) => document.querySelector('#traces')?.getAttribute('data-orders') === String(n),
      ORDERS,
      { timeout: 30_000 },
    );

    const rows = page.locator('#tr-slowest tbody tr');
    expect(await rows.count()).toBe(10);
    const slowest = rows.first();
    expect(
      await slowest.locator('.tr-bar').evaluateAll((bars) => bars.map((b) => b.getAttribute('data-part'))),
    ).toEqual(['broker', 'in flight', 'sink']);
    // One axis for all rows: the slowest order's bars reach the right edge; its broker wait is far
    // wider than its sink time (29 orders ahead of it at 40 ms each, one at a time).
    const width = (part: string) =>
      slowest.locator(`.tr-bar[data-part="${part}"]`).evaluate((b) => b.getBoundingClientRect().width);
    expect(await width('broker')).toBeGreaterThan(5 * (await width('sink')));
    const totals = await rows.evaluateAll((trs) =>
      trs.map((tr) =>
        Number.parseFloat(tr.querySelector('td.n')?.textContent?.replace(/[^\d.]/g, '') ?? '0'),
      ),
    );
    expect(totals).toEqual([...totals].sort((a, b) => b - a));

    const partitions = page.locator('#tr-partitions tbody tr');
    expect(await partitions.count()).toBe(3);
    const shares = await partitions.evaluateAll((trs) =>
      trs.map((tr) => Number(tr.getAttribute('data-waiting-share'))),
    );
    for (const share of shares) expect(share).toBeGreaterThan(0.5);

    await saveScreenshot(page.locator('#traces'), 'dashboard-traces.png', { docsImage: true });
    expect(problems).toEqual([]);
  }, 60_000);
});
