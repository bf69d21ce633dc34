import { setFlagsFromString } from 'node:v8';

/**
 * The V8 setting `sluice monitor` runs with. Each collection cycle allocates a few tens of MB that live
 * until the cycle ends (the cluster's answers for every partition), so with V8's defaults the young
 * generation grows to its maximum and the old generation keeps room for garbage it rarely needs:
 * about 160 MB resident at 10,000 partitions for a live heap near 20 MB. Optimising for size collects
 * sooner and keeps less room: about 95-100 MB, with warm cycles 150-220 ms against 125 ms on the 2-core
 * bench machine. docs/benchmarks.md has both, from `npm run bench:monitor`.
 */
export const SMALL_HEAP_V8_FLAGS = '--optimize-for-size';

/**
 * Applies {@link SMALL_HEAP_V8_FLAGS} to this process. For a process that runs the monitor alone,
 * before its first cycle: V8 reads these heuristics as it sizes the heap, so they hold from then on
 * for everything in the process.
 */
export function preferSmallHeap(): void {
  setFlagsFromString(SMALL_HEAP_V8_FLAGS);
}
