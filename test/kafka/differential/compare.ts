/**
 * Field-by-field comparison of two normalised transcripts, and the check of the differences found
 * against the declared intended ones (intended.ts): an undeclared difference fails, and so does a
 * declared one that no longer occurs, so the list cannot rot.
 */

export interface Difference {
  /** `<step>/<field path>`, e.g. `produce/response.responses.0.partitionResponses.0.errorCode`. */
  path: string;
  kafka: unknown;
  sluice: unknown;
}

export interface IntendedDifference {
  case: string;
  /**
   * Paths as in Difference; `*` matches within one path segment, `**` across segments. Several paths
   * when one cause shows in several steps; each must still occur, or the entry is stale.
   */
  paths: string[];
  reason: string;
}

type Normalised = Array<{ name: string; outcome: unknown }>;

export function compareTranscripts(kafka: Normalised, sluice: Normalised): Difference[] {
  const out: Difference[] = [];
  const steps = Math.max(kafka.length, sluice.length);
  for (let i = 0; i < steps; i++) {
    const k = kafka[i];
    const s = sluice[i];
    const name = k?.name ?? s?.name ?? String(i);
    if (!k || !s || k.name !== s.name) {
      out.push({ path: `${name}`, kafka: k, sluice: s });
      continue;
    }
    diffValue(k.outcome, s.outcome, name, out);
  }
  return out;
}

function diffValue(a: unknown, b: unknown, path: string, out: Difference[]): void {
  if (Object.is(a, b)) return;
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  const bothObjects = isPlainObject(a) && isPlainObject(b);
  if (bothArrays) {
    const len = Math.max(a.length, b.length);
    for (let i = 0; i < len; i++) diffValue(a[i], b[i], join(path, String(i)), out);
    return;
  }
  if (bothObjects) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) diffValue(a[k], b[k], join(path, k), out);
    return;
  }
  out.push({ path, kafka: a, sluice: b });
}

function join(path: string, key: string): string {
  return path.includes('/') ? `${path}.${key}` : `${path}/${key}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function globToRegExp(pattern: string): RegExp {
  const segment = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^./]*');
  return new RegExp(`^${pattern.split('**').map(segment).join('.*')}$`);
}

function matchesPath(pattern: string, path: string): boolean {
  return globToRegExp(pattern).test(path);
}

export function matches(entry: IntendedDifference, caseName: string, path: string): boolean {
  return entry.case === caseName && entry.paths.some((p) => matchesPath(p, path));
}

/** The differences no entry declares, and the declared paths of this case that matched nothing. */
export function checkIntended(
  caseName: string,
  diffs: Difference[],
  intended: readonly IntendedDifference[],
): { undeclared: Difference[]; stale: Array<{ path: string; reason: string }> } {
  const mine = intended.filter((e) => e.case === caseName);
  const undeclared = diffs.filter((d) => !mine.some((e) => matches(e, caseName, d.path)));
  const stale = mine.flatMap((e) =>
    e.paths
      .filter((p) => !diffs.some((d) => matchesPath(p, d.path)))
      .map((path) => ({ path, reason: e.reason })),
  );
  return { undeclared, stale };
}

/** JSON for messages: bigints as `123n`, so a reader sees the type that differs. */
export function show(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}
