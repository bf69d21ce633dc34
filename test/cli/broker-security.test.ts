import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../helpers/run.js';
import { openAuthenticated } from '../helpers/sasl-client.js';

// The built CLI (npm test builds first): `sluice broker users` and the security flags of `sluice broker`.
const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sluice = (args: string[], env: NodeJS.ProcessEnv = {}, input?: string) =>
  run(process.execPath, ['bin/sluice.js', ...args], {
    env: { ...process.env, ...env },
    input,
    allowFailure: true,
  });

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sluice-cli-sec-'));
  dirs.push(d);
  return d;
}

describe('sluice broker: users and security flags (CLI)', () => {
  it('adds, lists and deletes SASL users in the data dir, storing no password', async () => {
    const dir = tempDir();
    const added = await sluice(['broker', 'users', 'add', 'alice', '--data-dir', dir], {
      SLUICE_USER_PASSWORD: 'pw-from-env',
    });
    expect(added.code).toBe(0);
    expect(
      (await sluice(['broker', 'users', 'add', 'bob', '--data-dir', dir], {}, 'pw-from-stdin\n')).code,
    ).toBe(0);
    const listed = await sluice(['broker', 'users', 'list', '--data-dir', dir]);
    expect(listed.stdout).toBe('alice\tSCRAM-SHA-256,SCRAM-SHA-512\nbob\tSCRAM-SHA-256,SCRAM-SHA-512\n');
    const file = readFileSync(join(dir, 'users.json'), 'utf8');
    expect(file).not.toMatch(/pw-from-(env|stdin)/);
    expect((await sluice(['broker', 'users', 'delete', 'bob', '--data-dir', dir])).code).toBe(0);
    const missing = await sluice(['broker', 'users', 'delete', 'bob', '--data-dir', dir]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no user bob/);
  });

  it('refuses an unauthenticated non-loopback listener unless --allow-insecure', async () => {
    const refused = await sluice(['broker', '--host', '0.0.0.0', '--port', '0', '--durability', 'memory']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /refusing to listen on 0\.0\.0\.0:0 \(PLAINTEXT\) without authentication.*--allow-insecure/s,
    );
  });

  it('serves a SASL listener with users from the data dir, as --listeners says', async () => {
    const dir = tempDir();
    await sluice(['broker', 'users', 'add', 'alice', '--data-dir', dir], {
      SLUICE_USER_PASSWORD: 'alice-secret',
    });
    const child = spawn(
      process.execPath,
      [
        'bin/sluice.js',
        'broker',
        '--data-dir',
        dir,
        '--listeners',
        'SASL_PLAINTEXT://127.0.0.1:0',
        '--authorizer',
        '--super-users',
        'User:alice',
      ],
      { env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } },
    );
    children.push(child);
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 15 s:\n${out}`)), 15_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`broker exited with ${code}:\n${out}`)));
    });
    expect(out).toMatch(/first\s+SASL_PLAINTEXT/);
    expect(out).toMatch(/authorizer\s+on \(0 ACLs\)/);
    const c = await openAuthenticated(port, 'SCRAM-SHA-512', 'alice', 'alice-secret');
    expect(
      (
        await c.request(29, 1, {
          resourceTypeFilter: 1,
          resourceNameFilter: null,
          patternTypeFilter: 1,
          principalFilter: null,
          hostFilter: null,
          operation: 1,
          permissionType: 1,
        })
      ).errorCode,
    ).toBe(0);
    c.close();
  });
});
