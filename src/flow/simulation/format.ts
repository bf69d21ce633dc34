/** Number formatting shared by the verdict, the table and the chart. */

export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A rate or a duration, with at most one decimal and no trailing ".0". */
export function num(n: number): string {
  const r = Math.round(n * 10) / 10;
  return Number.isInteger(r)
    ? r.toLocaleString('en-US')
    : r.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

export function pct(fraction: number): string {
  const p = fraction * 100;
  return `${p >= 10 || Number.isInteger(p) ? Math.round(p) : p.toFixed(1)}%`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}
