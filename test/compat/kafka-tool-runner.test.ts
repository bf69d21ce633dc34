import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kafkaCli, kafkaTool } from '../helpers/kafka.js';
import type { RunResult } from '../helpers/run.js';
import { describeWithTools } from '../helpers/tools.js';

/**
 * The tests run Kafka's tools in one warm JVM (test/helpers/kafka-tool-runner.ts); this holds it to what a
 * JVM of its own per call (scripts/kafka/kafka-tool.sh, SLUICE_KAFKA_TOOLS=process) does: the same
 * output and exit code for a success and for a refused command, standard input that reaches the tool,
 * and the shutdown hooks that flush a console producer run when its call ends.
 */
describeWithTools('the warm runner for Kafka tools', [kafkaTool()], () => {
  let b: TestBroker;
  const bootstrap = () => `127.0.0.1:${b.port}`;
  beforeAll(async () => {
    b = await startTestBroker({ durability: 'memory' });
  });
  afterAll(() => b?.stop());

  /**
   * A stack trace the tool logs goes on below its main in the runner (reflection, the runner's thread),
   * where a JVM's main thread has nothing: those frames only.
   */
  const belowMain = (text: string) =>
    text.replace(
      /^\tat java\.base\/(jdk\.internal\.reflect|java\.lang\.reflect|java\.lang\.Thread\.run).*\n|^\tat dev\.sluice\.checks\.ToolRunner.*\n/gm,
      '',
    );

  /** The call run both ways, one after the other. */
  async function bothWays(tool: string, args: string[], input?: string): Promise<[RunResult, RunResult]> {
    const warm = await kafkaCli(tool, args, { input, allowFailure: true });
    process.env.SLUICE_KAFKA_TOOLS = 'process';
    try {
      return [warm, await kafkaCli(tool, args, { input, allowFailure: true })];
    } finally {
      delete process.env.SLUICE_KAFKA_TOOLS;
    }
  }

  it('answers a command with the output and exit code of a JVM of its own', async () => {
    await kafkaCli('kafka-topics', ['--bootstrap-server', bootstrap(), '--create', '--topic', 'same-1']);
    const [warm, own] = await bothWays('kafka-topics', ['--bootstrap-server', bootstrap(), '--list']);
    expect(warm.code).toBe(0);
    expect(warm.stdout).toContain('same-1\n');
    expect([warm.code, warm.stdout]).toEqual([own.code, own.stdout]);
  }, 60_000);

  it('answers a refused command with the exit code and error text of a JVM of its own', async () => {
    const args = ['--bootstrap-server', bootstrap(), '--describe', '--topic', 'no-such-topic'];
    const [warm, own] = await bothWays('kafka-topics', args);
    expect(warm.code).toBe(1);
    expect(warm.stdout).toContain('no-such-topic');
    expect([warm.code, warm.stdout]).toEqual([own.code, own.stdout]);
    // A bad flag: the usage on standard error from the argument parser, before any connection.
    const [warmUsage, ownUsage] = await bothWays('kafka-topics', ['--no-such-flag']);
    expect(warmUsage.code).not.toBe(0);
    expect(warmUsage.stderr).toContain('no-such-flag');
    expect([warmUsage.code, belowMain(warmUsage.stderr)]).toEqual([ownUsage.code, ownUsage.stderr]);
  }, 60_000);

  it('gives each call its own standard input, and runs its shutdown hooks so the producer flushes', async () => {
    const producer = (topic: string, lines: string[]) =>
      kafkaCli('kafka-console-producer', ['--bootstrap-server', bootstrap(), '--topic', topic], {
        input: `${lines.join('\n')}\n`,
      });
    const consumer = (topic: string, n: number) =>
      kafkaCli('kafka-console-consumer', [
        '--bootstrap-server',
        bootstrap(),
        '--topic',
        topic,
        '--from-beginning',
        '--max-messages',
        String(n),
        '--timeout-ms',
        '20000',
      ]);
    // Side by side in the one JVM: neither reads the other's lines.
    await Promise.all([producer('stdin-a', ['a1', 'a2', 'a3']), producer('stdin-b', ['b1', 'b2'])]);
    const [a, bOut] = await Promise.all([consumer('stdin-a', 3), consumer('stdin-b', 2)]);
    expect(a.stdout.split('\n').filter(Boolean)).toEqual(['a1', 'a2', 'a3']);
    expect(bOut.stdout.split('\n').filter(Boolean)).toEqual(['b1', 'b2']);
    expect(a.stderr).toContain('Processed a total of 3 messages');
  }, 60_000);

  it("refuses a tool it does not know with kafka-tool.sh's reason, and goes on answering", async () => {
    await expect(kafkaCli('kafka-no-such-tool', [])).rejects.toThrow(/unknown tool 'kafka-no-such-tool'/);
    const created = await kafkaCli('kafka-topics', [
      '--bootstrap-server',
      bootstrap(),
      '--create',
      '--topic',
      'after-unknown',
    ]);
    expect(created.stdout).toContain('Created topic after-unknown.');
  }, 60_000);
});
