/**
 * Channel throughput beside its peers, one producer → one consumer through a bounded buffer of the
 * same size, in one run. Not part of `npm test`: run with `npm run bench:flow`.
 *
 *   npm run bench:flow                 # full run
 *   npm run bench:flow -- --quick      # fewer items, fewer repeats (a smoke run)
 *   npm run bench:flow -- --only Channel   # just the cases whose name contains "Channel"
 *
 * Each case moves N numbers and checks their sum, so nothing can be optimised away or lost.
 */
import os from 'node:os';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Effect, Fiber, Queue } from 'effect';
import PQueue from 'p-queue';
import { Channel } from '../../src/flow/index.js';

const quick = process.argv.includes('--quick');
const CAPACITY = 1024; // every peer gets the same bound on buffered items
const BATCH = 256;
const REPEATS = quick ? 2 : 7;

interface Case {
  name: string;
  /** Items per run (slow peers move fewer so the whole bench stays around a minute). */
  items: number;
  run: (n: number) => Promise<number>;
}

const expectedSum = (n: number) => (n * (n - 1)) / 2;

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

async function channelForAwait(n: number): Promise<number> {
  const ch = new Channel<number>({ capacity: CAPACITY });
  const producer = (async () => {
    for (let i = 0; i < n; i++) await ch.send(i);
    ch.close();
  })();
  let sum = 0;
  for await (const item of ch) sum += item;
  await producer;
  return sum;
}

/** The hot-loop idiom: synchronous trySend / tryReceive, awaiting only when full / empty. */
async function channelTryFirst(n: number): Promise<number> {
  const ch = new Channel<number>({ capacity: CAPACITY });
  const producer = (async () => {
    for (let i = 0; i < n; i++) if (!ch.trySend(i)) await ch.send(i);
    ch.close();
  })();
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const item = ch.tryReceive();
    sum += item !== undefined ? item : await ch.receive();
  }
  await producer;
  return sum;
}

async function channelBatched(n: number): Promise<number> {
  const ch = new Channel<number>({ capacity: CAPACITY });
  const producer = (async () => {
    for (let i = 0; i < n; ) {
      const size = Math.min(BATCH, n - i);
      const batch = new Array<number>(size);
      for (let j = 0; j < size; j++) batch[j] = i++;
      await ch.sendMany(batch);
    }
    ch.close();
  })();
  let sum = 0;
  for (let got = 0; got < n; ) {
    const batch = await ch.receiveMany(BATCH);
    for (let j = 0; j < batch.length; j++) sum += batch[j];
    got += batch.length;
  }
  await producer;
  return sum;
}

function nodeSource(n: number): Readable {
  let i = 0;
  return new Readable({
    objectMode: true,
    highWaterMark: CAPACITY / 2,
    read() {
      while (i < n) if (!this.push(i++)) return;
      this.push(null);
    },
  });
}

async function nodePipeline(n: number): Promise<number> {
  let sum = 0;
  await pipeline(
    nodeSource(n),
    new Writable({
      objectMode: true,
      highWaterMark: CAPACITY / 2,
      write(chunk: number, _enc, cb) {
        sum += chunk;
        cb();
      },
    }),
  );
  return sum;
}

async function nodePipelineWritev(n: number): Promise<number> {
  let sum = 0;
  await pipeline(
    nodeSource(n),
    new Writable({
      objectMode: true,
      highWaterMark: CAPACITY / 2,
      writev(chunks, cb) {
        for (const c of chunks) sum += c.chunk as number;
        cb();
      },
    }),
  );
  return sum;
}

async function whatwgPipeTo(n: number): Promise<number> {
  let i = 0;
  let sum = 0;
  const readable = new ReadableStream<number>(
    {
      pull(controller) {
        while ((controller.desiredSize ?? 0) > 0 && i < n) controller.enqueue(i++);
        if (i >= n) controller.close();
      },
    },
    new CountQueuingStrategy({ highWaterMark: CAPACITY / 2 }),
  );
  const writable = new WritableStream<number>(
    {
      write(chunk) {
        sum += chunk;
      },
    },
    new CountQueuingStrategy({ highWaterMark: CAPACITY / 2 }),
  );
  await readable.pipeTo(writable);
  return sum;
}

async function pQueueBounded(n: number): Promise<number> {
  const queue = new PQueue({ concurrency: 1 });
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (queue.size >= CAPACITY) await queue.onSizeLessThan(CAPACITY);
    const item = i;
    queue.add(() => {
      sum += item;
    });
  }
  await queue.onIdle();
  return sum;
}

function effectQueue(n: number): Promise<number> {
  return Effect.runPromise(
    Effect.gen(function* () {
      const queue = yield* Queue.bounded<number>(CAPACITY);
      const producer = yield* Effect.forkChild(
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) yield* Queue.offer(queue, i);
        }),
      );
      let sum = 0;
      for (let i = 0; i < n; i++) sum += yield* Queue.take(queue);
      yield* Fiber.join(producer);
      return sum;
    }),
  );
}

