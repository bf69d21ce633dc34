import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { FlowPoint, Store } from './store.js';

/** The lab's charts over uPlot: small, canvas-drawn, cheap to update every couple of seconds. */

const PALETTE = [
  '#60a5fa',
  '#f472b6',
  '#a78bfa',
  '#fbbf24',
  '#34d399',
  '#fb923c',
  '#22d3ee',
  '#e879f9',
  '#a3e635',
  '#f87171',
];
export const COLORS = {
  total: '#38bdf8',
  production: '#fb923c',
  consumption: '#4ade80',
  gap: 'rgba(248,113,113,0.18)',
  roc: '#f87171',
  drain: '#a78bfa',
  seconds: '#fbbf24',
  inFlight: '#38bdf8',
  credits: '#4ade80',
  sink: '#f472b6',
  paused: 'rgba(251,191,36,0.13)',
  alert: '#f87171',
  warning: '#fbbf24',
};

const css = getComputedStyle(document.documentElement);
const AXIS = css.getPropertyValue('--muted').trim() || '#94a3b8';
const GRID = css.getPropertyValue('--grid').trim() || 'rgba(148,163,184,0.12)';

function axes(right?: { scale: string; label: string; fmt: (v: number) => string }): uPlot.Axis[] {
  const base = {
    stroke: AXIS,
    grid: { stroke: GRID, width: 1 },
    ticks: { stroke: GRID, width: 1 },
    font: '11px system-ui, sans-serif',
  };
  const out: uPlot.Axis[] = [
    {
      ...base,
      // Clock times only, at least 80 px apart: uPlot's default puts a date under some ticks, and its
      // labels collide on a narrow chart ("12/3/26 2:57pm2:58pm").
      space: 80,
      values: (u, splits) => {
        const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
        const labels = splits.map((v) => clockTime(v, span));
        xLabels.set(u, { labels, positions: splits.map((v) => u.valToPos(v, 'x')) });
        return labels;
      },
    },
    { ...base, size: 52, values: (_u, vals) => vals.map((v) => compact(v)) },
  ];
  if (right) {
    out.push({
      ...base,
      scale: right.scale,
      side: 1,
      size: 52,
      grid: { show: false },
      values: (_u, vals) => vals.map((v) => (v === null ? '' : right.fmt(v))),
    });
  }
  return out;
}

/** The x axis labels each chart drew last, with their positions (px), for tests that check they fit. */
export const xLabels = new WeakMap<uPlot, { labels: string[]; positions: number[] }>();

/** 14:58:10, or 14:58 over a window of more than an hour (24-hour clock, the browser's time zone). */
function clockTime(unixSeconds: number, spanSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return spanSeconds > 3600 ? hm : `${hm}:${two(d.getSeconds())}`;
}

/**
 * A time scale over the data (or what `range` makes of it), a minute wide around a lone point, and the
 * last minute while there is nothing to show yet: uPlot's default for an empty time axis is 1970..2020.
 */
function timeScale(
  range?: (min: number | null, max: number | null) => [number | null, number | null],
): uPlot.Scale {
  const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
  return {
    time: true,
    range: (_u, min, max) => {
      const [a, b] = range ? range(finite(min), finite(max)) : [finite(min), finite(max)];
      if (a === null || b === null) {
        const now = Date.now() / 1000;
        return [now - 60, now];
      }
      return a === b ? [a - 30, b + 30] : [a, b];
    },
  };
}

function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

export interface Marks {
  /** [start, end] unix seconds while some consumer was paused. */
  paused: [number, number][];
  alerts: { t: number; severity: 'warning' | 'critical' }[];
}

