import { DEFAULT_GRACE_PERIOD_S } from '../options.js';

/** The bound each step of a stop may take (a flush, a final commit, a last request) within a grace period. */
export function stepTimeoutMs(gracePeriodS: number): number {
  return Math.min(5_000, Math.floor((gracePeriodS * 1000) / 4));
}

/**
 * What a command's close reports: nothing when it finished everything, `gaveUp` (one line) when a
 * step could not finish in time, `note` for a clean stop worth a remark.
 */
interface CloseOutcome {
  gaveUp?: string;
  note?: string;
}

/**
 * Runs until SIGINT/SIGTERM, then closes (`close` may resolve with a {@link CloseOutcome}) and exits:
 * 0 when the close finished everything, 1 when it gave up on something (printed as one "gave up" line). The grace period is a backstop: a close still
 * running then is abandoned with its own "gave up" line. A second signal exits at once (130).
 */
export function untilSignal(
  name: string,
  close: () => Promise<unknown>,
  gracePeriodS: number = DEFAULT_GRACE_PERIOD_S,
): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.stdout.write(`${name}: second ${signal}, exiting at once\n`);
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(
      `${name}: ${signal} received, shutting down (grace period ${gracePeriodS} s; a second signal exits at once)\n`,
    );
    // Unref'd: it bounds the stop, it must not be what keeps the process alive.
    setTimeout(() => {
      process.stdout.write(`${name}: gave up: still stopping after ${gracePeriodS} s, exiting\n`);
      process.exit(1);
    }, gracePeriodS * 1000).unref();
    close().then(
      (result) => {
        const outcome = result as CloseOutcome | undefined;
        if (outcome?.gaveUp) {
          process.stdout.write(`${name}: gave up: ${outcome.gaveUp}\n`);
          process.exit(1);
        }
        process.stdout.write(`${name}: stopped cleanly${outcome?.note ? `: ${outcome.note}` : ''}\n`);
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`${name}: error while stopping: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
