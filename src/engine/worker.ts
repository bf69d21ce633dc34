import { Worker } from 'node:worker_threads';
import type { OperatorSpec, Processor, QueueSpec } from './types.js';

export interface WorkerOperatorOptions<I, O> {
  /**
   * A self-contained function run in the worker thread: it sees only its argument (no closure, no
   * imports), because its source text is what crosses the thread boundary. Return `undefined` to emit
   * nothing. Give `fn` or `module`.
   */
  fn?: (item: I) => O | undefined;
  /** An ES module (file URL or path) whose export `exportName` (default `default`) is the function. */
  module?: string | URL;
  exportName?: string;
  parallelism?: number;
  /** Items in flight per worker: more hides the message-passing latency. Default 4. */
  concurrency?: number;
  queue?: QueueSpec;
}

const PRELUDE = `
const { parentPort, workerData } = require('node:worker_threads');
// Bundlers (esbuild keepNames) wrap named functions in __name(); make it harmless here.
var __name = (f) => f;
let ready;
if (workerData.source) {
  const fn = (0, eval)('(' + workerData.source + ')');
  ready = Promise.resolve(fn);
} else {
  ready = import(workerData.module).then((m) => {
    const fn = m[workerData.exportName];
    if (typeof fn !== 'function') throw new Error('module ' + workerData.module + ' has no function export ' + workerData.exportName);
    return fn;
  });
}
parentPort.on('message', async (msg) => {
  try {
    const fn = await ready;
    const value = await fn(msg.item);
    parentPort.postMessage({ id: msg.id, value });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
`;

/**
 * An operator whose work runs in a worker thread per instance, for CPU-heavy processing that would
 * otherwise stall the event loop every other instance runs on. Each instance owns one worker and keeps
 * up to `concurrency` items in flight to it; the instance counts as busy while it waits for results.
 */
export function workerOperator<I, O>(options: WorkerOperatorOptions<I, O>): OperatorSpec<I, O> {
  if (!options.fn === !options.module) {
    throw new Error('workerOperator: give exactly one of `fn` (a self-contained function) or `module`');
  }
  const workerData = options.fn
    ? { source: options.fn.toString() }
    : {
        module: options.module instanceof URL ? options.module.href : String(options.module),
        exportName: options.exportName ?? 'default',
      };
  return {
    parallelism: options.parallelism,
    concurrency: options.concurrency ?? 4,
    queue: options.queue,
    create: (info): Processor<I, O> => {
      const worker = new Worker(PRELUDE, { eval: true, workerData });
      const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
      let nextId = 0;
      let failure: Error | undefined;
      worker.on('message', (msg: { id: number; value?: unknown; error?: string }) => {
        const w = waiting.get(msg.id);
        if (!w) return;
        waiting.delete(msg.id);
        if (msg.error !== undefined) w.reject(new Error(`worker of ${info.id}: ${msg.error}`));
        else w.resolve(msg.value);
      });
      const failAll = (err: Error) => {
        failure = err;
        for (const w of waiting.values()) w.reject(err);
        waiting.clear();
      };
      worker.on('error', (err) => failAll(err));
      worker.on('exit', (code) => {
        if (code !== 0) failAll(new Error(`worker of ${info.id} exited with code ${code}`));
      });
      return {
        process: async (item, ctx) => {
          if (failure) throw failure;
          const id = nextId++;
          const value = await new Promise((resolve, reject) => {
            waiting.set(id, { resolve, reject });
            worker.postMessage({ id, item });
          });
          if (value !== undefined) ctx.emit(value as O);
        },
        close: async () => {
          await worker.terminate();
        },
      };
    },
  };
}
