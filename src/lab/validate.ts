/**
 * Validation at the HTTP edge of the lab services. Every refusal is a {@link BadRequest} whose message
 * says which field was wrong, what came in and what is accepted, so `curl` users see the fix in the 400.
 */

import { describeRule, meetsRule, type NumberRule, parseWholeNumber } from '../flow/validate.js';

export class BadRequest extends Error {
  override readonly name = 'BadRequest';
  readonly statusCode = 400;
}

export class LabConfigError extends Error {
  override readonly name = 'LabConfigError';
}

export interface IntRange {
  min: number;
  max: number;
}

/** How much of a bad value a message quotes: enough to recognise it, never a 200 KB field echoed whole. */
export const QUOTED_CHARS = 80;

/** `s` cut to `max` characters, saying how long it was, so a refusal stays one short line. */
export function clip(s: string, max = QUOTED_CHARS): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length.toLocaleString('en-US')} characters)`;
}

/** True when `v` nests objects/arrays no deeper than `depth`; stops early, so a 100,000-deep body is cheap. */
function shallow(v: unknown, depth: number): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (depth === 0) return false;
  for (const child of Object.values(v)) if (!shallow(child, depth - 1)) return false;
  return true;
}

/**
 * A value as a refusal quotes it. Deeply nested JSON is only described: JSON.stringify recurses, and a
 * 100,000-deep body would overflow the stack and turn a 400 into a 500.
 */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (!shallow(v, 3)) return Array.isArray(v) ? 'a deeply nested array' : 'a deeply nested object';
  return clip(JSON.stringify(v));
}

/** A JSON body that must be an object (a missing body counts as `{}`), with only the known fields. */
export function objectBody(
  body: unknown,
  known: readonly string[],
  example: string,
): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequest(`the body must be a JSON object such as ${example} (got ${show(body)})`);
  }
  const obj = body as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      throw new BadRequest(
        `unknown field ${show(key)}; accepted fields: ${known.join(', ')} (e.g. ${example})`,
      );
    }
  }
  return obj;
}

/** The sentence a refusal of a number gives: `"count" must be a whole number from 1 to 10 (got 0)`. */
function numberRefusal(name: string, v: unknown, rule: NumberRule): string {
  return `${name} ${describeRule(rule)} (got ${show(v)})`;
}

/** An integer field of a JSON body, in range; undefined when absent. */
export function intField(obj: Record<string, unknown>, name: string, range: IntRange): number | undefined {
  const v = obj[name];
  if (v === undefined) return undefined;
  const rule = { integer: true, ...range };
  if (!meetsRule(v, rule)) throw new BadRequest(numberRefusal(`"${name}"`, v, rule));
  return v;
}

export function boolField(obj: Record<string, unknown>, name: string): boolean | undefined {
  const v = obj[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new BadRequest(`"${name}" must be true or false (got ${show(v)})`);
  return v;
}

export function stringField(
  obj: Record<string, unknown>,
  name: string,
  maxLength: number,
): string | undefined {
  const v = obj[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) {
    throw new BadRequest(
      `"${name}" must be a non-empty string of at most ${maxLength} characters (got ${show(v)})`,
    );
  }
  return v;
}

export function numberField(obj: Record<string, unknown>, name: string, range: IntRange): number | undefined {
  const v = obj[name];
  if (v === undefined) return undefined;
  if (!meetsRule(v, range)) throw new BadRequest(numberRefusal(`"${name}"`, v, range));
  return v;
}

/** An integer query parameter (`?count=10`), in range; the default when absent. */
export function queryInt(query: unknown, name: string, range: IntRange, fallback?: number): number {
  const q = (query ?? {}) as Record<string, unknown>;
  const raw = q[name];
  if (raw === undefined || raw === '') {
    if (fallback === undefined)
      throw new BadRequest(`query parameter "${name}" is required, e.g. ?${name}=${range.min}`);
    return fallback;
  }
  if (Array.isArray(raw)) throw new BadRequest(`query parameter "${name}" was given more than once`);
  const rule = { integer: true, ...range };
  const n = typeof raw === 'string' ? parseWholeNumber(raw) : undefined;
  if (!meetsRule(n, rule)) throw new BadRequest(numberRefusal(`query parameter "${name}"`, raw, rule));
  return n;
}

/** Options checks for the services' config objects (start-up errors, not HTTP ones). */
export function configInt(name: string, v: unknown, range: IntRange): number {
  const rule = { integer: true, ...range };
  if (!meetsRule(v, rule)) throw new LabConfigError(numberRefusal(name, v, rule));
  return v;
}
