import { bytes, esc, num, rate } from './format.js';
import type { Flow, Snapshot } from './types.js';

/**
 * The lesson's question in one picture: producer buffer -> broker log -> consumer in-flight -> sink,
 * each with its current size, the biggest one highlighted, and a sentence saying whether that is a
 * good place for the backlog to be (the durable log) or a bad one (process memory).
 */

export interface Stage {
  id: 'producer' | 'broker' | 'consumer' | 'sink';
  title: string;
  size: number;
  unit: string;
  detail: string;
  durable: boolean;
}

export function stages(snapshot: Snapshot | null, flow: Flow | null): Stage[] {
  const lag = snapshot?.lag;
  const p = flow?.producer?.stats;
  const consumers = (flow?.consumers ?? []).map((c) => c.stats).filter((s) => s !== null);
  const inFlight = consumers.reduce((s, c) => s + c.in_flight, 0);
  const maxInFlight = consumers.reduce((s, c) => s + c.max_in_flight, 0);
  const sinkActive = consumers.reduce((s, c) => s + (c.sink_active ?? 0), 0);
  const sinkRate = consumers.reduce((s, c) => s + c.rate, 0);
  const paused = consumers.filter((c) => c.paused).length;
  const partitions = lag?.partitions.length ?? 0;
  return [
    {
      id: 'producer',
      title: 'Producer buffer',
      size: p?.buffer.buffered_records ?? 0,
      unit: 'orders',
      detail: p
        ? `${bytes(p.buffer.buffered_bytes)} of ${bytes(p.buffer.capacity_bytes)}${p.buffer.waiting_senders ? ` · ${p.buffer.waiting_senders} waiting` : ''}${p.rejected_total ? ` · ${num(p.rejected_total)} refused (429)` : ''}`
        : 'no producer in this lab',
      durable: false,
    },
    {
      id: 'broker',
      title: 'Broker log (lag)',
      size: lag?.total_lag ?? 0,
      unit: 'orders',
      detail: `${partitions} partitions · in ${rate(lag?.production_rate)} · out ${rate(lag?.consumption_rate)}`,
      durable: true,
    },
    {
      id: 'consumer',
      title: 'Consumer in-flight',
      size: inFlight,
      unit: 'orders',
      detail: consumers.length
        ? `bounded at ${num(maxInFlight)} · ${consumers.length} consumer${consumers.length > 1 ? 's' : ''}${paused ? ` · ${paused} paused` : ''}`
        : 'no consumer stats',
      durable: false,
    },
    {
      id: 'sink',
      title: 'Sink',
      size: sinkActive,
      unit: 'writing',
      detail: `${rate(sinkRate)} written${consumers[0] ? ` · ${consumers[0].processing_time_ms} ms each` : ''}`,
      durable: true,
    },
  ];
}

export function verdict(all: Stage[]): string {
  const waiting = all.filter((s) => s.id !== 'sink');
  const total = waiting.reduce((s, x) => s + x.size, 0);
  if (total === 0) return 'Nothing is waiting: every order produced has been written.';
  const top = waiting.reduce((a, b) => (b.size > a.size ? b : a));
  const share = Math.round((top.size / total) * 100);
  if (top.id === 'broker')
    return `${share}% of the waiting work is in the broker log: durable, replayable, bounded memory. That is where a backlog should live.`;
  if (top.id === 'producer')
    return `${share}% of the waiting work is in the producer's memory buffer: it is not safe yet. The broker is the bottleneck.`;
  return `${share}% of the waiting work is held in consumer memory: fetched but not written yet.`;
}

export function renderPath(el: HTMLElement, all: Stage[]): void {
  const max = Math.max(1, ...all.map((s) => s.size));
  const waiting = all.filter((s) => s.id !== 'sink');
  const top = waiting.reduce((a, b) => (b.size > a.size ? b : a));
  const html = all
    .map((s, i) => {
      const level = s.size === 0 ? 0 : Math.max(0.04, Math.log10(s.size + 1) / Math.log10(max + 1));
      const hot = s.size > 0 && s === top;
      const arrow = i < all.length - 1 ? '<div class="arrow" aria-hidden="true"></div>' : '';
      return `<div class="stage${hot ? ' hot' : ''}${s.durable ? ' durable' : ''}" data-stage="${s.id}" data-size="${s.size}">
        <div class="tank"><div class="level" style="height:${(level * 100).toFixed(1)}%"></div></div>
        <div class="stage-text"><div class="stage-title">${esc(s.title)}</div>
        <div class="stage-size">${num(s.size)} <small>${esc(s.unit)}</small></div>
        <div class="stage-detail">${esc(s.detail)}</div></div>
      </div>${arrow}`;
    })
    .join('');
  el.innerHTML = `<div class="stages">${html}</div><p class="verdict">${esc(verdict(all))}</p>`;
}
