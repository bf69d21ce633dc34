import { get, HttpError, post, setToken } from './api.js';
import { esc, num } from './format.js';
import type { Flow } from './types.js';

/**
 * The dead-letters panel: the lab topic's dead letters (count and rate by reason, the latest with their
 * error), a replay button, and the failure control (kind, rate, a poison order, the fix). Everything is
 * one call to the monitor (GET /lab/dead-letters, POST /lab/dead-letters/replay, /lab/consumers/config,
 * /lab/producer/produce), so each button is a curl in docs/lab.md; POSTs carry the lab's token.
 */

/** GET /lab/dead-letters (src/lab/monitor-dashboard-routes.ts), the fields the panel reads. */
export interface DeadLettersView {
  topic: string | null;
  count: number;
  pending: number;
  replayed: number;
  by_reason: Record<string, number>;
  latest: {
    partition: number;
    offset: string;
    timestamp: number;
    reason: string;
    error: string;
    attempts: number | null;
    source: { topic: string; partition: number; offset: string } | null;
    replayed: boolean;
  }[];
}

interface ReplayAnswer {
  replayed: number;
  already_replayed: number;
  unroutable: number;
}

const RATES = [0, 0.1, 0.25, 0.5];
const EVERY_MS = 2000;
/** Rates by reason are counted over this window of polls. */
const RATE_WINDOW_MS = 60_000;

const samples: { t: number; byReason: Record<string, number> }[] = [];

/** Dead letters per minute by reason, over the polls of the last minute. */
function ratesPerMinute(): Record<string, number> {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.t <= first.t) return {};
  const minutes = (last.t - first.t) / 60_000;
  const out: Record<string, number> = {};
  for (const [reason, n] of Object.entries(last.byReason)) {
    out[reason] = Math.max(0, n - (first.byReason[reason] ?? 0)) / minutes;
  }
  return out;
}

/** Renders the panel and reads the dead letters every 2 s while the lab view is visible. */
export function startDeadLetters(el: HTMLElement, hasLab: boolean): void {
  renderDeadLetters(el, hasLab);
  if (!hasLab) return;
  let busy = false;
  const poll = async () => {
    // The panel is hidden with the lab view (the cluster tab) and with the page.
    if (busy || document.hidden || el.offsetParent === null) return;
    busy = true;
    try {
      await refreshDeadLetters(el);
    } catch {
      // The lab's state shows elsewhere (the connection badge); the next poll tries again.
    } finally {
      busy = false;
    }
  };
  void poll();
  setInterval(() => void poll(), EVERY_MS);
}

function renderDeadLetters(el: HTMLElement, hasLab: boolean): void {
  if (!hasLab) {
    el.innerHTML = `<h2>Dead letters</h2><p class="muted">Needs <code>sluice lab</code>: <code>sluice dlq list --brokers …</code> shows them for any cluster.</p>`;
    return;
  }
  el.innerHTML = `
    <h2>Dead letters <small id="dl-topic">orders the consumer gave up on after its retry budget</small></h2>
    <div class="dl-grid">
      <div>
        <p id="dl-summary" class="dl-summary">…</p>
        <div class="table-wrap"><table id="dl-reasons"></table></div>
        <div class="row dl-actions">
          <button data-dl="replay" class="ok">Replay pending</button>
        </div>
      </div>
      <div class="dl-failures">
        <h3>Failures <small id="dl-failure-state"></small></h3>
        <div class="row seg" id="dl-kinds">
          <button data-dl="kind" data-kind="transient">transient</button>
          <button data-dl="kind" data-kind="poison">poison</button>
        </div>
        <div class="row seg" id="dl-rates">
          ${RATES.map((r) => `<button data-dl="rate" data-rate="${r}">${r * 100}%</button>`).join('')}
        </div>
        <div class="row">
          <button data-dl="poison-order" class="hot">Send a poison order</button>
          <button data-dl="fix" class="ok">Fix the bug</button>
        </div>
      </div>
    </div>
    <h3>Latest</h3>
    <div class="table-wrap"><table id="dl-latest"></table></div>
    <p id="dl-result" class="ctl-result muted" role="status" aria-live="polite"></p>`;

  const result = el.querySelector<HTMLElement>('#dl-result')!;
  const say = (text: string, bad = false) => {
    result.textContent = text;
    result.classList.toggle('bad', bad);
  };
  el.addEventListener('click', async (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-dl]');
    if (!b) return;
    const action = b.dataset.dl!;
    b.disabled = true;
    try {
      switch (action) {
        case 'replay': {
          const r = await post<ReplayAnswer>('lab/dead-letters/replay', {});
          say(
            `${r.replayed} replayed to the source topic, ${r.already_replayed} already replayed before${r.unroutable ? `, ${r.unroutable} without a source` : ''}.`,
          );
          break;
        }
        case 'kind':
          await post('lab/consumers/config', { failure: b.dataset.kind });
          say(`Failures are now ${b.dataset.kind}.`);
          break;
        case 'rate': {
          const rate = Number(b.dataset.rate);
          await post('lab/consumers/config', { failure_rate: rate });
          say(
            rate > 0
              ? `${rate * 100}% failing: watch consumption fall and lag rise.`
              : 'No injected failures.',
          );
          break;
        }
        case 'poison-order':
          await post('lab/producer/produce', { poison: true });
          say('Poison order sent: it fails every attempt, then lands in the dead-letter topic.');
          break;
        case 'fix':
          await post('lab/consumers/config', { failure_rate: 0, poison_fixed: true });
          say('Bug fixed: no injected failures, poison orders now succeed. Replay what was dead-lettered.');
          break;
      }
      await refreshDeadLetters(el);
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) {
        const t = prompt('This lab needs its token (sluice lab --token …) for controls:');
        if (t) setToken(t);
        say('Token set; press the button again.', true);
      } else {
        say(`${action} failed: ${(err as Error).message}`, true);
      }
    } finally {
      b.disabled = false;
    }
  });
}

