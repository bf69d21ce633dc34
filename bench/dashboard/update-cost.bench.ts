import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { Lab } from '../../src/lab/lab.js';
import { launch } from '../../test/browser/chromium.js';

/**
 * What the dashboard costs: the bundle it ships (raw, gzip, brotli) and the browser CPU its live
 * updates take, from Chromium's own Performance metrics over CDP (TaskDuration, ScriptDuration,
 * LayoutDuration, RecalcStyleDuration deltas) over a window of live updates against a lab with
 * 6 partitions and 3 consumers under load. Beside it, in the same run: the same page at a 4x faster
 * monitor interval, and an empty page (Chromium's own floor in this measurement). A dashboard row counts
 * only if the page took at least half the snapshots its monitor interval sends in the window: a page that
 * stopped updating would look cheap.
 *
 *   npm run build && npm run bench:dashboard            (SECONDS=30 by default)
 */

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const SECONDS = Number(process.env.SECONDS ?? 30);

function bundle(): { file: string; raw: number; gzip: number; brotli: number }[] {
  const dist = join(ROOT, 'web', 'dist');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(dist);
  return files.map((p) => {
    const b = readFileSync(p);
    return {
      file: p.slice(dist.length + 1),
      raw: b.length,
      gzip: gzipSync(b, { level: 9 }).length,
      brotli: brotliCompressSync(b).length,
    };
  });
}

type Metrics = Record<string, number>;

/** Performance counters of one CDP session (they count from Performance.enable on that session). */
async function counters(page: Page): Promise<{ read(): Promise<Metrics>; close(): Promise<void> }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  return {
    async read() {
      const r = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
      return Object.fromEntries(r.metrics.map((m) => [m.name, m.value]));
    },
    close: () => cdp.detach(),
  };
}

interface Cost {
  label: string;
  taskMsPerS: number;
  scriptMsPerS: number;
  layoutMsPerS: number;
  styleMsPerS: number;
  heapMiB: number;
  snapshots: number;
}

const t0 = Date.now();
const progress = (what: string) =>
  process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}\n`);

async function measure(label: string, page: Page, url: string, intervalMs?: number): Promise<Cost> {
  progress(`measuring: ${label}`);
  await page.goto(url);
  if (url.startsWith('http'))
    await page.waitForFunction(() => window.__sluice?.store.snapshots > 1, undefined, { timeout: 20_000 });
  await page.waitForTimeout(5_000);
  const snaps0 = url.startsWith('http') ? await page.evaluate(() => window.__sluice.store.snapshots) : 0;
  const perf = await counters(page);
  const a = await perf.read();
  await page.waitForTimeout(SECONDS * 1000);
  const b = await perf.read();
  await perf.close();
  const snaps1 = url.startsWith('http') ? await page.evaluate(() => window.__sluice.store.snapshots) : 0;
  const per = (k: string) => ((b[k] - a[k]) * 1000) / SECONDS;
  if (intervalMs !== undefined) checkUpdates(label, snaps1 - snaps0, (SECONDS * 1000) / intervalMs);
  return {
    label,
    taskMsPerS: per('TaskDuration'),
    scriptMsPerS: per('ScriptDuration'),
    layoutMsPerS: per('LayoutDuration'),
    styleMsPerS: per('RecalcStyleDuration'),
    heapMiB: b.JSHeapUsedSize / 1024 / 1024,
    snapshots: snaps1 - snaps0,
  };
}

function checkUpdates(label: string, snapshots: number, sent: number): void {
  if (snapshots < sent / 2) {
    throw new Error(`${label}: the page took ${snapshots} snapshots in ${SECONDS} s, expected about ${sent}`);
  }
}

async function withLab(intervalMs: number, fn: (url: string) => Promise<void>): Promise<void> {
  const lab = await Lab.start({
    memory: true,
    ports: { broker: 0, producer: 0, consumer: 0, monitor: 0 },
    consumers: 3,
    partitions: 6,
    processingTimeMs: 20,
    monitorIntervalMs: intervalMs,
  });
  progress('lab started');
  try {
    // 200 orders/s against 3 x 50/s: lag grows, every chart moves.
    await fetch(`${lab.urls.producer}/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rate_ms: 100, batch_size: 20, running: true }),
    });
    await fn(`${lab.urls.monitor}/`);
  } finally {
    progress('stopping the lab');
    await lab.stop();
  }
}

async function main(): Promise<void> {
  const files = bundle();
  const sum = (k: 'raw' | 'gzip' | 'brotli') => files.reduce((s, f) => s + f[k], 0);
  console.log('Dashboard bundle (web/dist)');
  console.log('| file | raw | gzip | brotli |\n|---|---:|---:|---:|');
  for (const f of files) console.log(`| ${f.file} | ${kib(f.raw)} | ${kib(f.gzip)} | ${kib(f.brotli)} |`);
  console.log(`| **total** | ${kib(sum('raw'))} | ${kib(sum('gzip'))} | ${kib(sum('brotli'))} |\n`);

  const browser = await launch({ width: 1366, height: 900 });
  const costs: Cost[] = [];
  try {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    costs.push(await measure('empty page (Chromium floor)', page, 'about:blank'));
    await withLab(2000, async (url) => {
      costs.push(await measure('dashboard, monitor every 2 s (default)', page, url, 2000));
    });
    await withLab(500, async (url) => {
      costs.push(await measure('dashboard, monitor every 0.5 s', page, url, 500));
    });
  } finally {
    await browser.close();
  }
  const floor = costs[0].taskMsPerS;
  console.log(`Browser CPU over ${SECONDS} s of live updates (6 partitions, 3 consumers, producer 200/s)`);
  console.log(
    '| page | snapshots | task ms/s | script ms/s | layout ms/s | style ms/s | CPU of one core | vs empty page | JS heap |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of costs) {
    console.log(
      `| ${c.label} | ${c.snapshots} | ${c.taskMsPerS.toFixed(1)} | ${c.scriptMsPerS.toFixed(1)} | ${c.layoutMsPerS.toFixed(1)} | ${c.styleMsPerS.toFixed(1)} | ${(c.taskMsPerS / 10).toFixed(2)}% | ${(c.taskMsPerS / Math.max(0.01, floor)).toFixed(1)}x | ${c.heapMiB.toFixed(1)} MiB |`,
    );
  }
}

function kib(n: number): string {
  return `${(n / 1024).toFixed(1)} KiB`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
