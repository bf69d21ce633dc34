import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import type { Tool } from '../helpers/tools.js';

/** Debian's Chromium, driven by playwright-core: headless, no network beyond loopback, a fresh profile. */

export const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumTool(): Tool {
  return existsSync(CHROMIUM)
    ? { name: 'chromium', available: true, detail: CHROMIUM }
    : {
        name: 'chromium',
        available: false,
        detail: `${CHROMIUM} not found; install: apt-get install chromium`,
      };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A persistent context on a fresh temporary profile (playwright passes it as --user-data-dir). */
export async function launch(viewport = { width: 1366, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport,
    });
    return {
      context,
      async close() {
        await context.close().catch(() => {});
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

/** What the dashboard exposes for tests (web/src/main.ts): its data, so tests read numbers, not pixels. */
declare global {
  interface Window {
    __sluice: {
      connected: boolean;
      store: { snapshots: number };
      series(): { t: number[]; total: number[]; production: number[]; consumption: number[] };
    };
  }
}
