import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildRecordBatch } from '../../../src/protocol/record-batch.js';

/** A fresh temp dir; remove with `rmTemp`. */
export function tempDir(prefix = 'sluice-storage-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function rmTemp(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A batch of `count` records, values `${tag}-${i}` padded to `valueBytes`, timestamps from `ts`. */
export function batch(
  count: number,
  opts: { tag?: string; valueBytes?: number; ts?: number } = {},
): Promise<Buffer> {
  const tag = opts.tag ?? 'r';
  return buildRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({
      key: `${tag}-${i}`,
      value: `${tag}-${i}`.padEnd(opts.valueBytes ?? 0, '.'),
      timestamp: (opts.ts ?? 1_000) + i,
    })),
  });
}
