import { describe, expect, it } from 'vitest';
import { chart, resample, sparkline, table } from '../../src/engine/examples/report.js';

describe('example report formatting', () => {
  it('aligns table columns under their headers', () => {
    const t = table(['a', 'long header'], [['value', 'x']]).split('\n');
    expect(t).toEqual(['a      long header', '-----  -----------', 'value  x']);
  });

  it('resamples by maximum (peaks survive) or by mean', () => {
    expect(resample([0, 10, 0, 0], 2)).toEqual([10, 0]);
    expect(resample([0, 10, 0, 0], 2, 'mean')).toEqual([5, 0]);
  });

  it('draws a sparkline scaled to its maximum and a chart with marked levels', () => {
    expect(sparkline([0, 50, 100], 100)).toBe(' ▄█');
    const rows = chart([0, 100], 100, { width: 2, height: 4, marks: { H: 60 } }).split('\n');
    expect(rows[0]).toBe('100 | █');
    expect(rows[1]).toBe('    H █');
    expect(rows[3]).toBe('  0 | █');
    expect(rows[4]).toBe('    +--');
  });
});
