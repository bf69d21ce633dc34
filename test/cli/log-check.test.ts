import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOG_CONFIG, PartitionLog } from '../../src/broker/storage/index.js';
import { VirtualClock } from '../../src/flow/clock.js';
import { batch, rmTemp, tempDir } from '../broker/storage/helpers.js';
import { run } from '../helpers/run.js';
import { BIN, requireBuild } from '../lab/helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmTemp(d);
});

const config = { ...DEFAULT_LOG_CONFIG, durability: 'sync' as const, segmentBytes: 4000 };
const open = (dir: string) =>
  PartitionLog.open({ topic: 'orders', partition: 0, dir, config, clock: new VirtualClock(0) });

/** A data directory with one partition of 30 batches, closed cleanly. */
async function cleanDataDir(): Promise<{ root: string; segment: string }> {
  const root = tempDir('sluice-log-check-');
  dirs.push(root);
  const dir = path.join(root, 'orders-0');
  const { log } = await open(dir);
  for (let i = 0; i < 30; i++) await log.append(await batch(3, { tag: `b${i}`, valueBytes: 50 }));
  const last = log.segmentBaseOffsets().at(-1)!;
  await log.close();
  return { root, segment: path.join(dir, `${String(last).padStart(20, '0')}.log`) };
}

const check = (root: string) =>
  run(process.execPath, [BIN, 'log', 'check', root], { allowFailure: true, timeoutMs: 20_000 });

describe('sluice log check', () => {
  it('passes a sound directory and finds a byte flipped after a clean shutdown, which start-up does not', async () => {
    requireBuild();
    const { root, segment } = await cleanDataDir();
    const sound = await check(root);
    expect(sound.code, sound.stdout + sound.stderr).toBe(0);
    expect(sound.stdout).toMatch(/^ok: 1 partition\(s\), 2 segment\(s\), 30 intact batch\(es\) checked/m);

    const bytes = fs.readFileSync(segment);
    const second = 12 + bytes.readInt32BE(8);
    bytes[second + 80] ^= 0x01;
    fs.writeFileSync(segment, bytes);

    const damaged = await check(root);
    expect(damaged.code).toBe(1);
    expect(damaged.stdout).toContain(`DAMAGED ${segment}: bytes ${second}..`);
    expect(damaged.stdout).toMatch(/CRC-32C mismatch/);
    expect(damaged.stdout).toMatch(/^DAMAGE FOUND: .*29 intact batch\(es\)/m);
    expect(damaged.stdout).toMatch(/what to do: /);

    // As docs/operations.md says: after a clean shutdown the broker trusts its indexes and checks no CRC.
    const { log, recovery } = await open(path.join(root, 'orders-0'));
    expect(recovery).toMatchObject({ cleanShutdown: true, damaged: [], segmentsScanned: 0 });
    await log.close();
  });

  it('names a data directory it cannot read', async () => {
    requireBuild();
    const r = await check('/nonexistent/sluice-data');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read the data directory \/nonexistent\/sluice-data: ENOENT/);
  });
});