/** Shaded bands where consumers were paused, vertical lines where alerts opened. */
function marksPlugin(marks: () => Marks): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u: uPlot) => {
        const { ctx } = u;
        const { top, height } = u.bbox;
        ctx.save();
        ctx.fillStyle = COLORS.paused;
        for (const [a, b] of marks().paused) {
          const x0 = Math.max(u.bbox.left, u.valToPos(a, 'x', true));
          const x1 = Math.min(u.bbox.left + u.bbox.width, u.valToPos(b, 'x', true));
          if (x1 > x0) ctx.fillRect(x0, top, x1 - x0, height);
        }
        ctx.restore();
      },
      draw: (u: uPlot) => {
        const { ctx } = u;
        const { top, height } = u.bbox;
        ctx.save();
        ctx.lineWidth = 1.5 * devicePixelRatio;
        ctx.globalAlpha = 0.75;
        ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
        for (const a of marks().alerts) {
          const x = u.valToPos(a.t, 'x', true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.strokeStyle = a.severity === 'critical' ? COLORS.alert : COLORS.warning;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
        }
        ctx.restore();
      },
    },
  };
}

const HEIGHT = 190;

interface Chart {
  el: HTMLElement;
  plot: uPlot | null;
  signature: string;
  sig: () => string;
  build(): uPlot.Options;
  data(): uPlot.AlignedData;
}

