import { spawn } from 'node:child_process';
import { Admin } from '/work/wt/client/src/client/admin.js';
import { ConsumerClient } from '/work/wt/client/src/client/consumer-client.js';
import { Producer } from '/work/wt/client/src/client/producer.js';

const child = spawn(process.execPath, ['--import', 'tsx', '/work/wt/client/bench/client/broker-child.ts'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port: number = await new Promise((r) =>
  child.stdout.once('data', (d: Buffer) => r(JSON.parse(d.toString()).port)),
);
const bootstrap = `127.0.0.1:${port}`;
const admin = new Admin({ brokers: [bootstrap] });
await admin.createTopics([{ topic: 'p', numPartitions: 1 }]);
const producer = new Producer({ brokers: [bootstrap], lingerMs: 0, batchBytes: 1 << 20 });
const value = Buffer.alloc(100, 120);
const messages = Array.from({ length: 100 }, () => ({ topic: 'p', partition: 0, value }));
const total = 200000;
for (let s = 0; s < total; s += 100) await producer.send(messages);
await producer.close();
for (let round = 0; round < 3; round++) {
  const consumer = new ConsumerClient({ brokers: [bootstrap] });
  consumer.assign([{ topic: 'p', partition: 0, offset: 0n }]);
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  let seen = 0;
  while (seen < total) {
    const got = await consumer.poll({ maxBytes: 4 << 20, maxWaitMs: 100 });
    for (const p of got) seen += p.records.length;
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(
    'wall',
    Math.round(performance.now() - t),
    'cpu',
    Math.round((cpu.user + cpu.system) / 1000),
    Math.round((total / (performance.now() - t)) * 1000),
    'rec/s',
  );
  consumer.close();
}
admin.close();
child.kill();
