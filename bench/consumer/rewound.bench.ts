/**
 * How much the consumer runtime fetches and hands back ("rewound") for what it consumes, in the issue's
 * setting: 4 partitions, 5,000 records, a 5 ms sink, maxInFlight 100, on the embedded broker. Prints, at
 * 1.5 s and at the end, consumed, rewound and their ratio, and when each partition got its first record.
 * It first checks that the sink saw every record exactly once.
 *
 *   npx tsx bench/consumer/rewound.bench.ts [--min-fetch-records 1] [--max-in-flight 100] [--records 5000]
 */
import { parseArgs } from 'node:util';
import { Broker } from '../../src/broker/broker.js';
import { Admin } from '../../src/client/admin.js';
import { Producer } from '../../src/client/producer.js';
import { createKafkaConsumer } from '../../src/consumer/create.js';

const { values: args } = parseArgs({
  options: {
    'min-fetch-records': { type: 'string', default: '1' },
    records: { type: 'string', default: '5000' },
    'max-in-flight': { type: 'string', default: '100' },
  },
});
const RECORDS = Number(args.records);
const PARTITIONS = 4;
const broker = new Broker({ port: 0, durability: 'memory', logLevel: 'error' });
const { port } = await broker.start();
const brokers = [`127.0.0.1:${port}`];
const admin = new Admin({ brokers });
await admin.createTopics([{ topic: 'rw', numPartitions: PARTITIONS }]);
await admin.close();
const producer = new Producer({ brokers });
for (let i = 0; i < RECORDS; i++) {
  await producer.produce({ topic: 'rw', partition: i % PARTITIONS, value: Buffer.alloc(100, 'x') });
}
await producer.flush();
await producer.close();

const started = performance.now();
const firstAt = new Map<number, number>();
const written = new Set<string>();
let writes = 0;
const runtime = createKafkaConsumer({
  brokers,
  groupId: 'rw',
  topics: ['rw'],
  autoOffsetReset: 'earliest',
  maxInFlight: Number(args['max-in-flight']),
  minFetchRecords: Number(args['min-fetch-records']),
  deadLetter: false,
  sink: {
    name: 'slow',
    async write(record) {
      if (!firstAt.has(record.partition)) firstAt.set(record.partition, performance.now() - started);
      writes++;
      written.add(`${record.partition}:${record.offset}`);
      await new Promise((r) => setTimeout(r, 5));
    },
  },
});
await runtime.start();
const line = (label: string) => {
  const s = runtime.stats();
  return `${label}: consumed ${s.consumed}, rewound ${s.rewound} (${(s.rewound / Math.max(1, s.consumed)).toFixed(2)}x consumed), fetches ${s.fetches}`;
};
await new Promise((r) => setTimeout(r, 1500));
console.log(line('at 1.5 s'));
while (runtime.stats().consumed < RECORDS) await new Promise((r) => setTimeout(r, 20));
if (written.size !== RECORDS || writes !== RECORDS) {
  throw new Error(
    `the sink wrote ${writes} records, ${written.size} distinct, expected ${RECORDS} once each`,
  );
}
console.log(line(`all ${RECORDS} in ${Math.round(performance.now() - started)} ms`));
console.log(
  `first record per partition (ms): ${[...Array(PARTITIONS).keys()].map((p) => `${p}:${Math.round(firstAt.get(p) ?? -1)}`).join(' ')}`,
);
await runtime.stop();
await broker.stop();
