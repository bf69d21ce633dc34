import { Channel } from '../../src/flow/channel.js';

const CAPACITY = 1024;
async function channelItemByItem(n: number): Promise<number> {
  const ch = new Channel<number>({ capacity: CAPACITY });
  const producer = (async () => {
    for (let i = 0; i < n; i++) await ch.send(i);
    ch.close();
  })();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await ch.receive();
  await producer;
  return sum;
}
for (let r = 0; r < 6; r++) {
  const t = performance.now();
  await channelItemByItem(2_000_000);
  console.log((((performance.now() - t) * 1e6) / 2e6).toFixed(1));
}
