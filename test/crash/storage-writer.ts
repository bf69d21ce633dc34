/**
 * Child process for the storage crash tests: opens the storage in `dataDir`, prints its recovery
 * report, then appends forever with several appends in flight, printing one line per append whose
 * promise resolved ("ack <baseOffset> <lastOffset> <firstValue>"). The parent SIGKILLs it.
 * stdout on a pipe is synchronous on Linux, so an ack line printed is an ack the parent sees.
 */
import { LogManager } from '../../src/broker/storage/index.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';

const [dataDir, durability, round] = process.argv.slice(2);
const manager = await LogManager.open({
  dataDir,
  durability: durability as 'sync' | 'async',
  defaults: { 'segment.bytes': 64 * 1024, 'sluice.flush.interval.ms': 50 },
});
if (!manager.hasTopic('crash')) await manager.createTopic('crash', 1);
process.stdout.write(
  `recovery ${JSON.stringify(manager.recovery, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}\n`,
);
const log = manager.requireLog('crash', 0);

let seq = 0;
async function appender(lane: number): Promise<void> {
  for (;;) {
    const n = 1 + ((seq + lane) % 5);
    const values = Array.from({ length: n }, () => `r${round}-${seq++}`);
    const batch = await buildRecordBatch({
      records: values.map((v) => ({ key: String(lane), value: v.padEnd(100, '.'), timestamp: Date.now() })),
    });
    const r = await log.append(batch);
    process.stdout.write(`ack ${r.baseOffset} ${r.lastOffset} ${values.join(',')}\n`);
  }
}
for (let lane = 0; lane < 8; lane++) void appender(lane);
