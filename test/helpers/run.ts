import { type ChildProcess, spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();

/** Kills every child started by {@link run} that is still running (call from afterAll/afterEach). */
export function killChildren(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

/**
 * Runs a program to completion with optional stdin, collecting its output. Rejects with both streams
 * when it exits non-zero or outlives `timeoutMs` (then it is killed), so a failing tool explains itself.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv; allowFailure?: boolean } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timeoutMs = opts.timeoutMs ?? 30_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      const result = {
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (timedOut || (code !== 0 && !opts.allowFailure)) {
        const what = timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${code ?? signal}`;
        reject(
          new Error(
            `${cmd} ${args.join(' ')} ${what}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
          ),
        );
      } else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

const CLI_SOURCE = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/**
 * Runs `sluice <args>` from the sources (through tsx, no build needed), as a user runs the command, and
 * resolves with its exit code and both streams whatever the exit code.
 */
export function runSluice(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return run(process.execPath, ['--import', 'tsx', CLI_SOURCE, ...args], {
    ...opts,
    env: { ...process.env, ...opts.env },
    allowFailure: true,
  });
}
