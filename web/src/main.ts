import './style.css';
import { get, Unreachable } from './api.js';
import { Charts, type Marks } from './charts.js';
import { loadCluster, refreshGroups } from './cluster.js';
import { reflectState, renderControls } from './controls.js';
import { reflectFailures, startDeadLetters } from './dead-letters.js';
import { duration, esc, num, rate, signedRate } from './format.js';
import { renderPath, stages } from './path.js';
import { Store } from './store.js';
import { startTraces } from './traces.js';
import type { Flow, HistoryEntry, LabInfo, Snapshot } from './types.js';

/**
 * The dashboard: Server-Sent Events from the monitor (/events, one snapshot per collection) drive the
 * lag charts; the lab's flow figures (/lab/flow) are read once a second while the page is visible.
 */

const FLOW_EVERY_MS = 1000;
const CLUSTER_EVERY_MS = 5000;
/** While nothing answers, retries wait twice as long each time, up to this. */
const MAX_RETRY_MS = 30_000;

const store = new Store();
let lab: LabInfo | null = null;
let errors = 0;

declare global {
  interface Window {
    __sluice: {
      store: Store;
      /** Connection state of the event stream. */
      connected: boolean;
      /** False while the monitor answers nothing (the lab stopped): the page shows it and backs off. */
      reachable: boolean;
      /** Each chart's x axis labels and their positions, as last drawn. */
      xAxes: () => { id: string; labels: string[]; positions: number[] }[];
      errors: () => number;
      series: () => { t: number[]; total: number[]; production: number[]; consumption: number[] };
    };
  }
}

window.__sluice = {
  store,
  connected: false,
  reachable: true,
  xAxes: () => charts.xAxes(),
  errors: () => errors,
  series: () => ({
    t: store.lag.map((p) => p.t),
    total: store.lag.map((p) => p.total),
    production: store.lag.map((p) => p.production),
    consumption: store.lag.map((p) => p.consumption),
  }),
};

function marks(): Marks {
  const paused: [number, number][] = [];
  let start: number | null = null;
  // A band wherever anything was paused: a consumer by hand, or partitions by the runtime's pause policy.
  for (const p of store.flow) {
    const isPaused = p.pausedConsumers > 0 || p.pausedPartitions > 0;
    if (isPaused && start === null) start = p.t;
    if (!isPaused && start !== null) {
      paused.push([start, p.t]);
      start = null;
    }
  }
  if (start !== null) paused.push([start, store.flow[store.flow.length - 1].t]);
  const alerts = (store.snapshot?.alerts.history ?? [])
    .filter((e) => e.event === 'open')
    .map((e) => ({ t: Date.parse(e.at) / 1000, severity: e.alert.severity }));
  return { paused, alerts };
}

const charts = new Charts(store, marks);
const $ = (id: string) => document.getElementById(id)!;

function renderHeader(s: Snapshot): void {
  const badge = $('badge');
  badge.dataset.status = s.lag.status;
  badge.textContent = s.lag.status.toUpperCase();
  const recs = s.recommendations.recommendations;
  const order = { critical: 0, warning: 1, info: 2 };
  const top = [...recs].sort((a, b) => order[a.severity] - order[b.severity])[0];
  const advice = $('advice');
  advice.dataset.severity = top?.severity ?? 'info';
  advice.textContent = top ? top.message : 'No recommendation yet.';
}

function kpi(label: string, value: string, hint: string, tone = ''): string {
  return `<div class="kpi ${tone}"><div class="kpi-label">${esc(label)}</div><div class="kpi-value">${esc(value)}</div><div class="kpi-hint">${esc(hint)}</div></div>`;
}

function renderKpis(s: Snapshot): void {
  const r = s.lag;
  const roc = r.rate_of_change;
  const gap = r.production_rate - r.consumption_rate;
  $('kpis').innerHTML = [
    kpi('Total lag', num(r.total_lag), `critical above ${num(s.status.thresholds.critical_lag)}`, r.status),
    kpi(
      'Lag trend',
      signedRate(roc),
      roc > 0.05 ? 'growing' : roc < -0.05 ? 'shrinking' : 'flat',
      roc > 0.05 ? 'warning' : roc < -0.05 ? 'ok' : '',
    ),
    r.total_lag === 0
      ? kpi('Time to drain', 'no backlog', 'nothing waiting to be consumed')
      : kpi(
          'Time to drain',
          r.draining ? duration(r.time_to_drain_seconds) : 'not draining',
          r.draining ? 'at the current net rate' : 'production ≥ consumption',
          r.draining ? '' : 'warning',
        ),
    kpi(
      'Lag in seconds',
      r.max_lag_seconds === null ? '–' : duration(r.max_lag_seconds),
      'oldest unconsumed order',
    ),
    kpi(
      'In → out',
      `${rate(r.production_rate)} → ${rate(r.consumption_rate)}`,
      gap > 0.05 ? `gap ${rate(gap)}` : 'keeping up',
    ),
  ].join('');
}

function renderAlerts(s: Snapshot): void {
  const items = s.alerts.history.slice(0, 8);
  $('alerts').innerHTML = items.length
    ? items
        .map(
          ({
            event,
            at,
            alert: a,
          }) => `<li class="${event} ${a.severity}"><time>${esc(new Date(at).toLocaleTimeString())}</time>
        <span class="pill ${event === 'open' ? a.severity : 'ok'}">${event === 'open' ? esc(a.severity) : 'resolved'}</span> ${esc(a.message)}</li>`,
        )
        .join('')
    : '<li class="muted">No alerts.</li>';
}

