import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files made for one test run by openssl (never committed): a CA, the broker's and a client's. */
export interface TestCerts {
  dir: string;
  ca: string;
  brokerCert: string;
  brokerKey: string;
  clientCert: string;
  clientKey: string;
  /** The client certificate's subject as Kafka's default principal builder writes it. */
  clientPrincipal: string;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(
      `openssl ${args[0]} failed (is openssl installed? run .ci/run): ${(err as Error).message}`,
    );
  }
}

/** Makes a CA and, signed by it, a broker certificate for localhost/127.0.0.1 and a client certificate. */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-certs-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=sluice-test-ca',
    ],
    dir,
  );
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const sign = (name: string, subject: string, ext: boolean) => {
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        subject,
      ],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        ...(ext ? ['-extfile', 'san.cnf'] : []),
      ],
      dir,
    );
  };
  sign('broker', '/CN=localhost', true);
  sign('client', '/O=Sluice/CN=client-app', false);
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    brokerCert: join(dir, 'broker.pem'),
    brokerKey: join(dir, 'broker.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    clientPrincipal: 'User:CN=client-app,O=Sluice',
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