function effectQueueBatched(n: number): Promise<number> {
  return Effect.runPromise(
    Effect.gen(function* () {
      const queue = yield* Queue.bounded<number>(CAPACITY);
      const producer = yield* Effect.forkChild(
        Effect.gen(function* () {
          for (let i = 0; i < n; ) {
            const size = Math.min(BATCH, n - i);
            const batch = new Array<number>(size);
            for (let j = 0; j < size; j++) batch[j] = i++;
            yield* Queue.offerAll(queue, batch);
          }
        }),
      );
      let sum = 0;
      for (let got = 0; got < n; ) {
        const batch = yield* Queue.takeBetween(queue, 1, BATCH);
        for (const x of batch) sum += x;
        got += batch.length;
      }
      yield* Fiber.join(producer);
      return sum;
    }),
  );
}

const M = quick ? 0.1 : 1;
const cases: Case[] = [
  { name: 'Channel (block), item by item: send / receive', items: 2_000_000 * M, run: channelItemByItem },
  { name: 'Channel (block), item by item: send / for await', items: 2_000_000 * M, run: channelForAwait },
  {
    name: 'Channel (block), item by item: trySend / tryReceive, await only when full / empty',
    items: 5_000_000 * M,
    run: channelTryFirst,
  },
  {
    name: `Channel (block), batches of ${BATCH}: sendMany / receiveMany`,
    items: 5_000_000 * M,
    run: channelBatched,
  },
  { name: 'Node stream.pipeline, object mode (write)', items: 2_000_000 * M, run: nodePipeline },
  { name: 'Node stream.pipeline, object mode (writev)', items: 2_000_000 * M, run: nodePipelineWritev },
  { name: 'WHATWG ReadableStream.pipeTo(WritableStream)', items: 500_000 * M, run: whatwgPipeTo },
  { name: `p-queue, concurrency 1, backlog bounded at ${CAPACITY}`, items: 500_000 * M, run: pQueueBounded },
  { name: 'Effect Queue.bounded: offer / take', items: 500_000 * M, run: effectQueue },
  {
    name: `Effect Queue.bounded: offerAll / takeBetween(1, ${BATCH})`,
    items: 2_000_000 * M,
    run: effectQueueBatched,
  },
];

interface Measured {
  name: string;
  items: number;
  itemsPerSec: number;
  nsPerItem: number;
}

async function measure(c: Case): Promise<Measured> {
  const n = Math.round(c.items);
  const check = async () => {
    const sum = await c.run(n);
    if (sum !== expectedSum(n)) throw new Error(`${c.name}: wrong sum ${sum}, expected ${expectedSum(n)}`);
  };
  await check(); // warm-up (and correctness)
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    await check();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)]; // median
  return { name: c.name, items: n, itemsPerSec: (n / ms) * 1000, nsPerItem: (ms * 1e6) / n };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main() {
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined;
  const results: Measured[] = [];
  for (const c of cases) {
    if (only && !c.name.includes(only)) continue;
    process.stderr.write(`  ${c.name} ...\n`);
    results.push(await measure(c));
  }
  if (only) {
    for (const r of results)
      console.log(`${r.name}: ${fmt(r.itemsPerSec)} items/s, ${r.nsPerItem.toFixed(1)} ns/item`);
    return;
  }
  const byName = (prefix: string) => results.find((r) => r.name.startsWith(prefix))!;
  const node = byName('Node stream.pipeline, object mode (write)');
  const whatwg = byName('WHATWG');
  const batched = byName('Channel (block), batches');
  const single = byName('Channel (block), item by item: send');
  const tryFirst = byName('Channel (block), item by item: trySend');

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `Channel throughput, 1 producer → 1 consumer, buffer bound ${CAPACITY} items, median of ${REPEATS} runs` +
      ` (Node ${process.version}, ${os.cpus().length} × ${cpu})\n`,
  );
  console.log('| case | items | items/s | ns/item | × Node pipeline | × WHATWG pipeTo |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${fmt(r.items)} | ${fmt(r.itemsPerSec)} | ${r.nsPerItem.toFixed(1)} | ${(r.itemsPerSec / node.itemsPerSec).toFixed(2)} | ${(r.itemsPerSec / whatwg.itemsPerSec).toFixed(1)} |`,
    );
  }
  const goal = (label: string, ratio: number, target: number) =>
    console.log(
      `- ${label}: ${ratio.toFixed(2)}× (goal ≥ ${target}×) ${ratio >= target ? 'met' : 'NOT met'}`,
    );
  console.log('');
  goal('batched Channel vs Node object-mode pipeline', batched.itemsPerSec / node.itemsPerSec, 1);
  goal('batched Channel vs WHATWG pipeTo, item by item', batched.itemsPerSec / whatwg.itemsPerSec, 10);
  goal(
    'Channel item by item (await send / receive) vs WHATWG pipeTo',
    single.itemsPerSec / whatwg.itemsPerSec,
    10,
  );
  goal(
    'Channel item by item (trySend / tryReceive) vs Node object-mode pipeline',
    tryFirst.itemsPerSec / node.itemsPerSec,
    1,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
