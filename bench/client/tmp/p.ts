import { spawn } from 'node:child_process';
import { Admin } from '/work/wt/client/src/client/admin.js';
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
const batch = Number(process.argv[2] ?? 100);
const messages = Array.from({ length: batch }, () => ({ topic: 'p', partition: 0, value }));
await producer.send(messages);
const total = batch === 1 ? 3000 : 400000;
const cpu0 = process.cpuUsage();
const t = performance.now();
for (let s = 0; s < total; s += batch) await producer.send(messages);
const cpu = process.cpuUsage(cpu0);
console.log(
  'wall',
  Math.round(performance.now() - t),
  'cpu',
  Math.round((cpu.user + cpu.system) / 1000),
  producer.stats().requests,
  batch,
  Math.round((total / (performance.now() - t)) * 1000),
  'rec/s',
);
await producer.close();
admin.close();
child.kill();
