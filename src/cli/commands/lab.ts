import { Argument, type Command, InvalidArgumentError, Option } from 'commander';
import { TOKEN_ENV } from '../../lab/http.js';
import { DEFAULT_PORTS, Lab, MAX_CONSUMERS } from '../../lab/lab.js';
import {
  checkProducer,
  failureCause,
  type LoadProgress,
  type LoadScenario,
  runLoad,
} from '../../lab/load.js';
import { type RunningJaeger, startJaeger } from '../../tracing/jaeger.js';
import { gracePeriodOption, untilSignal } from './shutdown.js';
import { addTracingOptions, type TracingFlags, tracingFrom } from './tracing-options.js';

/** Shared by the lab's commands: numeric flags that say what was wrong. */
export function integer(label: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(
        `${label} must be a whole number from ${min} to ${max} (got "${value}")`,
      );
    }
    return Number(value);
  };
}

export function brokerList(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const b of list) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b))
      throw new InvalidArgumentError(`--brokers wants host:port[,host:port] (got "${b}")`);
  }
  if (list.length === 0) throw new InvalidArgumentError('--brokers wants at least one host:port');
  return list;
}

/**
 * A lab service's address: a URL, or host:port (http assumed), so `--url 127.0.0.1:38000` works as
 * `--url http://127.0.0.1:38000` does.
 */
export function serviceUrl(flag: string) {
  return (value: string): string => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new InvalidArgumentError(`${flag} wants http://host:port or host:port (got "${value}")`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new InvalidArgumentError(`${flag} wants an http:// or https:// address (got "${value}")`);
    return withScheme.replace(/\/+$/, '');
  };
}

export function tokenOption(): Option {
  return new Option(
    '--token <secret>',
    'bearer token required on mutating requests (needed for a non-loopback --host)',
  ).env(TOKEN_ENV);
}

interface LabFlags {
  memory?: boolean;
  dataDir?: string;
  brokers?: string[];
  host: string;
  token?: string;
  consumers: number;
  basePort?: number;
  brokerPort?: number;
  producerPort?: number;
  consumerPort?: number;
  monitorPort?: number;
  partitions: number;
  topic: string;
  group: string;
  processingTimeMs: number;
  sink: 'simulated' | 'stdout';
  monitorIntervalMs: number;
  freshnessBudgetMs?: number;
  maxLag?: number;
  monitorUrl?: string;
  gracePeriod: number;
  jaeger?: boolean;
}

export function banner(lab: Lab, jaeger: RunningJaeger | null = null): string {
  const u = lab.urls;
  const mon = u.monitor ?? '';
  const prod = u.producer ?? '';
  const cons = u.consumers[0] ?? '';
  const lines = [
    `sluice lab: ready (${lab.broker ? `embedded broker, ${lab.broker.config.durability === 'memory' ? 'in memory' : `data in ${lab.broker.config.dataDir}`}` : 'external Kafka'})`,
    '',
    `  broker        ${u.broker}`,
    `  producer      ${prod}`,
    ...u.consumers.map((c, i) => `  consumer-${i + 1}    ${c}`),
    `  lag monitor   ${mon}   (dashboard at / when built; /metrics for Prometheus)`,
    ...(jaeger
      ? [
          `  jaeger UI     ${jaeger.uiUrl}   (services sluice-producer, sluice-consumer; OTLP at ${jaeger.otlpEndpoint})`,
        ]
      : []),
    '',
    `  topic "${lab.options.topic}" (${lab.options.partitions} partitions), group "${lab.options.groupId}", ${lab.options.processingTimeMs} ms per order = ${lab.options.processingTimeMs > 0 ? Math.round((1000 / lab.options.processingTimeMs) * 100) / 100 : 'unlimited'} msg/s per consumer`,
    '',
    'Exercise 1: baseline throughput (docs/lab.md walks through all eight)',
    `  curl -s ${cons}/config | jq`,
    `  curl -s ${mon}/lag | jq`,
    `  curl -X POST ${prod}/produce/batch?count=10`,
    `  sleep 10; curl -s ${mon}/lag | jq '.total_lag'`,
    '',
    moreConsumers(lab),
    'Stop with Ctrl-C.',
  ];
  return lines.join('\n');
}

/**
 * The banner's scaling hint, with the addresses this lab really uses: `scale` reaches the monitor it
 * was started with, and a stand-alone consumer gets the next consumer port, the broker, topic and group.
 */
function moreConsumers(lab: Lab): string {
  const n = lab.consumers.length;
  const mon = lab.urls.monitor;
  const scale =
    n < MAX_CONSUMERS
      ? `sluice lab scale ${n + 1}${mon && mon !== DEFAULT_MONITOR_URL ? ` --monitor-url ${mon}` : ''}`
      : `sluice lab scale N (at most ${MAX_CONSUMERS})`;
  const port = lab.ports.consumer === 0 ? 0 : lab.ports.consumer + n;
  const o = lab.options;
  const extra = [
    o.topic !== 'orders' ? ` --topic ${o.topic}` : '',
    o.groupId !== 'order-processors' ? ` --group ${o.groupId}` : '',
    // Off the default ports the consumer cannot guess its name from its port; the lab's are consumer-N.
    lab.ports.consumer !== DEFAULT_PORTS.consumer ? ` --instance consumer-${n + 1}` : '',
  ].join('');
  return `More consumers: ${scale}   (or: sluice consumer --port ${port} --brokers ${lab.urls.broker}${extra} &)`;
}

