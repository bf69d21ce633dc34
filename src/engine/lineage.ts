import type { Receipt } from './types.js';

/**
 * Everything in flight that came from one source item: the item itself and whatever operators emitted
 * from it (and from those, downstream). The engine holds one reference per copy queued or being
 * processed; when the last one is released, every result was written by a sink or dropped/sampled out on
 * purpose, and the source's receipt is settled (a Kafka source then may commit the record's offset).
 *
 * An operator that keeps an input in its own state and emits later for a different input (a window, a
 * join across items) hands its result the lineage of the item it emitted from; see docs/engine.md.
 */
export class Lineage {
  private open = 1;

  constructor(private readonly receipt: Receipt) {}

  /** Another copy went into a queue. */
  hold(): void {
    this.open++;
  }

  /** A copy was processed (its outputs, if any, already queued) or written. */
  release(): void {
    if (--this.open === 0) this.receipt.settle();
  }
}
