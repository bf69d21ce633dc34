/**
 * The one number validator. Every option, config field, CLI flag and HTTP parameter that takes a number
 * is checked here, so a bad value is described the same way everywhere ("retries must be a whole number
 * from 0 to 10 (got -1)"); each caller wraps the sentence in its own error class and may add what to do.
 */

export interface NumberRule {
  /** Whole numbers only. */
  integer?: boolean;
  /** Smallest value allowed (inclusive). */
  min?: number;
  /** Largest value allowed (inclusive). */
  max?: number;
  /** Above 0 (for durations and rates where 0 means nothing sensible). */
  positive?: boolean;
  /** `Infinity` is allowed ("no limit"). */
  allowInfinity?: boolean;
}

/** "must be a whole number from 1 to 9", "must be a number above 0", …: what `rule` asks for. */
export function describeRule(rule: NumberRule): string {
  const kind = rule.integer ? 'a whole number' : 'a number';
  const min = rule.min ?? Number.NEGATIVE_INFINITY;
  const max = rule.max ?? Number.POSITIVE_INFINITY;
  if (rule.positive)
    return Number.isFinite(max) ? `must be ${kind} above 0, at most ${max}` : `must be ${kind} above 0`;
  if (Number.isFinite(min) && Number.isFinite(max)) return `must be ${kind} from ${min} to ${max}`;
  if (Number.isFinite(min)) return `must be ${kind} >= ${min}`;
  if (Number.isFinite(max)) return `must be ${kind} <= ${max}`;
  return `must be ${kind}`;
}

/** Whether `value` is a number that satisfies `rule`. */
export function meetsRule(value: unknown, rule: NumberRule): value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) return false;
  if (value === Number.POSITIVE_INFINITY && rule.allowInfinity) return true;
  if (!Number.isFinite(value)) return false;
  if (rule.integer && !Number.isInteger(value)) return false;
  if (rule.positive && value <= 0) return false;
  return value >= (rule.min ?? Number.NEGATIVE_INFINITY) && value <= (rule.max ?? Number.POSITIVE_INFINITY);
}

/** `${what} must be … (got …)`, the sentence every validator throws. */
export function numberMessage(what: string, value: unknown, rule: NumberRule): string {
  const got =
    typeof value === 'string'
      ? JSON.stringify(value)
      : typeof value === 'number'
        ? String(value)
        : (JSON.stringify(value) ?? String(value));
  return `${what} ${describeRule(rule)} (got ${got})`;
}

/**
 * Returns `value` when it meets `rule`; otherwise throws `toError(sentence)` (a RangeError unless the
 * caller names its own error, which may append what to do).
 */
export function checkNumber(
  what: string,
  value: unknown,
  rule: NumberRule,
  toError: (message: string) => Error = (message) => new RangeError(message),
): number {
  if (!meetsRule(value, rule)) throw toError(numberMessage(what, value, rule));
  return value;
}

/**
 * A whole number written as text (a CLI flag, a query parameter) checked against `rule`; `undefined`
 * when the text is not a whole number at all, so the caller's message can quote what was typed.
 */
export function parseWholeNumber(text: string): number | undefined {
  return /^-?\d+$/.test(text.trim()) ? Number(text) : undefined;
}
