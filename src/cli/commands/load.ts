import { Argument, type Command } from 'commander';
import {
  checkProducer,
  type LoadProgress,
  type LoadReport,
  type LoadScenario,
  runLoad,
} from '../../lab/load.js';
import { gracePeriodOption, integer, serviceUrl, tokenOption } from '../options.js';

interface LoadFlags {
  rate: number;
  duration: number;
  url: string;
  monitorUrl: string;
  token?: string;
  json?: boolean;
  gracePeriod: number;
}

/** `sluice load`: the lab's k6 exercise against the producer service, with a progress line every second. */
export function register(program: Command): void {
  program
    .command('load')
    .description(
      "the lab's k6 exercise: steady or burst load on the producer API, with progress every second",
    )
    .addArgument(new Argument('<scenario>', 'steady | burst').choices(['steady', 'burst']))
    .option(
      '--rate <n>',
      'orders per second (burst: the base rate; the middle half sends 10x)',
      integer('--rate', 1, 1_000_000),
      20,
    )
    .option('--duration <s>', 'seconds to run', integer('--duration', 1, 86_400), 30)
    .option(
      '--url <url>',
      'producer service (URL or host:port)',
      serviceUrl('--url'),
      'http://127.0.0.1:8000',
    )
    .option(
      '--monitor-url <url>',
      'lag monitor to show lag beside the progress (URL or host:port)',
      serviceUrl('--monitor-url'),
      'http://127.0.0.1:8010',
    )
    .addOption(tokenOption())
    .option('--json', 'print the final report as JSON on stdout (progress goes to stderr)')
    .addOption(gracePeriodOption())
    .action(runLoadCommand);
}

async function runLoadCommand(scenario: LoadScenario, flags: LoadFlags): Promise<void> {
  // With --json, stdout carries the report alone (`sluice load … --json | jq .`); what a person
  // watches goes to stderr.
  const say = (line: string) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
  await checkProducer(flags.url);
  const abort = stopOnSignals(flags.gracePeriod, say);
  say(`sluice load ${scenario}: ${flags.rate} orders/s for ${flags.duration} s against ${flags.url}`);
  const onProgress = (p: LoadProgress) => {
    void lagOf(flags.monitorUrl).then((lag) =>
      say(
        `t=${Math.round(p.elapsed_ms / 1000)}s target=${p.target_rate}/s acked=${p.accepted} (${p.rate}/s) 429=${p.rejected_429} errors=${p.errors} behind=${p.behind}${lag}`,
      ),
    );
  };
  const report = await runLoad({
    url: flags.url,
    scenario,
    rate: flags.rate,
    durationMs: flags.duration * 1000,
    token: flags.token,
    onProgress,
    signal: abort.signal,
  });
  printReport(report, flags.json === true, say);
  // A run stopped by a signal ends its requests itself: those are not failures of the producer.
  if (report.requests > 0 && report.errors === report.requests && !abort.signal.aborted) {
    process.stderr.write(
      `sluice load: every one of the ${report.requests} requests failed (first: ${report.error_samples[0]})\n`,
    );
    process.exitCode = 1;
  }
}

/** The monitor's total lag and status for the progress line, or nothing when it does not answer. */
async function lagOf(monitorUrl: string): Promise<string> {
  try {
    const r = await fetch(`${monitorUrl.replace(/\/$/, '')}/status`, { signal: AbortSignal.timeout(500) });
    const s = (await r.json()) as { total_lag: number; status: string };
    return ` lag=${s.total_lag} (${s.status})`;
  } catch {
    return '';
  }
}

/**
 * The first signal ends the run early and prints the report of what was sent; a second one, or a run
 * still ending after the grace period, exits at once.
 */
function stopOnSignals(gracePeriodS: number, say: (line: string) => void): AbortController {
  const abort = new AbortController();
  const onSignal = (signal: string) => {
    if (abort.signal.aborted) {
      say(`sluice load: second ${signal}, exiting at once`);
      process.exit(130);
    }
    abort.abort();
    setTimeout(() => {
      say(`sluice load: gave up: requests still out after ${gracePeriodS} s, exiting`);
      process.exit(1);
    }, gracePeriodS * 1000).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  return abort;
}

function printReport(report: LoadReport, json: boolean, say: (line: string) => void): void {
  if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else
    say(
      `done: ${report.accepted} orders acknowledged of ${report.sent} sent in ${report.requests} requests; ` +
        `429s ${report.rejected_429}, errors ${report.errors}; latency p50 ${report.latency_ms.p50} ms, p99 ${report.latency_ms.p99} ms`,
    );
  if (report.error_samples.length > 0) say(`error samples:\n  ${report.error_samples.join('\n  ')}`);
}
