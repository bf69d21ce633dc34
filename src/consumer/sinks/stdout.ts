import type { Writable } from 'node:stream';
import type { ConsumerRecord, Sink } from '../types.js';

export interface StdoutSinkOptions {
  /** Where lines go (default process.stdout). */
  stream?: Writable;
  /** How a record becomes a line (default: JSON with topic, partition, offset, key and value as text). */
  format?: (record: ConsumerRecord) => string;
}

export function recordToJson(record: ConsumerRecord): Record<string, unknown> {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset.toString(),
    timestamp: record.timestamp,
    key: record.key?.toString('utf8') ?? null,
    value: record.value?.toString('utf8') ?? null,
    headers: Object.fromEntries(record.headers.map((h) => [h.key, h.value?.toString('utf8') ?? null])),
  };
}

/**
 * Writes one line per record. A write resolves only once the stream took it without asking to wait
 * (or after 'drain'), so a slow terminal or pipe slows the consumer instead of filling memory.
 */
export class StdoutSink implements Sink {
  readonly name = 'stdout';
  private readonly stream: Writable;
  private readonly format: (record: ConsumerRecord) => string;

  constructor(options: StdoutSinkOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.format = options.format ?? ((r) => JSON.stringify(recordToJson(r)));
  }

  write(record: ConsumerRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ok = this.stream.write(`${this.format(record)}\n`, (err) => {
        if (err) reject(err);
        else if (ok) resolve();
      });
      if (!ok) this.stream.once('drain', resolve);
    });
  }
}
