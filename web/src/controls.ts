import { HttpError, post, setToken, Unreachable } from './api.js';
import { esc, rate } from './format.js';
import type { Flow, LabInfo } from './types.js';

/**
 * Buttons over the lab's own APIs, forwarded by the monitor (/lab/producer/*, /lab/consumers/*,
 * /lab/scale), so every control here is one curl in docs/lab.md.
 */

const PROCESSING_TIMES = [10, 50, 100, 500, 2000];

export function renderControls(el: HTMLElement, lab: LabInfo | null, onDone: () => void): void {
  if (!lab) {
    el.innerHTML = `<h2>Controls</h2><p class="muted">This monitor runs without a lab (<code>sluice monitor</code>): the charts work, the controls need <code>sluice lab</code>.</p>`;
    return;
  }
  el.innerHTML = `
    <h2>Controls</h2>
    <div class="ctl-group">
      <h3>Consumers <small id="ctl-consumer-state"></small></h3>
      <div class="row">
        <button data-action="pause" class="warn">Pause</button>
        <button data-action="resume" class="ok">Resume</button>
      </div>
      <label>Processing time per order (ms)</label>
      <div class="row seg" id="ctl-times">
        ${PROCESSING_TIMES.map((t) => `<button data-action="time" data-ms="${t}">${t}</button>`).join('')}
      </div>
      <label>Instances in the group</label>
      <div class="row seg" id="ctl-scale">
        ${[1, 2, 3].map((n) => `<button data-action="scale" data-n="${n}">${n}</button>`).join('')}
      </div>
    </div>
    <div class="ctl-group">
      <h3>Producer <small id="ctl-producer-state"></small></h3>
      <label for="ctl-rate">Rate (orders/s)</label>
      <div class="row">
        <input id="ctl-rate" type="number" min="1" max="10000" value="20" inputmode="numeric" />
        <button data-action="start" class="ok">Start</button>
        <button data-action="stop">Stop</button>
      </div>
      <label for="ctl-burst">Burst (orders, 5 ms apart)</label>
      <div class="row">
        <input id="ctl-burst" type="number" min="1" max="100000" value="500" inputmode="numeric" />
        <button data-action="burst" class="hot">Burst</button>
      </div>
    </div>
    <p id="ctl-result" class="ctl-result muted" role="status" aria-live="polite"></p>
    <p class="muted small">Topic <b>${esc(lab.topic)}</b> · ${lab.partitions} partitions · group <b>${esc(lab.group)}</b> · ${lab.embedded_broker ? `embedded broker (${esc(lab.storage)})` : 'external Kafka'}</p>`;

  const result = el.querySelector<HTMLElement>('#ctl-result')!;
  const say = (text: string, bad = false) => {
    result.textContent = text;
    result.classList.toggle('bad', bad);
  };
  const rateInput = el.querySelector<HTMLInputElement>('#ctl-rate')!;
  const burstInput = el.querySelector<HTMLInputElement>('#ctl-burst')!;
  // A field the user has typed into keeps their value until it is sent; otherwise it follows the lab.
  for (const input of [rateInput, burstInput])
    input.addEventListener('input', () => {
      input.dataset.edited = 'true';
    });
  el.addEventListener('click', async (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
    if (!b) return;
    const action = b.dataset.action!;
    b.disabled = true;
    try {
      switch (action) {
        case 'pause':
        case 'resume':
          await post(`lab/consumers/${action}`);
          say(action === 'pause' ? 'Consumers paused: lag now stays in the broker.' : 'Consumers resumed.');
          break;
        case 'time': {
          const ms = Number(b.dataset.ms);
          await post('lab/consumers/config', { processing_time_ms: ms });
          say(`Processing time ${ms} ms: ${ms > 0 ? rate(1000 / ms) : 'unlimited'} per consumer.`);
          break;
        }
        case 'scale': {
          const n = Number(b.dataset.n);
          say(`Scaling the group to ${n}…`);
          await post('lab/scale', { consumers: n });
          say(`${n} consumer${n > 1 ? 's' : ''} in the group (the partitions rebalance).`);
          break;
        }
        case 'start': {
          const r = wholeNumber(rateInput, 'The rate');
          if (typeof r === 'string') return say(r, true);
          const body = { ...producerConfigFor(r), running: true };
          await post('lab/producer/config', body);
          delete rateInput.dataset.edited;
          say(`Producer running at ${rate((body.batch_size * 1000) / body.rate_ms)}.`);
          break;
        }
        case 'stop':
          await post('lab/producer/stop');
          say('Producer stopped.');
          break;
        case 'burst': {
          const count = wholeNumber(burstInput, 'A burst');
          if (typeof count === 'string') return say(count, true);
          say(`Burst of ${count} orders…`);
          const r = await post<{ produced?: number; duration_ms?: number }>('lab/producer/burst', {
            count,
            delay_ms: 5,
          });
          say(`Burst: ${r.produced ?? count} orders acknowledged in ${r.duration_ms ?? '?'} ms.`);
          break;
        }
      }
      onDone();
    } catch (err) {
      if (err instanceof Unreachable) {
        say(`${action}: not sent, ${err.message}.`, true);
      } else if (err instanceof HttpError && err.status === 401) {
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

/**
 * A field's value as a whole number within its own min and max, or the sentence refusing it: the page
 * sends nothing it would have to round, replace or clamp.
 */
function wholeNumber(input: HTMLInputElement, what: string): number | string {
  const raw = input.value.trim();
  const min = Number(input.min);
  const max = Number(input.max);
  const value = Number(raw);
  if (/^\d+$/.test(raw) && value >= min && value <= max) return value;
  const got = raw === '' ? 'nothing, or not a number' : raw;
  return `${what} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')} (got ${got}); nothing was sent.`;
}

/**
 * The producer's period and batch for `perSecond` orders/s: ten ticks a second at most (a batch each),
 * one order per tick below 10/s. ceil keeps the batch whole; the period absorbs the rest of the rate.
 */
export function producerConfigFor(perSecond: number): { rate_ms: number; batch_size: number } {
  const batch = Math.ceil(perSecond / 10);
  return { rate_ms: Math.round((1000 * batch) / perSecond), batch_size: batch };
}

/** Marks the current choices (running, paused, processing time, instances) from the latest figures. */
export function reflectState(el: HTMLElement, flow: Flow | null): void {
  if (!flow) return;
  const cs = flow.consumers.map((c) => c.stats).filter((s) => s !== null);
  const paused = cs.filter((c) => c.paused).length;
  const times = new Set(cs.map((c) => c.processing_time_ms));
  const setText = (id: string, text: string) => {
    const n = el.querySelector<HTMLElement>(id);
    if (n && n.textContent !== text) n.textContent = text;
  };
  setText('#ctl-consumer-state', `${cs.length - paused} running${paused ? `, ${paused} paused` : ''}`);
  for (const b of el.querySelectorAll<HTMLButtonElement>('#ctl-times button')) {
    b.classList.toggle('on', times.size === 1 && times.has(Number(b.dataset.ms)));
  }
  for (const b of el.querySelectorAll<HTMLButtonElement>('#ctl-scale button')) {
    b.classList.toggle('on', Number(b.dataset.n) === flow.consumers.length);
  }
  el.querySelector('[data-action="pause"]')?.classList.toggle('on', cs.length > 0 && paused === cs.length);
  const p = flow.producer;
  if (p?.config) {
    const r = (p.config.batch_size * 1000) / p.config.rate_ms;
    setText('#ctl-producer-state', p.config.running ? `running at ${rate(r)}` : 'stopped');
    // The rate field shows the rate the producer is set to, unless someone is typing a new one.
    const input = el.querySelector<HTMLInputElement>('#ctl-rate');
    const shown = String(Math.round(r));
    if (input && !input.dataset.edited && document.activeElement !== input && input.value !== shown)
      input.value = shown;
    el.querySelector('[data-action="start"]')?.classList.toggle('on', p.config.running);
  }
}
