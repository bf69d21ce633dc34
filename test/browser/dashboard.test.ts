import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LabDashboard, openLabDashboard, saveScreenshot } from '../helpers/dashboard.js';
import { describeWithTools } from '../helpers/tools.js';
import { get, type LabProcess, until } from '../lab/helpers.js';
import { chromiumTool } from './chromium.js';

/**
 * The dashboard in Debian's Chromium against `sluice lab --memory` (the built package, web/dist served
 * by the monitor): it loads without console errors, its controls reach the lab (checked through the
 * consumer's own API), and the lag it charts rises after a burst and falls after resume, read from the
 * page's data (window.__sluice), not from pixels. Screenshots go to test-artifacts/; with
 * SLUICE_UPDATE_DOCS_IMAGES=1 they are also copied to docs/images/ for the README.
 */

let lab: LabProcess;
let page: Page;
let monitor: string;
let consumer: string;
let producer: string;
let problems: string[];

interface Series {
  t: number[];
  total: number[];
}
const series = () => page.evaluate(() => window.__sluice.series() as Series);

const shot = (name: string) => saveScreenshot(page, name, { fullPage: true, docsImage: true });

describeWithTools('dashboard in Chromium', [chromiumTool()], () => {
  let dash: LabDashboard;
  beforeAll(async () => {
    dash = await openLabDashboard();
    ({ page, lab, problems } = dash);
    ({ monitor, consumer, producer } = dash.urls);
    page.on('requestfailed', (r) => {
      // The event stream is cut when the page closes; anything else failing is a bug.
      if (!r.url().endsWith('/events')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(monitor) && !r.url().startsWith('data:'))
        problems.push(`request outside the monitor: ${r.url()}`);
    });
  }, 90_000);

  afterAll(() => dash?.close());

  it('loads with live data and no console errors', async () => {
    await page.goto(`${monitor}/`);
    await page.waitForFunction(() => window.__sluice?.connected && window.__sluice.store.snapshots > 0);
    expect(await page.getAttribute('#badge', 'data-status')).toMatch(/^(ok|warning|critical)$/);
    await page.waitForSelector('[data-stage="broker"]');
    await page.waitForSelector('#chart-lag canvas');
    expect(await page.locator('.stage').count()).toBe(4);
    expect(problems).toEqual([]);
  });

  it('pauses the consumer with the pause button (checked through the consumer API)', async () => {
    expect((await get(`${consumer}/health`)).body.paused).toBe(false);
    // A steady producer under the consumer's capacity (100 orders/s at 10 ms), started from the page.
    await page.fill('#ctl-rate', '40');
    await page.click('button[data-action="start"]');
    await until('the producer to run', async () =>
      (await get(`${producer}/config`)).body.running === true ? true : undefined,
    );
    await page.waitForTimeout(3_000);
    await page.click('button[data-action="pause"]');
    await until('the consumer to report paused', async () =>
      (await get(`${consumer}/health`)).body.paused === true ? true : undefined,
    );
    // The page shows it within a refresh.
    await page.waitForFunction(
      () => document.querySelector('button[data-action="pause"]')?.classList.contains('on'),
      undefined,
      { timeout: 10_000 },
    );
  });

  it('charts lag rising after a burst and falling after resume', async () => {
    await page.fill('#ctl-burst', '300');
    await page.click('button[data-action="burst"]');
    await page.waitForFunction(() =>
      /acknowledged/.test(document.querySelector('#ctl-result')?.textContent ?? ''),
    );
    await page.waitForFunction(() => Math.max(...window.__sluice.series().total) >= 300, undefined, {
      timeout: 15_000,
    });
    const risen = await series();
    const peak = Math.max(...risen.total);
    expect(peak).toBeGreaterThanOrEqual(300);
    // The backlog picture says where the work waits: in the broker log, not in the consumer.
    expect(Number(await page.getAttribute('[data-stage="broker"]', 'data-size'))).toBeGreaterThanOrEqual(300);
    await page.click('button[data-action="resume"]');
    await until('the consumer to report running', async () =>
      (await get(`${consumer}/health`)).body.paused === false ? true : undefined,
    );
    await page.waitForFunction(
      (p) => {
        const t = window.__sluice.series().total;
        return t[t.length - 1] <= p / 4;
      },
      peak,
      { timeout: 45_000 },
    );
    const after = await series();
    const peakAt = after.total.indexOf(peak);
    expect(peakAt).toBeGreaterThanOrEqual(0);
    expect(after.total[after.total.length - 1]).toBeLessThan(peak / 4);
    expect(after.t[after.t.length - 1]).toBeGreaterThan(after.t[peakAt]);
    await page.waitForTimeout(3_000);
    await shot('dashboard-lab.png');
    expect(problems).toEqual([]);
  }, 90_000);

  it('shows the cluster view: topics with offsets and retention, groups with assignments and lag', async () => {
    await page.click('a[data-tab="cluster"]');
    await page.waitForSelector('details[data-topic="orders"][open] tbody tr');
    await page.waitForSelector('#groups th:text("Committed")', { timeout: 10_000 });
    const orders = (await page.textContent('details[data-topic="orders"]')) ?? '';
    expect(orders).toContain('6 partitions');
    expect(orders).toContain('retention 7 d');
    expect(await page.locator('details[data-topic="orders"] tbody tr').count()).toBe(6);
    expect(await page.textContent('#brokers')).toContain('memory');
    expect(await page.textContent('#groups')).toContain('order-processors');
    expect(await page.locator('#groups .chip').count()).toBe(6);
    // Committed offsets per partition, joined in from the live snapshot.
    expect(await page.locator('#groups tbody tr:has(td.n)').count()).toBe(6);
    await shot('dashboard-cluster.png');
    expect(problems).toEqual([]);
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('a[data-tab="lab"]');
    await page.waitForTimeout(500);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await saveScreenshot(page, 'dashboard-phone.png');
  });

  it('lets the lab stop cleanly while the page holds its event stream open', async () => {
    await page.waitForFunction(() => window.__sluice.connected);
    // SIGTERM: the lab exits 0 by itself; a server waiting on the open stream would be SIGKILLed (exit null).
    expect(await lab.stop()).toBe(0);
    await page.waitForFunction(() => !window.__sluice.connected, undefined, { timeout: 10_000 });
    await page.waitForFunction(
      () => document.querySelector('#conn')?.textContent === 'unreachable',
      undefined,
      {
        timeout: 10_000,
      },
    );
  }, 40_000);
});
