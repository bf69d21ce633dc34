import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { freePort, waitFor } from './burrow.js';
import { GRAFANA_DIR, SCRAPE_FILE } from './promql.js';

/**
 * Debian's Prometheus (2.42, with promtool), installed by .ci/run. startPrometheus() runs one on a free
 * loopback port with its config and storage in a temp dir that stop() removes; the package's own systemd
 * service is never used.
 */

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

/** Fails (never skips) when the binaries are missing: the tests are the point of installing them. */
export function requirePrometheus(): void {
  const missing = [PROMETHEUS, PROMTOOL].filter((p) => !existsSync(p));
  if (missing.length > 0)
    throw new Error(
      `${missing.join(' and ')} not found: run .ci/run (it installs Debian's prometheus package, which has promtool)`,
    );
}

export function promtool(args: string[]): { code: number | null; output: string } {
  requirePrometheus();
  const r = spawnSync(PROMTOOL, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

export interface ScrapeRewrite {
  /** The lab address for a target of the shipped file ("127.0.0.1:8001"), or null to leave it out. */
  target(shipped: string, job: string): string | null;
  scrapeInterval: string;
  evaluationInterval: string;
}

/**
 * docs/grafana/prometheus.yml as the test runs it: the same jobs and rule files (made absolute), every
 * target moved to where the lab listens, and the intervals shortened. Nothing else is written by hand.
 */
export function rewriteScrapeConfig(rewrite: ScrapeRewrite): string {
  // biome-ignore lint/suspicious/noExplicitAny: Prometheus's config model, rewritten field by field
  const cfg = parseYaml(readFileSync(SCRAPE_FILE, 'utf8')) as any;
  cfg.global = {
    ...cfg.global,
    scrape_interval: rewrite.scrapeInterval,
    evaluation_interval: rewrite.evaluationInterval,
  };
  cfg.rule_files = (cfg.rule_files ?? []).map((f: string) => (isAbsolute(f) ? f : resolve(GRAFANA_DIR, f)));
  for (const job of cfg.scrape_configs) {
    // A scrape shorter than its timeout is refused; the shipped file leaves the timeout at its default.
    job.scrape_timeout = rewrite.scrapeInterval;
    for (const sc of job.static_configs)
      sc.targets = sc.targets
        .map((t: string) => rewrite.target(t, job.job_name))
        .filter((t: string | null) => t !== null);
  }
  return stringifyYaml(cfg);
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface ActiveAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export interface RunningPrometheus {
  url: string;
  /** An instant query; `at` in ms since the epoch (default: now). Vector results only. */
  query(expr: string, at?: number): Promise<Sample[]>;
  /** Label sets of every series matching `match` between `startMs` and now. */
  series(match: string, startMs: number): Promise<Record<string, string>[]>;
  labelValues(label: string, match: string): Promise<string[]>;
  /** HELP and TYPE as the scrapes reported them, per metric name. */
  metadata(): Promise<Record<string, { type: string; help: string }[]>>;
  alerts(): Promise<ActiveAlert[]>;
  /** Active targets and their health. */
  targets(): Promise<{ job: string; instance: string; health: string; lastError: string }[]>;
  log(): string;
  stop(): Promise<void>;
}

async function api<T>(
  base: string,
  path: string,
  params: Record<string, string | string[]> = {},
): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) qs.append(k, x);
  const res = await fetch(`${base}${path}?${qs}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus ${path} ${qs}: ${body.error ?? res.status}`);
  return body.data;
}

export async function startPrometheus(configYaml: string): Promise<RunningPrometheus> {
  requirePrometheus();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let out = '';
  const proc: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'Prometheus to be ready',
      async () => {
        if (proc.exitCode !== null) throw new Error(`prometheus exited (${proc.exitCode})`);
        return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
      },
      30_000,
      () => out,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    async query(expr, at = Date.now()) {
      const data = await api<{
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[];
      }>(url, '/api/v1/query', { query: expr, time: String(at / 1000) });
      if (data.resultType !== 'vector') throw new Error(`${expr} gave a ${data.resultType}, not a vector`);
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    series: (match, startMs) =>
      api(url, '/api/v1/series', {
        'match[]': match,
        start: String(startMs / 1000),
        end: String(Date.now() / 1000),
      }),
    labelValues: (label, match) => api(url, `/api/v1/label/${label}/values`, { 'match[]': match }),
    metadata: () => api(url, '/api/v1/metadata'),
    alerts: async () => (await api<{ alerts: ActiveAlert[] }>(url, '/api/v1/alerts')).alerts,
    targets: async () =>
      (
        await api<{
          activeTargets: { labels: Record<string, string>; health: string; lastError: string }[];
        }>(url, '/api/v1/targets', { state: 'active' })
      ).activeTargets.map((t) => ({
        job: t.labels.job,
        instance: t.labels.instance,
        health: t.health,
        lastError: t.lastError,
      })),
    log: () => out,
    stop,
  };
}
