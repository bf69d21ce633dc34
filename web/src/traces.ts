import { get } from './api.js';
import { esc, num } from './format.js';

/**
 * The traces panel: "where does the time go". The slowest recent orders, each a row of bars on one time
 * axis (in the broker, in flight, in the sink, backing off, dead letter), and per partition the share of
 * end-to-end time spent waiting against working. One call to the monitor, GET /lab/traces, which gathers
 * the consumers' in-memory timelines (no Jaeger needed; with --otlp-endpoint or --jaeger the trace ids are
 * the ones Jaeger shows).
 */

type Part = 'broker' | 'in flight' | 'sink' | 'backoff' | 'dead letter';

/** GET /lab/traces (src/lab/monitor-dashboard-routes.ts), the fields the panel reads. */
export interface TracesView {
  orders: number;
  slowest: {
    instance: string;
    trace_id: string | null;
    partition: number;
    offset: string;
    key: string | null;
    total_ms: number;
    waiting_ms: number;
    working_ms: number;
    attempts: number;
    outcome: string;
    bars: { part: Part; start_ms: number; duration_ms: number; attempt?: number; failed?: boolean }[];
  }[];
  partitions: {
    partition: number;
    orders: number;
    waiting_ms: number;
    working_ms: number;
    waiting_share: number | null;
  }[];
}

const EVERY_MS = 2000;
const PARTS: Part[] = ['broker', 'in flight', 'sink', 'backoff', 'dead letter'];
const partClass = (p: Part) => `tp-${p.replace(' ', '-')}`;

/** Renders the panel and reads the traces every 2 s while the lab view is visible. */
export function startTraces(el: HTMLElement, hasLab: boolean): void {
  if (!hasLab) {
    el.innerHTML = '<h2>Where does the time go?</h2><p class="muted">Needs <code>sluice lab</code>.</p>';
    return;
  }
  el.innerHTML = `
    <h2>Where does the time go? <small>the slowest recent orders, end to end</small></h2>
    <p class="tr-legend">${PARTS.map((p) => `<span class="tr-key ${partClass(p)}"></span>${p}`).join(' ')}</p>
    <div class="tr-grid">
      <div class="table-wrap"><table id="tr-slowest" class="tr-slowest"></table></div>
      <div><h3>Waiting vs working, per partition</h3><div class="table-wrap"><table id="tr-partitions" class="tr-partitions"></table></div></div>
    </div>`;
  let busy = false;
  const poll = async () => {
    if (busy || document.hidden || el.offsetParent === null) return;
    busy = true;
    try {
      renderTraces(el, await get<TracesView>('lab/traces'));
    } catch {
      // The lab's state shows elsewhere (the connection badge); the next poll tries again.
    } finally {
      busy = false;
    }
  };
  void poll();
  setInterval(() => void poll(), EVERY_MS);
}

const ms = (v: number) => (v >= 10_000 ? `${num(v / 1000, 1)} s` : `${num(Math.round(v))} ms`);

function renderTraces(el: HTMLElement, v: TracesView): void {
  el.dataset.orders = String(v.orders);
  const set = (id: string, html: string) => {
    const n = el.querySelector<HTMLElement>(id);
    if (n && n.innerHTML !== html) n.innerHTML = html;
  };
  // One time axis for every row, so the rows compare at a glance.
  const longest = Math.max(1, ...v.slowest.map((t) => t.total_ms));
  set(
    '#tr-slowest',
    v.slowest.length === 0
      ? '<tbody><tr><td class="muted">No order finished yet: produce some (Exercise 1).</td></tr></tbody>'
      : `<thead><tr><th>Order</th><th>Timeline</th><th class="n">Total</th><th class="n">Waiting</th></tr></thead><tbody>${v.slowest
          .map((t) => {
            const bars = t.bars
              .map(
                (b) =>
                  `<span class="tr-bar ${partClass(b.part)}${b.failed ? ' failed' : ''}" data-part="${b.part}" style="left:${((b.start_ms / longest) * 100).toFixed(2)}%;width:${Math.max(0.3, (b.duration_ms / longest) * 100).toFixed(2)}%" title="${esc(`${b.part}${b.attempt ? ` (attempt ${b.attempt})` : ''}: ${ms(b.duration_ms)}`)}"></span>`,
              )
              .join('');
            const share = t.total_ms > 0 ? t.waiting_ms / t.total_ms : 0;
            return `<tr data-trace="${esc(t.trace_id ?? '')}"><td><code>p${t.partition}@${esc(t.offset)}</code>${t.outcome !== 'done' ? ` <span class="pill critical">${esc(t.outcome)}</span>` : ''}<br><small class="muted">${esc(t.instance)}${t.trace_id ? ` · ${esc(t.trace_id.slice(0, 8))}` : ''}</small></td><td class="tr-track">${bars}</td><td class="n">${ms(t.total_ms)}</td><td class="n">${num(share * 100)}%</td></tr>`;
          })
          .join('')}</tbody>`,
  );
  set(
    '#tr-partitions',
    v.partitions.length === 0
      ? ''
      : `<thead><tr><th>Partition</th><th>Share of time</th><th class="n">Orders</th></tr></thead><tbody>${v.partitions
          .map((p) => {
            const waiting = (p.waiting_share ?? 0) * 100;
            return `<tr data-partition="${p.partition}" data-waiting-share="${(p.waiting_share ?? 0).toFixed(3)}"><td>${p.partition}</td><td><div class="tr-share" title="${esc(`waiting ${ms(p.waiting_ms)}, working ${ms(p.working_ms)}`)}"><span class="tr-waiting" style="width:${waiting.toFixed(1)}%"></span><span class="tr-working" style="width:${(100 - waiting).toFixed(1)}%"></span></div><small>${num(waiting)}% waiting</small></td><td class="n">${num(p.orders)}</td></tr>`;
          })
          .join('')}</tbody>`,
  );
}
