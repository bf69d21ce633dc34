import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { RunResult } from './run.js';

/**
 * Kafka's command-line tools run in one warm JVM per test process (test/java/src/dev/sluice/checks/
 * ToolRunner.java) instead of a JVM per call: the tools are the same classes with the same arguments, and a
 * call costs tens of milliseconds instead of 1.3-1.8 s of JVM start. SLUICE_KAFKA_TOOLS=process runs each
 * call through scripts/kafka/kafka-tool.sh as its own JVM instead (kafkaCli in kafka.ts).
 */

interface Pending {
  describe: string;
  timer: NodeJS.Timeout;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}

interface Answer {
  id: string;
  code: number;
  stdout: string;
  stderr: string;
}

const mainClasses = new Map<string, string>();

/** The tool's main class, from the one place that names it (kafka-tool.sh's table). */
function mainClass(toolScript: string, tool: string): string {
  let main = mainClasses.get(tool);
  if (!main) {
    main = execFileSync('bash', [toolScript, '--main', tool], { encoding: 'utf8' }).trim();
    mainClasses.set(tool, main);
  }
  return main;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export class KafkaToolRunner {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private stderrTail = '';

  constructor(
    private readonly javaRun: string,
    private readonly toolScript: string,
  ) {}

  /** Runs `tool args`; resolves or rejects as {@link run} does for a process of its own. */
  call(
    tool: string,
    args: string[],
    opts: { input?: string; timeoutMs?: number; allowFailure?: boolean } = {},
  ): Promise<RunResult> {
    let main: string;
    let mainArgs: string[];
    try {
      // kafka-run-class names the class to run as its first argument, as the distribution's script does.
      [main, mainArgs] =
        tool === 'kafka-run-class' ? [args[0], args.slice(1)] : [mainClass(this.toolScript, tool), args];
    } catch (err) {
      return Promise.reject(err);
    }
    const child = this.start();
    const id = String(this.nextId++);
    const describe = `${tool} ${args.join(' ')}`;
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return new Promise<RunResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A tool's thread cannot be stopped from outside; the JVM goes, with whatever else it was running.
        this.stop(new Error(`the tool runner was stopped: ${describe} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        describe,
        timer,
        resolve: (r) => {
          if (r.code !== 0 && !opts.allowFailure) {
            reject(
              new Error(
                `${describe} exited with ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
              ),
            );
          } else resolve(r);
        },
        reject,
      });
      const fields = [id, b64(main), b64(opts.input ?? ''), ...mainArgs.map(b64)];
      child.stdin?.write(`${fields.join(' ')}\n`);
    });
  }

  /** Ends the JVM; calls still running are rejected with `reason`. */
  stop(reason = new Error('the tool runner was stopped')): void {
    const child = this.child;
    this.child = undefined;
    child?.kill('SIGKILL');
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new Error(`${p.describe}: ${reason.message}`));
    }
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn('bash', [this.javaRun, 'ToolRunner'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.stderrTail = '';
    child.stdin?.on('error', () => undefined);
    child.stderr?.on('data', (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString('utf8')).slice(-4000);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const answer = JSON.parse(line) as Answer;
      const p = this.pending.get(answer.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(answer.id);
      p.resolve({ code: answer.code, signal: null, stdout: answer.stdout, stderr: answer.stderr });
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.stop(
        new Error(`the tool runner exited with ${code ?? signal}\n--- its stderr\n${this.stderrTail}`),
      );
    });
    // The JVM also ends by itself when this process's end closes its standard input.
    child.unref();
    for (const pipe of [child.stdin, child.stdout, child.stderr]) (pipe as Socket | null)?.unref();
    return child;
  }
}
