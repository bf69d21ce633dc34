import type { Command } from 'commander';
import { realClock } from '../../flow/clock.js';
import { LagMonitor } from '../../monitor/monitor.js';
import type { LagReport } from '../../monitor/reports.js';
import { type ClientSecurityFlags, clientSecurity, clientSecurityOptions, integer } from '../options.js';

interface LagFlags extends ClientSecurityFlags {
  brokers: string;
  samples: number;
  interval: number;
  group?: string[];
  criticalLag: number;
  warningRate: number;
  json: boolean;
}

/**
 * `sluice lag`: samples a cluster's consumer lag a few times and prints, per group, lag in records
 * and seconds, trend, status and advice (the one-shot view of the lag monitor; the lab's :8010
 * service runs it continuously).
 */
export function register(program: Command): void {
  const command = program
    .command('lag')
    .description('consumer lag of every group: records, seconds, trend, status and advice')
    .option('--brokers <list>', 'bootstrap brokers, comma-separated host:port', '127.0.0.1:9092')
    .option('--samples <n>', 'collection cycles (trends need at least 2)', integer('--samples', 1), 3)
    .option('--interval <ms>', 'time between cycles', integer('--interval', 1), 1000)
    .option('--group <regex...>', 'only groups matching (repeatable)')
    .option(
      '--critical-lag <n>',
      'group lag above which status is critical',
      integer('--critical-lag', 1),
      500,
    )
    .option(
      '--warning-rate <n>',
      'lag growth per second above which status is a warning',
      integer('--warning-rate', 1),
      10,
    )
    .option('--json', 'print the lag report and recommendations as JSON', false)
    .addHelpText(
      'after',
      '\nExit status: 0 when every group is ok or warning, 2 when any group is critical (for scripts and\n' +
        'health checks), 1 on an error (no broker reachable, no group matching --group).',
    )
    .action(async (flags: LagFlags) => {
      const security = clientSecurity(flags);
      const monitor = new LagMonitor({
        security,
        brokers: flags.brokers
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        intervalMs: flags.interval,
        minSamples: Math.min(5, Math.max(2, flags.samples)),
        includeGroups: flags.group,
        thresholds: { criticalLag: flags.criticalLag, warningRate: flags.warningRate },
      });
      try {
        let report: LagReport | undefined;
        for (let i = 0; i < flags.samples; i++) {
          if (i > 0) await realClock.sleep(flags.interval);
          report = await monitor.collect();
        }
        const r = report as LagReport;
        if (flags.group && r.groups.length === 0) {
          // An empty table would read as "no lag"; a filter that matched nothing is a mistake to say.
          // On a secured cluster ListGroups leaves out the groups the principal may not describe (as
          // Kafka does), so an ACL that is missing looks just like a group that is not there.
          const user = security?.sasl ? ` user "${security.sasl.username}"` : ' this client';
          const acl =
            security?.sasl || security?.tls?.certFile
              ? `, or${user} may not DESCRIBE it (check the ACLs)`
              : '';
          throw new Error(
            `no consumer group matches --group ${flags.group.join(' ')} (regular expressions)${acl}; run without --group to see every group`,
          );
        }
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({ lag: r, recommendations: monitor.recommendations().recommendations }, null, 2)}\n`,
          );
        } else {
          process.stdout.write(render(r, monitor.recommendations().recommendations));
        }
        process.exitCode = r.status_code === 2 ? 2 : 0;
      } finally {
        await monitor.stop();
      }
    });
  for (const o of clientSecurityOptions()) command.addOption(o);
}

function render(r: LagReport, advice: { group: string; severity: string; message: string }[]): string {
  const rows = [['group', 'state', 'consumers', 'lag', 'lag s', 'rate/s', 'drain s', 'status', 'window']];
  for (const g of r.groups) {
    rows.push([
      g.group,
      g.state,
      String(g.consumers),
      String(g.total_lag),
      g.max_lag_seconds === null ? (g.total_lag === 0 ? '0' : '?') : g.max_lag_seconds.toFixed(1),
      g.rate_of_change.toFixed(1),
      g.time_to_drain_seconds === null ? '-' : g.time_to_drain_seconds.toFixed(0),
      g.status,
      g.window_status,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd(),
  );
  const out = [
    `total lag ${r.total_lag}, status ${r.status}, rate ${r.rate_of_change}/s (${r.groups.length} groups, ${r.partitions.length} partitions)`,
    '',
    ...lines,
    ...(r.groups.length === 0 ? ['(no consumer groups found)'] : []),
  ];
  if (r.collection.errors.length > 0) out.push('', ...r.collection.errors.map((e) => `! ${e}`));
  if (advice.length > 0) out.push('', ...advice.map((a) => `[${a.severity}] ${a.group}: ${a.message}`));
  return `${out.join('\n')}\n`;
}
