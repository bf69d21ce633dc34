/**
 * Runs `sluice broker` from the sources (tsx, no build needed) as a child process the crash tests can
 * SIGKILL, and reads the bound port from its banner.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const CLI = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const BANNER = /sluice broker listening on [\d.]+:(\d+)/;

export interface BrokerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  bootstrap: string;
  /** The banner and anything the broker printed since (stdout + stderr). */
  output(): string;
  /** SIGKILL: no shutdown hook runs, nothing is flushed. Resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM: the broker finishes what is in flight and flushes. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** SIGKILLs every broker started here that is still running (for afterAll, also on failure). */
export function killBrokers(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export function startBrokerProcess(
  dataDir: string,
  durability: 'sync' | 'async',
  opts: { port?: number; timeoutMs?: number } = {},
): Promise<BrokerProcess> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        'broker',
        '--port',
        String(opts.port ?? 0),
        '--data-dir',
        dataDir,
        '--durability',
        durability,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } },
    );
    live.add(child);
    child.on('exit', () => live.delete(child));
    let out = '';
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`broker did not print its banner within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString('utf8');
      const m = BANNER.exec(out);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({
          child,
          pid: child.pid!,
          port,
          bootstrap: `127.0.0.1:${port}`,
          output: () => out,
          kill9: () => {
            child.kill('SIGKILL');
            return exited(child);
          },
          stop: () => {
            child.kill('SIGTERM');
            return exited(child);
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`broker exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
}
