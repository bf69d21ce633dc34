import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { type Browser, launch } from '../browser/chromium.js';
import { freeBasePort, type LabProcess, ROOT, requireBuild, spawnSluice } from '../lab/helpers.js';

/**
 * The fixture of the browser tests (test/browser): `sluice lab --memory` from the built package, with the
 * dashboard it serves (web/dist) open in a fresh Chromium page that records console and page errors.
 */

export const ARTIFACTS = join(ROOT, 'test-artifacts');
const DOC_IMAGES = join(ROOT, 'docs', 'images');

export interface LabDashboardOptions {
  /** The consumers' time per order (default 10 ms: 100 orders/s each). */
  processingTimeMs?: number;
  /** More `sluice lab` flags (`--token`, `--partitions`…). */
  labArgs?: string[];
  /** Console errors that are expected (e.g. a 401 the test provokes) and not counted as problems. */
  expectedConsoleErrors?: RegExp;
}

export interface LabDashboard {
  lab: LabProcess;
  browser: Browser;
  page: Page;
  /** The lab's services, from its base port: producer +0, first consumer +1, monitor (and dashboard) +10. */
  urls: { producer: string; consumer: string; monitor: string };
  /** Console errors and uncaught page errors seen so far; a test that expects none asserts it is empty. */
  problems: string[];
  /** Closes the browser, then stops the lab. */
  close(): Promise<void>;
}

/** Starts the lab and a browser page (not yet navigated: tests open `urls.monitor` when they are ready). */
export async function openLabDashboard(options: LabDashboardOptions = {}): Promise<LabDashboard> {
  requireBuild();
  if (!existsSync(join(ROOT, 'web', 'dist', 'index.html'))) {
    throw new Error('web/dist is missing: run `npm run build` (it runs build:web) first');
  }
  const base = await freeBasePort();
  const lab = await spawnSluice([
    'lab',
    '--memory',
    '--base-port',
    String(base),
    '--broker-port',
    '0',
    '--processing-time-ms',
    String(options.processingTimeMs ?? 10),
    '--monitor-interval-ms',
    '500',
    ...(options.labArgs ?? []),
  ]);
  let browser: Browser;
  try {
    browser = await launch();
  } catch (err) {
    await lab.stop();
    throw err;
  }
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !options.expectedConsoleErrors?.test(m.text()))
      problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const url = (offset: number) => `http://127.0.0.1:${base + offset}`;
  return {
    lab,
    browser,
    page,
    urls: { producer: url(0), consumer: url(1), monitor: url(10) },
    problems,
    async close() {
      await browser.close();
      await lab.stop();
    },
  };
}

/**
 * Saves a screenshot of the page or of one element to test-artifacts/`name`; with
 * SLUICE_UPDATE_DOCS_IMAGES=1 and `docsImage`, also to docs/images/ for the README.
 */
export async function saveScreenshot(
  target: Page | Locator,
  name: string,
  options: { fullPage?: boolean; docsImage?: boolean } = {},
): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, name);
  await (options.fullPage
    ? (target as Page).screenshot({ path: file, fullPage: true })
    : target.screenshot({ path: file }));
  if (options.docsImage && process.env.SLUICE_UPDATE_DOCS_IMAGES === '1') {
    mkdirSync(DOC_IMAGES, { recursive: true });
    copyFileSync(file, join(DOC_IMAGES, name));
  }
  return file;
}
