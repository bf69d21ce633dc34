import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LabDashboard, openLabDashboard, saveScreenshot } from '../helpers/dashboard.js';
import { describeWithTools } from '../helpers/tools.js';
import { get, until } from '../lab/helpers.js';
import { chromiumTool } from './chromium.js';

/**
 * The dashboard's dead-letters panel in Chromium against `sluice lab --memory --token …`: its buttons
 * need the lab's token (the first press is refused with 401 and the page asks for it), poison orders
 * show up by reason with their error, "Fix the bug" reaches the consumer, and Replay sends the pending
 * dead letters back once (the consumer processes them; a second press replays nothing). Checked through
 * the services' own APIs and the panel's data attributes, not pixels.
 */

const TOKEN = 'panel-secret-1';
let page: Page;
let monitor: string;
let consumer: string;
let problems: string[];
let prompts = 0;

const panel = (attr: string) => page.getAttribute('#dead-letters', `data-${attr}`).then(Number);
const result = () => page.textContent('#dl-result').then((t) => t ?? '');
const press = async (selector: string, expected: RegExp) => {
  await page.click(selector);
  await page
    .waitForFunction(
      (re) => new RegExp(re).test(document.querySelector('#dl-result')?.textContent ?? ''),
      expected.source,
    )
    .catch(async (err: Error) => {
      // Say what the panel showed instead (a failed call, or no answer at all) and what the page logged.
      throw new Error(
        `${selector}: expected ${expected} in #dl-result, which shows ${JSON.stringify(await result())}; ` +
          `page problems: ${JSON.stringify(problems)} (${err.message})`,
      );
    });
};

describeWithTools('dead-letters panel in Chromium', [chromiumTool()], () => {
  let dash: LabDashboard;
  beforeAll(async () => {
    // The first press without a token is refused on purpose; Chromium logs that 401.
    dash = await openLabDashboard({ labArgs: ['--token', TOKEN], expectedConsoleErrors: /401/ });
    ({ page, problems } = dash);
    ({ monitor, consumer } = dash.urls);
    page.on('dialog', (d) => {
      prompts++;
      void d.accept(TOKEN);
    });
  }, 90_000);

  afterAll(() => dash?.close());

  it('asks for the token on the first press, then sends poison orders that land in the panel by reason', async () => {
    await page.goto(`${monitor}/`);
    await page.waitForFunction(
      () => document.querySelector('#dl-summary')?.textContent === 'No dead letters.',
    );
    expect(await panel('count')).toBe(0);

    await press('[data-dl="poison-order"]', /Token set; press the button again/);
    expect(prompts).toBe(1);
    await press('[data-dl="poison-order"]', /Poison order sent/);
    await page.click('[data-dl="poison-order"]');
    await page.waitForFunction(
      () => document.querySelector('#dead-letters')?.getAttribute('data-count') === '2',
      undefined,
      {
        timeout: 20_000,
      },
    );
    expect(await panel('pending')).toBe(2);
    expect(await page.textContent('#dl-reasons tr[data-reason="poison"] td.n')).toBe('2');
    expect(await page.locator('#dl-latest tbody tr').count()).toBe(2);
    expect(await page.textContent('#dl-latest')).toContain('PoisonOrderFailure');
    expect(await page.textContent('#dl-latest')).toMatch(/orders\/\d@\d+/);
    // The panel reads the dead-letter topic; the consumer counts a dead letter when the broker's
    // answer to that write reaches it, which can be a moment after the panel already shows it.
    const counted = await until('the consumer to count both dead letters', async () => {
      const byReason = (await get(`${consumer}/stats`)).body.dead_letters as Record<string, number>;
      return byReason.poison === 2 ? byReason : undefined;
    });
    expect(counted).toEqual({ poison: 2 });
  }, 60_000);

  it('refuses a replay without the token', async () => {
    const res = await fetch(`${monitor}/lab/dead-letters/replay`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(await panel('replayed')).toBe(0);
  });

  it('fixes the bug, replays the pending dead letters once, and the consumer processes them', async () => {
    await press('[data-dl="fix"]', /Bug fixed/);
    expect((await get(`${consumer}/config`)).body).toMatchObject({ poison_fixed: true, failure_rate: 0 });
    const before = (await get(`${consumer}/stats`)).body.succeeded as number;

    await press('[data-dl="replay"]', /2 replayed to the source topic, 0 already replayed/);
    await until('the consumer to process the replayed orders', async () =>
      (await get(`${consumer}/stats`)).body.succeeded === before + 2 ? true : undefined,
    );
    await page.waitForFunction(
      () => document.querySelector('#dead-letters')?.getAttribute('data-replayed') === '2',
    );
    expect(await panel('pending')).toBe(0);
    expect(await page.locator('#dl-latest .pill.ok').count()).toBe(2);

    await press('[data-dl="replay"]', /0 replayed to the source topic, 2 already replayed/);
    expect((await get(`${consumer}/stats`)).body.succeeded).toBe(before + 2);
    expect(prompts).toBe(1);
  }, 60_000);

  it('sets the failure kind and rate on the consumer, and shows the arithmetic', async () => {
    await press('[data-dl="kind"][data-kind="transient"]', /Failures are now transient/);
    await press('[data-dl="rate"][data-rate="0.5"]', /50% failing/);
    const config = (await get(`${consumer}/config`)).body;
    expect(config).toMatchObject({ failure: 'transient', failure_rate: 0.5 });
    // 10 ms per attempt: 100/s capacity, 100 / 1.9375 = 51.6/s expected with 5 attempts.
    expect(config.expected_messages_per_second).toBeCloseTo(51.613, 2);
    await page.waitForFunction(() =>
      document.querySelector('[data-dl="rate"][data-rate="0.5"]')?.classList.contains('on'),
    );
    expect(await page.textContent('#dl-failure-state')).toContain('50% transient · expect 51.6/s of 100/s');
    await saveScreenshot(page.locator('#dead-letters'), 'dashboard-dead-letters.png');
    expect(await result()).toMatch(/50% failing/);
    expect(problems).toEqual([]);
  }, 30_000);
});