async function refreshDeadLetters(el: HTMLElement): Promise<void> {
  const v = await get<DeadLettersView>('lab/dead-letters');
  const now = Date.now();
  samples.push({ t: now, byReason: v.by_reason });
  while (samples.length > 2 && now - samples[0].t > RATE_WINDOW_MS) samples.shift();
  const rates = ratesPerMinute();
  el.dataset.count = String(v.count);
  el.dataset.pending = String(v.pending);
  el.dataset.replayed = String(v.replayed);
  const set = (id: string, html: string) => {
    const n = el.querySelector<HTMLElement>(id);
    if (n && n.innerHTML !== html) n.innerHTML = html;
  };
  if (v.topic) set('#dl-topic', `${esc(v.topic)} · orders the consumer gave up on after its retry budget`);
  set(
    '#dl-summary',
    v.count === 0
      ? 'No dead letters.'
      : `<b>${num(v.count)}</b> dead letters · <b>${num(v.pending)}</b> pending · ${num(v.replayed)} replayed`,
  );
  const reasons = Object.entries(v.by_reason).sort((a, b) => b[1] - a[1]);
  set(
    '#dl-reasons',
    reasons.length === 0
      ? ''
      : `<thead><tr><th>Reason</th><th class="n">Count</th><th class="n">Rate</th></tr></thead><tbody>${reasons
          .map(
            ([r, n]) =>
              `<tr data-reason="${esc(r)}"><td><span class="pill critical">${esc(r)}</span></td><td class="n">${num(n)}</td><td class="n">${num(rates[r] ?? 0, 1)}/min</td></tr>`,
          )
          .join('')}</tbody>`,
  );
  set(
    '#dl-latest',
    v.latest.length === 0
      ? '<tbody><tr><td class="muted">Nothing dead-lettered yet.</td></tr></tbody>'
      : `<thead><tr><th>Time</th><th>Reason</th><th>From</th><th class="n">Attempts</th><th>Error</th><th></th></tr></thead><tbody>${v.latest
          .map(
            (d) =>
              `<tr data-offset="${esc(d.offset)}"><td>${esc(new Date(d.timestamp).toLocaleTimeString())}</td><td>${esc(d.reason)}</td><td><code>${d.source ? esc(`${d.source.topic}/${d.source.partition}@${d.source.offset}`) : '?'}</code></td><td class="n">${d.attempts ?? '?'}</td><td class="dl-error">${esc(d.error)}</td><td>${d.replayed ? '<span class="pill ok">replayed</span>' : ''}</td></tr>`,
          )
          .join('')}</tbody>`,
  );
  const replay = el.querySelector<HTMLButtonElement>('[data-dl="replay"]');
  if (replay) replay.textContent = v.pending > 0 ? `Replay ${num(v.pending)} pending` : 'Replay pending';
}

/** Marks the consumers' current failure settings (from the lab's flow figures). */
export function reflectFailures(el: HTMLElement, flow: Flow | null): void {
  const cs = flow?.consumers.map((c) => c.stats).filter((s) => s !== null) ?? [];
  if (cs.length === 0) return;
  const kinds = new Set(cs.map((c) => c.failure));
  const rates = new Set(cs.map((c) => c.failure_rate));
  for (const b of el.querySelectorAll<HTMLButtonElement>('#dl-kinds button'))
    b.classList.toggle('on', kinds.size === 1 && kinds.has(b.dataset.kind as 'transient' | 'poison'));
  for (const b of el.querySelectorAll<HTMLButtonElement>('#dl-rates button'))
    b.classList.toggle('on', rates.size === 1 && rates.has(Number(b.dataset.rate)));
  el.querySelector('[data-dl="fix"]')?.classList.toggle(
    'on',
    cs.every((c) => c.poison_fixed),
  );
  const c = cs[0];
  const state =
    c.failure_rate > 0
      ? `${c.failure_rate * 100}% ${c.failure} · expect ${num(c.expected_messages_per_second ?? 0, 1)}/s of ${num(c.max_messages_per_second ?? 0, 1)}/s`
      : c.poison_fixed
        ? 'none · poison orders handled'
        : 'none';
  const s = el.querySelector<HTMLElement>('#dl-failure-state');
  if (s && s.textContent !== state) s.textContent = state;
}
