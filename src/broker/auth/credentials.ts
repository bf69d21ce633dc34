import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { makeCredential, SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from './scram.js';

/** Where `sluice broker users` keeps credentials, inside the broker's data dir. */
export const USERS_FILE = 'users.json';

export type UserCredentials = Partial<Record<ScramMechanism, ScramCredential>>;

interface UsersFile {
  version: 1;
  users: Record<string, UserCredentials>;
}

/**
 * SASL users and their salted credentials (one per SCRAM mechanism). The file holds no password: only
 * what RFC 5802 calls the salt, iteration count, StoredKey and ServerKey.
 */
export class CredentialStore {
  private constructor(
    private readonly users: Map<string, UserCredentials>,
    private readonly file: string | undefined,
  ) {}

  static inMemory(): CredentialStore {
    return new CredentialStore(new Map(), undefined);
  }

  /** Loads `<dataDir>/users.json` (an absent file is no users). */
  static async open(dataDir: string): Promise<CredentialStore> {
    const file = join(dataDir, USERS_FILE);
    let parsed: UsersFile = { version: 1, users: {} };
    try {
      parsed = JSON.parse(await readFile(file, 'utf8')) as UsersFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read the SASL users file ${file}: ${(err as Error).message}`);
      }
    }
    return new CredentialStore(new Map(Object.entries(parsed.users ?? {})), file);
  }

  get(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.users.get(user)?.[mechanism];
  }

  names(): string[] {
    return [...this.users.keys()].sort();
  }

  mechanismsOf(user: string): ScramMechanism[] {
    return Object.keys(this.users.get(user) ?? {}) as ScramMechanism[];
  }

  /** Adds or replaces a user, deriving a credential for every SCRAM mechanism; the password is not kept. */
  async set(user: string, password: string, iterations?: number, opts = { persist: true }): Promise<void> {
    if (user === '' || /[,=]/.test(user)) {
      throw new Error(
        `user name "${user}" must be non-empty without "," or "=" (SCRAM cannot carry them plainly)`,
      );
    }
    if (password === '') throw new Error('the password must not be empty');
    const creds: UserCredentials = {};
    for (const m of SCRAM_MECHANISMS) creds[m] = await makeCredential(m, password, iterations);
    this.users.set(user, creds);
    if (opts.persist) await this.save();
  }

  async delete(user: string): Promise<boolean> {
    const had = this.users.delete(user);
    if (had) await this.save();
    return had;
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    const body: UsersFile = { version: 1, users: Object.fromEntries(this.users) };
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.file);
  }
}
