import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The tracing flags refuse what they cannot use before anything starts, saying what would work. */

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['bin/sluice.js', ...args], { encoding: 'utf8', timeout: 30_000 });

describe('sluice tracing flags', () => {
  it.each([
    ['lab', '--trace-sample', '2', /--trace-sample must be a number from 0 to 1, e\.g\. 0\.01/],
    [
      'consumer',
      '--otlp-endpoint',
      'localhost:4318',
      /--otlp-endpoint wants an OTLP\/HTTP collector URL such as http:\/\/127\.0\.0\.1:4318/,
    ],
    ['producer', '--otlp-endpoint', 'ftp://x', /--otlp-endpoint wants an OTLP\/HTTP collector URL/],
  ])('sluice %s %s %s is refused', (command, flag, value, message) => {
    const r = cli([command, flag, value]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('refuses --jaeger together with --otlp-endpoint', () => {
    const r = cli(['lab', '--memory', '--jaeger', '--otlp-endpoint', 'http://127.0.0.1:4318']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/give --jaeger or --otlp-endpoint, not both/);
  });
});
