import type { Clock } from '../flow/clock.js';
import type { AlertEvent } from './alerts.js';

/**
 * POSTs each alert event as JSON to a URL, retrying with doubling back-off on network errors and
 * 5xx/429 answers. Events are sent one at a time in order, so a receiver sees open before close.
 * Failures are counted and kept, never thrown into the collection loop.
 */

const NO_RETRY = ' (not retried: the receiver refused the request)';

export interface WebhookStats {
  sent: number;
  failed: number;
  retries: number;
  lastError: string | null;
}

export class WebhookNotifier {
  private queue: Promise<void> = Promise.resolve();
  readonly stats: WebhookStats = { sent: 0, failed: 0, retries: 0, lastError: null };

  constructor(
    private readonly clock: Clock,
    private readonly options: { url: string; attempts: number; backoffMs: number; timeoutMs: number },
  ) {}

  notify(event: AlertEvent): Promise<void> {
    this.queue = this.queue.then(() => this.deliver(event));
    return this.queue;
  }

  /** Resolves when every event handed over so far was delivered or given up on. */
  idle(): Promise<void> {
    return this.queue;
  }

  private async deliver(event: AlertEvent): Promise<void> {
    const body = JSON.stringify({ source: 'sluice-monitor', ...event });
    for (let attempt = 1; attempt <= this.options.attempts; attempt++) {
      const error = await this.post(body);
      if (error === null) {
        this.stats.sent++;
        return;
      }
      this.stats.lastError = error;
      if (error.endsWith(NO_RETRY)) break;
      if (attempt < this.options.attempts) {
        this.stats.retries++;
        await this.clock.sleep(this.options.backoffMs * 2 ** (attempt - 1));
      }
    }
    this.stats.failed++;
  }

  /** null on success, else why not. */
  private async post(body: string): Promise<string | null> {
    const controller = new AbortController();
    const timer = this.clock.setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      const res = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: controller.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return null;
      const error = `webhook ${this.options.url} answered ${res.status}`;
      // 4xx other than 429 will not get better by retrying; say so and stop.
      if (res.status < 500 && res.status !== 429) return `${error}${NO_RETRY}`;
      return error;
    } catch (err) {
      return `webhook ${this.options.url}: ${(err as Error).message}`;
    } finally {
      timer.cancel();
    }
  }
}
