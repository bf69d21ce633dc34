import { type Clock, realClock } from '../../flow/clock.js';
import type { ConsumerRecord, Sink, SinkContext } from '../types.js';
import { recordToJson } from './stdout.js';

export interface HttpSinkOptions {
  /** Where each record is POSTed. Only loopback or hosts you own: the sink sends what it consumes. */
  url: string;
  method?: 'POST' | 'PUT';
  headers?: Record<string, string>;
  /** Request body for a record (default: JSON with topic, partition, offset, key, value, headers). */
  body?: (record: ConsumerRecord) => string;
  /** A request slower than this fails (and is retried) (default 10 s). */
  timeoutMs?: number;
  clock?: Clock;
}

/** An HTTP error the runtime should not retry: the receiver refused the record itself. */
export class HttpSinkError extends Error {
  override readonly name = 'HttpSinkError';
  constructor(
    message: string,
    readonly status: number,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

/**
 * Sends each record as one HTTP request. 2xx is success; 408, 429 and 5xx are retriable (the receiver
 * is overloaded or down: backoff, and the runtime's pause policy can react to the error rate); other
 * 4xx are permanent and the record goes to the dead-letter topic without further retries.
 */
export class HttpSink implements Sink {
  readonly name = 'http';
  private readonly options: HttpSinkOptions;

  constructor(options: HttpSinkOptions) {
    try {
      const u = new URL(options.url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new TypeError(
        `http sink: url must be an absolute http(s) URL, got ${JSON.stringify(options.url)}`,
      );
    }
    this.options = options;
  }

  async write(record: ConsumerRecord, context: SinkContext): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const timeout = new AbortController();
    const timer = (this.options.clock ?? realClock).setTimeout(
      () => timeout.abort(new Error(`http sink: no answer from ${this.options.url} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.options.url, {
        method: this.options.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...this.options.headers },
        body: this.options.body ? this.options.body(record) : JSON.stringify(recordToJson(record)),
        signal: AbortSignal.any([timeout.signal, context.signal]),
      });
      // Read the body so the connection is reused.
      text = await res.text();
    } finally {
      timer.cancel();
    }
    if (res.ok) return;
    const retriable = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new HttpSinkError(
      `http sink: ${this.options.url} answered ${res.status} for ${record.topic}/${record.partition}@${record.offset}: ${text.slice(0, 200)}`,
      res.status,
      retriable,
    );
  }
}
