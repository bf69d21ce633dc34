import { type Command, InvalidArgumentError } from 'commander';
import {
  type DeadLetter,
  DeadLetters,
  type DeadLetterTopicSummary,
  type ReplayResult,
  replayGroupOf,
  type Selection,
} from '../../consumer/dead-letters.js';
import {
  brokerList,
  type ClientSecurityFlags,
  clientSecurity,
  clientSecurityOptions,
  integer,
} from '../options.js';

/**
 * `sluice dlq list|show|replay`: dead-letter topics on any cluster (`--brokers`), over
 * {@link DeadLetters}. Replay is idempotent: what was replayed is remembered in the group
 * `sluice-dlq-replay.<topic>` (see src/consumer/dead-letters.ts for why there).
 */

interface CommonFlags extends ClientSecurityFlags {
  brokers: string[];
  json: boolean;
}

interface SelectFlags extends CommonFlags {
  partition?: number;
  from?: bigint;
  to?: bigint;
  reason?: string;
}

function offset(label: string) {
  return (value: string): bigint => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${label} must be an offset (a whole number)`);
    return BigInt(value);
  };
}

const json = (value: unknown) =>
  `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString() : v), 2)}\n`;

function selection(flags: SelectFlags): Selection {
  if (flags.from !== undefined && flags.to !== undefined && flags.from > flags.to) {
    throw new InvalidArgumentError(`--from ${flags.from} is after --to ${flags.to}`);
  }
  return { partition: flags.partition, from: flags.from, to: flags.to, reason: flags.reason };
}

async function withTools<T>(flags: CommonFlags, fn: (tools: DeadLetters) => Promise<T>): Promise<T> {
  const tools = new DeadLetters({ brokers: flags.brokers, security: clientSecurity(flags) });
  try {
    return await fn(tools);
  } finally {
    tools.close();
  }
}

function addCommon(cmd: Command): Command {
  cmd
    .option('--brokers <list>', 'bootstrap brokers, comma-separated host:port', brokerList, [
      '127.0.0.1:9092',
    ])
    .option('--json', 'print JSON', false);
  for (const o of clientSecurityOptions()) cmd.addOption(o);
  return cmd;
}

function addSelection(cmd: Command): Command {
  return cmd
    .option('--partition <n>', 'only this partition of the dead-letter topic', integer('--partition'))
    .option('--from <offset>', 'first offset (inclusive)', offset('--from'))
    .option('--to <offset>', 'last offset (inclusive)', offset('--to'))
    .option('--reason <reason>', 'only dead letters with this reason (as `sluice dlq list` shows them)');
}

export function register(program: Command): void {
  const dlq = program
    .command('dlq')
    .description('dead-letter topics (*.dlq): list them, show their records, replay them to their source');

  addCommon(
    dlq.command('list').description('dead-letter topics with counts, reasons and replay progress'),
  ).action(async (flags: CommonFlags) => {
    const list = await withTools(flags, (t) => t.list());
    process.stdout.write(flags.json ? json(list) : renderList(list));
  });

  addSelection(
    addCommon(
      dlq
        .command('show <topic>')
        .description('dead letters with their source, attempts and error')
        .option('--limit <n>', 'at most this many, newest last', integer('--limit', 1), 20),
    ),
  ).action(async (topic: string, flags: SelectFlags & { limit: number }) => {
    const letters = await withTools(flags, (t) => t.read(topic, selection(flags)));
    const shown = letters.slice(-flags.limit);
    process.stdout.write(flags.json ? json(shown) : renderShow(topic, shown, letters.length));
  });

  addSelection(
    addCommon(
      dlq
        .command('replay <topic>')
        .description(
          'send dead letters back to their source topic (header sluice.dlq.replay.of), each at most once',
        )
        .option('--all', 'every dead letter not replayed yet', false)
        .option('--purge', 'then delete the replayed prefix of each partition (DeleteRecords)', false)
        .option('--dry-run', 'say what would be replayed, send nothing', false),
    ),
  ).action(async (topic: string, flags: SelectFlags & { all: boolean; purge: boolean; dryRun: boolean }) => {
    const select = selection(flags);
    const narrowed = Object.values(select).some((v) => v !== undefined);
    if (flags.all === narrowed) {
      throw new InvalidArgumentError(
        flags.all
          ? '--all replays everything: drop --partition/--from/--to/--reason, or drop --all'
          : 'say what to replay: --all, or --reason, --partition, --from/--to',
      );
    }
    const result = await withTools(flags, (t) =>
      t.replay(topic, select, { purge: flags.purge, dryRun: flags.dryRun }),
    );
    process.stdout.write(flags.json ? json(result) : renderReplay(result, flags.dryRun));
  });
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd(),
  );
}

const time = (ms: number) => new Date(ms).toISOString();

function renderList(list: DeadLetterTopicSummary[]): string {
  if (list.length === 0) return 'no dead-letter topics (*.dlq) on this cluster\n';
  const rows = [['topic', 'records', 'pending', 'replayed', 'reasons', 'oldest', 'newest']];
  for (const s of list) {
    rows.push([
      s.topic,
      String(s.count),
      String(s.pending),
      String(s.replayed),
      Object.entries(s.byReason)
        .map(([r, x]) => `${r}×${x.count}`)
        .join(' ') || '-',
      s.oldest ? `${time(s.oldest.timestamp)} ${s.oldest.reason}` : '-',
      s.newest ? `${time(s.newest.timestamp)} ${s.newest.reason}` : '-',
    ]);
  }
  return `${table(rows).join('\n')}\n`;
}

function renderShow(topic: string, letters: DeadLetter[], total: number): string {
  const out = [
    `${topic}: ${total} dead letter${total === 1 ? '' : 's'} match${letters.length < total ? `, the last ${letters.length} shown` : ''}`,
  ];
  for (const d of letters) {
    const source = d.source ? `${d.source.topic}/${d.source.partition}@${d.source.offset}` : 'unknown source';
    out.push(
      '',
      `${d.partition}@${d.offset}  ${time(d.timestamp)}  ${d.reason}  from ${source}  attempts ${d.attempts ?? '?'}${d.replayed ? '  [replayed]' : ''}`,
      `  error: ${d.error || '-'}`,
      `  key: ${d.key?.toString() ?? 'null'}  value: ${preview(d.value)}`,
    );
  }
  return `${out.join('\n')}\n`;
}

function preview(value: Buffer | null): string {
  if (!value) return 'null';
  const s = value.toString();
  return s.length > 160 ? `${s.slice(0, 160)}…` : s;
}

function renderReplay(r: ReplayResult, dryRun: boolean): string {
  const to = Object.entries(r.toTopics)
    .map(([t, n]) => `${n} to ${t}`)
    .join(', ');
  const lines = [
    `${r.topic}: ${r.matched} matched, ${r.replayed} ${dryRun ? 'would be ' : ''}replayed${to ? ` (${to})` : ''}, ${r.alreadyReplayed} already replayed${r.unroutable ? `, ${r.unroutable} without a source topic (not sent)` : ''}`,
  ];
  if (!dryRun) lines.push(`replay progress kept in group ${replayGroupOf(r.topic)}`);
  for (const p of r.purged) lines.push(`purged ${r.topic}/${p.partition} up to offset ${p.lowWatermark}`);
  return `${lines.join('\n')}\n`;
}
