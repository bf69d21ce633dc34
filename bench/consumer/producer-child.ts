/**
 * Writes `count` records to a topic, paced at `rate` records/s (0: unpaced, which is slower with this producer).
 * Usage: producer-child.ts <bootstrap> <topic> <rate> <count>
 */
import { Producer } from '../../src/client/producer.js';

const [bootstrap, topic, rateArg, countArg] = process.argv.slice(2);
const rate = Number(rateArg);
const count = Number(countArg);
const producer = new Producer({
  brokers: [bootstrap],
  clientId: 'bench-producer',
  lingerMs: 5,
  batchBytes: 64 * 1024,
  acks: 1,
  strategy: { kind: 'block', maxBlockMs: 60_000 },
});
await producer.connect();
const payload = (i: number) =>
  JSON.stringify({
    order_id: `o-${i}`,
    customer: `c-${i % 997}`,
    amount: (i % 500) + 0.99,
    note: 'x'.repeat(120),
  });
const started = Date.now();
let sent = 0;
let inFlight: Promise<unknown>[] = [];
// At most 20 sends of at most 1000 records outstanding (~5 MB), well inside the producer's buffer.
while (sent < count) {
  const due =
    rate > 0 ? Math.min(count, Math.floor(((Date.now() - started) / 1000) * rate) + rate / 100) : count;
  while (sent < due) {
    const batch = [];
    for (const end = Math.min(due, sent + 1000); sent < end; sent++) {
      batch.push({ topic, key: `c-${sent % 997}`, value: payload(sent) });
    }
    inFlight.push(producer.send(batch));
    if (inFlight.length >= 20) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  if (rate > 0) await new Promise((r) => setTimeout(r, 10));
}
await Promise.all(inFlight);
await producer.flush();
const ms = Date.now() - started;
process.stdout.write(`${JSON.stringify({ done: sent, ms, rate: Math.round((sent * 1000) / ms) })}\n`);
await producer.close();