const DEFAULT_MONITOR_URL = `http://127.0.0.1:${DEFAULT_PORTS.monitor}`;

/** Where `lab scale` finds the running lab: --monitor-url, else --monitor-port, else --base-port + 10. */
export function scaleMonitorUrl(flags: Pick<LabFlags, 'monitorUrl' | 'monitorPort' | 'basePort'>): string {
  if (flags.monitorUrl) return flags.monitorUrl;
  if (flags.monitorPort) return `http://127.0.0.1:${flags.monitorPort}`;
  if (flags.basePort !== undefined) return `http://127.0.0.1:${flags.basePort + 10}`;
  return DEFAULT_MONITOR_URL;
}

export function register(program: Command): void {
  const lab = program
    .command('lab')
    .description(
      'the consumer-lag lab in one command: embedded broker, topic "orders", producer :8000, consumer :8001, lag monitor :8010',
    )
    .argument('[action]', '"scale" to change the number of consumers of a running lab')
    .argument('[count]', 'consumers wanted (with scale)')
    .option('--memory', 'keep nothing on disk (embedded broker in memory)')
    .option('--data-dir <dir>', 'where the embedded broker keeps its logs (default ./.sluice)')
    .option(
      '--brokers <list>',
      'use a real Kafka cluster (host:port,...) instead of the embedded broker',
      brokerList,
    )
    .option('--host <addr>', 'address every service listens on', '127.0.0.1')
    .addOption(tokenOption())
    .option(
      '--consumers <n>',
      'consumer instances to start (ports 8001, 8002, ...)',
      integer('--consumers', 1, MAX_CONSUMERS),
      1,
    )
    .addOption(
      new Option('--base-port <n>', 'producer on n, consumers on n+1.., monitor on n+10')
        .argParser(integer('--base-port', 1, 65_000))
        .env('SLUICE_LAB_BASE_PORT'),
    )
    .addOption(
      new Option('--broker-port <n>', `embedded broker port (default ${DEFAULT_PORTS.broker}; 0 = any free)`)
        .argParser(integer('--broker-port', 0, 65535))
        .env('SLUICE_BROKER_PORT'),
    )
    .option('--producer-port <n>', 'producer port (0 = any free)', integer('--producer-port', 0, 65535))
    .option('--consumer-port <n>', 'first consumer port (0 = any free)', integer('--consumer-port', 0, 65535))
    .option('--monitor-port <n>', 'lag monitor port (0 = any free)', integer('--monitor-port', 0, 65535))
    .option('--partitions <n>', 'partitions of the topic', integer('--partitions', 1, 1000), 6)
    .option('--topic <name>', 'topic the orders go to', 'orders')
    .option('--group <id>', 'consumer group', 'order-processors')
    .option(
      '--processing-time-ms <n>',
      'time each consumer spends per order (500 = 2 msg/s)',
      integer('--processing-time-ms', 0, 600_000),
      500,
    )
    .addOption(
      new Option('--sink <kind>', 'where consumed orders go')
        .choices(['simulated', 'stdout'])
        .default('simulated'),
    )
    .option(
      '--monitor-interval-ms <n>',
      'how often the monitor collects lag',
      integer('--monitor-interval-ms', 50, 600_000),
      2000,
    )
    .option(
      '--freshness-budget-ms <n>',
      'turn on edge admission control: 429 once the oldest unconsumed order is older than this many ms',
      integer('--freshness-budget-ms', 1),
    )
    .option(
      '--max-lag <n>',
      'turn on edge admission control: 429 once the group lags by more than this many orders',
      integer('--max-lag', 1),
    )
    .option(
      '--monitor-url <url>',
      `with "scale": the running lab's monitor (default: from --monitor-port or --base-port, else ${DEFAULT_MONITOR_URL})`,
      serviceUrl('--monitor-url'),
    )
    .addOption(gracePeriodOption())
    .option(
      '--jaeger',
      'start a Jaeger beside the lab (UI on :16686, OTLP on :4318; any free ports with --base-port) and trace every order into it',
    );
  addTracingOptions(lab).action(
    async (action: string | undefined, count: string | undefined, flags: LabFlags & TracingFlags) => {
      if (action !== undefined) {
        if (action !== 'scale')
          throw new InvalidArgumentError(
            `unknown lab action "${action}"; did you mean "sluice lab scale 3"?`,
          );
        const n = integer('count', 1, MAX_CONSUMERS)(count ?? '');
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (flags.token) headers.authorization = `Bearer ${flags.token}`;
        const monitorUrl = scaleMonitorUrl(flags);
        const res = await fetch(`${monitorUrl}/lab/scale`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ consumers: n }),
        }).catch((err: unknown) => {
          throw new Error(
            `no lab answered at ${monitorUrl} (${failureCause(err)}); is "sluice lab" running? ` +
              'For a lab on other ports give the same --base-port (or SLUICE_LAB_BASE_PORT), or its monitor with --monitor-url http://host:port',
          );
        });
        const body = await res.text();
        if (!res.ok) throw new Error(`scale refused (${res.status}): ${body}`);
        process.stdout.write(`${body}\n`);
        return;
      }
      const base = flags.basePort;
      let jaeger: RunningJaeger | null = null;
      if (flags.jaeger) {
        if (flags.otlpEndpoint) throw new InvalidArgumentError('give --jaeger or --otlp-endpoint, not both');
        jaeger = await startJaeger(base === undefined ? { uiPort: 16686, otlpPort: 4318 } : {});
      }
      const started = Lab.start({
        brokers: flags.brokers,
        memory: flags.memory,
        dataDir: flags.dataDir,
        host: flags.host,
        token: flags.token,
        consumers: flags.consumers,
        ports: {
          broker: flags.brokerPort,
          producer: flags.producerPort ?? (base !== undefined ? base : undefined),
          consumer: flags.consumerPort ?? (base !== undefined ? base + 1 : undefined),
          monitor: flags.monitorPort ?? (base !== undefined ? base + 10 : undefined),
        },
        partitions: flags.partitions,
        topic: flags.topic,
        groupId: flags.group,
        processingTimeMs: flags.processingTimeMs,
        sink: flags.sink,
        monitorIntervalMs: flags.monitorIntervalMs,
        gracePeriodMs: flags.gracePeriod * 1000,
        admission:
          flags.freshnessBudgetMs !== undefined || flags.maxLag !== undefined
            ? { freshnessBudgetMs: flags.freshnessBudgetMs, maxLag: flags.maxLag }
            : undefined,
        tracing: tracingFrom(flags, jaeger?.otlpEndpoint ?? flags.otlpEndpoint),
      });
      const lab = await started.catch(async (err: unknown) => {
        await jaeger?.stop();
        throw err;
      });
      untilSignal(
        'sluice lab',
        async () => {
          const { gaveUp } = await lab.stop();
          await jaeger?.stop();
          if (gaveUp.length > 0) return { gaveUp: gaveUp.join('; ') };
        },
        flags.gracePeriod,
      );
      // Printed once the signal handlers are in: a script that signals on the banner is never too early.
      process.stdout.write(`${banner(lab, jaeger)}\n`);
    },
  );

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
    .action(
      async (
        scenario: LoadScenario,
        flags: {
          rate: number;
          duration: number;
          url: string;
          monitorUrl: string;
          token?: string;
          json?: boolean;
          gracePeriod: number;
        },
      ) => {
        // With --json, stdout carries the report alone (`sluice load … --json | jq .`); what a person
        // watches goes to stderr.
        const say = (line: string) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
        const lagOf = async (): Promise<string> => {
          try {
            const r = await fetch(`${flags.monitorUrl.replace(/\/$/, '')}/status`, {
              signal: AbortSignal.timeout(500),
            });
            const s = (await r.json()) as { total_lag: number; status: string };
            return ` lag=${s.total_lag} (${s.status})`;
          } catch {
            return '';
          }
        };
        await checkProducer(flags.url);
        const abort = new AbortController();
        // The first signal ends the run early and prints the report of what was sent; a second one,
        // or a run still ending after the grace period, exits at once.
        const onSignal = (signal: string) => {
          if (abort.signal.aborted) {
            say(`sluice load: second ${signal}, exiting at once`);
            process.exit(130);
          }
          abort.abort();
          setTimeout(() => {
            say(`sluice load: gave up: requests still out after ${flags.gracePeriod} s, exiting`);
            process.exit(1);
          }, flags.gracePeriod * 1000).unref();
        };
        process.on('SIGINT', () => onSignal('SIGINT'));
        process.on('SIGTERM', () => onSignal('SIGTERM'));
        say(`sluice load ${scenario}: ${flags.rate} orders/s for ${flags.duration} s against ${flags.url}`);
        const onProgress = (p: LoadProgress) => {
          void lagOf().then((lag) =>
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
        if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else
          say(
            `done: ${report.accepted} orders acknowledged of ${report.sent} sent in ${report.requests} requests; ` +
              `429s ${report.rejected_429}, errors ${report.errors}; latency p50 ${report.latency_ms.p50} ms, p99 ${report.latency_ms.p99} ms`,
          );
        if (report.error_samples.length > 0) say(`error samples:\n  ${report.error_samples.join('\n  ')}`);
        // A run stopped by a signal ends its requests itself: those are not failures of the producer.
        if (report.requests > 0 && report.errors === report.requests && !abort.signal.aborted) {
          process.stderr.write(
            `sluice load: every one of the ${report.requests} requests failed (first: ${report.error_samples[0]})\n`,
          );
          process.exitCode = 1;
        }
      },
    );
}
