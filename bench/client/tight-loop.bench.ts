/**
 * A tight `await producer.produce()` loop with a drop policy against the embedded broker: how much of
 * what the caller offered was dropped. Drops should come from a broker slower than the caller, not from
 * a caller that never lets the producer's sender run.
 *
 *   npx tsx bench/client/tight-loop.bench.ts [records=200000] [bufferBytes=262144]
 */
import { Broker } from '../../src/broker/broker.js';
import { Producer } from '../../src/client/producer.js';

const records = Number(process.argv[2] ?? 200_000);
const bufferBytes = Number(process.argv[3] ?? 256 * 1024);
const broker = new Broker({ port: 0, durability: 'memory', logLevel: 'error' });
const { port } = await broker.start();
const producer = new Producer({
  brokers: [`127.0.0.1:${port}`],
  bufferBytes,
  policy: 'drop-oldest',
  acks: 1,
});
const value = Buffer.alloc(100, 'x');
const started = performance.now();
for (let i = 0; i < records; i++) await producer.produce({ topic: 'tight', value });
await producer.flush();
const ms = performance.now() - started;
const s = producer.stats();
if (s.delivered + s.dropped !== records)
  throw new Error(`accounting: ${s.delivered} + ${s.dropped} != ${records}`);
console.log(
  `records ${records}  buffer ${bufferBytes} B  delivered ${s.delivered}  dropped ${s.dropped} ` +
    `(${((100 * s.dropped) / records).toFixed(1)}%)  ${Math.round((records / ms) * 1000)} offered/s`,
);
await producer.close();
await broker.stop();
