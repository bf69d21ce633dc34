import pino, { type Logger } from 'pino';

/**
 * The loggers of the commands a person runs (`sluice broker`, the lab's embedded broker): one readable
 * line per event on stderr, `12:04:05.123 WARN sluice-broker: message (key=value …)`, or pino's JSON
 * lines for a log shipper when SLUICE_LOG_FORMAT=json.
 */

const LOG_FORMAT_ENV = 'SLUICE_LOG_FORMAT';
const LOG_LEVEL_ENV = 'SLUICE_LOG_LEVEL';

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** One pino JSON record as a line a person reads; anything that is not a record passes through. */
export function humanLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, pid: _pid, hostname: _host, name, msg, err, ...fields } = record;
  const at = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const word = LEVEL_NAMES[level as number] ?? String(level);
  const parts = Object.entries(fields).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  const error = err && typeof err === 'object' ? `: ${(err as { message?: string }).message ?? ''}` : '';
  const detail = parts.length > 0 ? ` (${parts.join(' ')})` : '';
  return `${at} ${word} ${name ?? 'sluice'}: ${msg ?? ''}${error}${detail}\n`;
}

/** A logger on stderr at SLUICE_LOG_LEVEL (else `defaultLevel`), in lines unless SLUICE_LOG_FORMAT=json. */
export function createLogger(name: string, defaultLevel: string): Logger {
  const options = { name, level: process.env[LOG_LEVEL_ENV] ?? defaultLevel };
  if (process.env[LOG_FORMAT_ENV] === 'json') return pino(options, pino.destination(2));
  return pino(options, { write: (s: string) => process.stderr.write(humanLine(s)) });
}
