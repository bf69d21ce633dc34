/** Numbers in words a person reads at a glance. */

export function num(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function rate(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  return `${num(n, Math.abs(n) < 10 ? 1 : 0)}/s`;
}

export function signedRate(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  return `${n > 0 ? '+' : ''}${rate(n)}`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function msAsWords(ms: string | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const v = Number(ms);
  if (!Number.isFinite(v) || v < 0) return 'forever';
  if (v % 86_400_000 === 0) return `${v / 86_400_000} d`;
  if (v % 3_600_000 === 0) return `${v / 3_600_000} h`;
  return duration(v / 1000);
}

/** Escapes text for innerHTML templates. */
export function esc(s: unknown): string {
  return String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