function onSnapshot(s: Snapshot): void {
  store.addSnapshot(s);
  renderHeader(s);
  renderKpis(s);
  renderAlerts(s);
  renderPath($('path'), stages(store.snapshot, store.latestFlow));
  if (!$('view-cluster').hidden) refreshGroups(store.snapshot);
  else charts.update('lag');
}

/**
 * Whether the monitor answers. When it stops (the lab was stopped), the page says so instead of showing
 * the last status as if it were current: figures greyed, badge and advice saying "unreachable", and
 * the event stream and the flow polling retried less and less often until it answers again.
 */
const reach = { ok: true, since: 0 };
/** Failed attempts in a row, per channel: each backs off on its own. */
const failures = { stream: 0, flow: 0 };

function retryDelayMs(failed: number): number {
  return Math.min(MAX_RETRY_MS, FLOW_EVERY_MS * 2 ** Math.max(0, failed - 1));
}

function setReachable(ok: boolean): void {
  if (reach.ok === ok) return;
  reach.ok = ok;
  window.__sluice.reachable = ok;
  document.body.dataset.reach = ok ? 'up' : 'down';
  const conn = $('conn');
  conn.textContent = ok ? 'live' : 'unreachable';
  conn.dataset.state = ok ? 'live' : 'down';
  if (ok) {
    if (store.snapshot) renderHeader(store.snapshot);
    return;
  }
  reach.since = Date.now();
  const badge = $('badge');
  badge.dataset.status = 'unknown';
  badge.textContent = 'UNREACHABLE';
  const advice = $('advice');
  advice.dataset.severity = 'critical';
  advice.textContent = `The lab is unreachable: its monitor has not answered since ${new Date(reach.since).toLocaleTimeString()} (is "sluice lab" still running?). The figures below are the last ones received; retrying.`;
}

let events: EventSource | null = null;

function connect(): void {
  const es = new EventSource('events');
  events = es;
  es.addEventListener('snapshot', (ev) => {
    window.__sluice.connected = true;
    failures.stream = 0;
    setReachable(true);
    $('conn').textContent = 'live';
    $('conn').dataset.state = 'live';
    onSnapshot(JSON.parse((ev as MessageEvent<string>).data) as Snapshot);
  });
  es.onerror = () => {
    // Reconnect by hand rather than at EventSource's fixed pace: with nothing answering, each attempt
    // is a failed request (and a console error), so the attempts thin out.
    window.__sluice.connected = false;
    es.close();
    if (events !== es) return;
    events = null;
    failures.stream++;
    // A stream that ends once (a proxy, a restart) is retried at once; a retry that fails too means
    // nothing answers.
    if (failures.stream >= 2) setReachable(false);
    else if (reach.ok) {
      $('conn').textContent = 'reconnecting';
      $('conn').dataset.state = 'down';
    }
    setTimeout(connect, retryDelayMs(failures.stream));
  };
}

let flowBusy = false;
async function refreshFlow(): Promise<void> {
  if (!lab || flowBusy || document.hidden) return;
  flowBusy = true;
  try {
    const f = await get<Flow>('lab/flow');
    failures.flow = 0;
    setReachable(true);
    store.addFlow(f, Date.now() / 1000);
    renderPath($('path'), stages(store.snapshot, f));
    reflectState($('controls'), f);
    reflectFailures($('dead-letters'), f);
    charts.update('flow');
  } catch (err) {
    errors++;
    if (err instanceof Unreachable) {
      failures.flow++;
      setReachable(false);
    }
  } finally {
    flowBusy = false;
  }
}

/** Polls the flow figures once a second while the monitor answers, backing off while it does not. */
function pollFlow(): void {
  void refreshFlow().finally(() =>
    setTimeout(pollFlow, failures.flow > 0 ? retryDelayMs(failures.flow) : FLOW_EVERY_MS),
  );
}

let clusterBusy = false;
async function refreshCluster(): Promise<void> {
  if (clusterBusy || $('view-cluster').hidden || document.hidden) return;
  clusterBusy = true;
  try {
    await loadCluster(store.snapshot, lab);
  } catch (err) {
    $('topics').innerHTML = `<p class="bad">Could not read the cluster: ${esc((err as Error).message)}</p>`;
  } finally {
    clusterBusy = false;
  }
}

function showTab(): void {
  const tab = location.hash === '#cluster' ? 'cluster' : 'lab';
  $('view-lab').hidden = tab !== 'lab';
  $('view-cluster').hidden = tab !== 'cluster';
  for (const a of document.querySelectorAll<HTMLElement>('.tabs a'))
    a.setAttribute('aria-selected', String(a.dataset.tab === tab));
  document.body.dataset.view = tab;
  if (tab === 'cluster') void refreshCluster();
  else charts.update('all');
}

async function main(): Promise<void> {
  window.addEventListener('hashchange', showTab);
  lab = await get<LabInfo>('lab').catch(() => null);
  renderControls($('controls'), lab, () => void refreshFlow());
  startDeadLetters($('dead-letters'), lab !== null);
  startTraces($('traces'), lab !== null);
  try {
    store.addHistory((await get<{ samples: HistoryEntry[] }>('lag/history?limit=300')).samples);
  } catch {
    // A fresh monitor has no history yet.
  }
  connect();
  showTab();
  pollFlow();
  setInterval(() => void refreshCluster(), CLUSTER_EVERY_MS);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void refreshFlow();
  });
}

void main();