export class Charts {
  private readonly charts: Chart[] = [];
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor(
    store: Store,
    private readonly marks: () => Marks,
  ) {
    const s = store;
    const lagX = () => s.lag.map((p) => p.t);
    const flowX = () => s.flow.map((p) => p.t);
    const cursor = { sync: { key: 'sluice' }, drag: { x: false, y: false } };
    const legend = { live: true };
    const common = { cursor, legend, height: HEIGHT };

    this.add(
      'chart-lag',
      () => s.partitionKeys().join(','),
      () => ({
        ...common,
        width: 400,
        plugins: [marksPlugin(this.marks)],
        scales: { x: timeScale(), y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
        axes: axes(),
        series: [
          {},
          {
            label: 'total',
            stroke: COLORS.total,
            width: 2.5,
            fill: 'rgba(56,189,248,0.12)',
            points: { show: false },
          },
          ...s.partitionKeys().map((k, i) => ({
            label: k,
            stroke: PALETTE[i % PALETTE.length],
            width: 1,
            points: { show: false },
          })),
        ],
      }),
      () => [
        lagX(),
        s.lag.map((p) => p.total),
        ...s.partitionKeys().map((k) => s.lag.map((p) => p.partitions[k] ?? null)),
      ],
    );

    this.add(
      'chart-rates',
      () => '',
      () => ({
        ...common,
        width: 400,
        scales: { x: timeScale(), y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
        axes: axes(),
        series: [
          {},
          { label: 'production', stroke: COLORS.production, width: 2, points: { show: false } },
          { label: 'consumption', stroke: COLORS.consumption, width: 2, points: { show: false } },
        ],
        bands: [{ series: [1, 2], fill: COLORS.gap }],
      }),
      () => [lagX(), s.lag.map((p) => round(p.production)), s.lag.map((p) => round(p.consumption))],
    );

    this.add(
      'chart-roc',
      () => '',
      () => ({
        ...common,
        width: 400,
        scales: { x: timeScale(), drain: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
        axes: axes({ scale: 'drain', label: 'time to drain', fmt: (v) => `${compact(v)}s` }),
        series: [
          {},
          {
            label: 'lag change/s',
            stroke: COLORS.roc,
            width: 2,
            fill: 'rgba(248,113,113,0.12)',
            points: { show: false },
          },
          {
            label: 'time to drain (s)',
            stroke: COLORS.drain,
            width: 1.5,
            dash: [6, 4],
            scale: 'drain',
            points: { show: false },
          },
        ],
      }),
      () => [lagX(), s.lag.map((p) => round(p.rateOfChange)), s.lag.map((p) => p.timeToDrain)],
    );

    this.add(
      'chart-seconds',
      () => '',
      () => ({
        ...common,
        width: 400,
        scales: { x: timeScale(), y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
        axes: axes(),
        series: [
          {},
          {
            label: 'oldest unconsumed (s)',
            stroke: COLORS.seconds,
            width: 2,
            fill: 'rgba(251,191,36,0.12)',
            points: { show: false },
          },
        ],
      }),
      () => [lagX(), s.lag.map((p) => p.lagSeconds)],
    );

    this.add(
      'chart-inflight',
      () => '',
      () => ({
        ...common,
        width: 400,
        plugins: [marksPlugin(this.marks)],
        scales: {
          // Same window as the lag charts, so the cursor lines up; the page's own flow samples start when it opened.
          x: timeScale((min, max) => {
            const first = s.lag[0]?.t ?? null;
            const last = s.lag[s.lag.length - 1]?.t ?? null;
            return [
              min === null ? first : Math.min(min, first ?? min),
              max === null ? last : Math.max(max, last ?? max),
            ];
          }),
          y: { range: (_u, _min, max) => [0, Math.max(5, max * 1.15)] },
        },
        axes: axes(),
        series: [
          {},
          {
            label: 'in flight',
            stroke: COLORS.inFlight,
            width: 2,
            fill: 'rgba(56,189,248,0.15)',
            points: { show: false },
          },
          { label: 'credits free', stroke: COLORS.credits, width: 1.5, points: { show: false } },
          { label: 'in the sink', stroke: COLORS.sink, width: 1.5, points: { show: false } },
        ],
      }),
      () => [
        flowX(),
        s.flow.map((p: FlowPoint) => p.inFlight),
        s.flow.map((p) => p.creditsFree),
        s.flow.map((p) => p.sinkActive),
      ],
    );
  }

  private add(
    id: string,
    signature: () => string,
    build: () => uPlot.Options,
    data: () => uPlot.AlignedData,
  ): void {
    const el = document.getElementById(id);
    if (!el) return;
    const chart: Chart = { el, plot: null, signature: '', sig: signature, build, data };
    this.charts.push(chart);
    this.resize.observe(el);
  }

  /** Redraws every chart from the store; a chart whose series set changed (new partitions) is rebuilt. */
  update(which: 'lag' | 'flow' | 'all' = 'all'): void {
    for (const c of this.charts) {
      const isFlow = c.el.id === 'chart-inflight';
      if (which === 'lag' && isFlow && c.plot) continue;
      if (which === 'flow' && !isFlow && c.plot) {
        // Flow updates only move the paused bands on the lag chart.
        if (c.el.id === 'chart-lag') c.plot.redraw(false, false);
        continue;
      }
      const sig = c.sig();
      if (!c.plot || sig !== c.signature) {
        c.plot?.destroy();
        const opts = c.build();
        opts.width = this.widthOf(c.el);
        c.plot = new uPlot(opts, c.data(), c.el);
        c.signature = sig;
      } else {
        c.plot.setData(c.data());
      }
      showLatest(c.plot);
    }
  }

  /** Each drawn chart's x axis labels and their positions (see {@link xLabels}). */
  xAxes(): { id: string; labels: string[]; positions: number[] }[] {
    return this.charts.flatMap((c) => {
      const drawn = c.plot ? xLabels.get(c.plot) : undefined;
      return drawn ? [{ id: c.el.id, ...drawn }] : [];
    });
  }

  private widthOf(el: HTMLElement): number {
    return Math.max(240, Math.floor(el.clientWidth));
  }

  private fit(): void {
    for (const c of this.charts) {
      if (!c.plot) continue;
      const w = this.widthOf(c.el);
      if (Math.abs(c.plot.width - w) > 2) c.plot.setSize({ width: w, height: HEIGHT });
    }
  }
}

/** Without a cursor over the chart, the legend shows the newest values instead of dashes. */
function showLatest(u: uPlot): void {
  const n = u.data[0].length;
  if (n > 0 && (u.cursor.left ?? -1) < 0) u.setLegend({ idx: n - 1 });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
