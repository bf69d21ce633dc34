import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';

/**
 * Real third-party tools the compatibility suites drive. On a developer machine a missing tool skips
 * its suite with a loud message; under CI (CI set) a missing tool fails, so CI can never go green by
 * silently testing nothing.
 */
export interface Tool {
  name: string;
  available: boolean;
  /** Why it is missing, or its version when present. */
  detail: string;
}

/** /usr/bin/python3 is Debian's: the pyenv python3 on PATH cannot see python3-kafka / confluent-kafka. */
export const PYTHON = '/usr/bin/python3';

function probe(name: string, cmd: string, args: string[], install: string): Tool {
  try {
    const out = execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15_000,
    });
    return { name, available: true, detail: out.trim().split('\n')[0] };
  } catch (err) {
    return {
      name,
      available: false,
      detail: `${(err as Error).message.split('\n')[0]}; install: ${install}`,
    };
  }
}

const cache = new Map<string, Tool>();
function cached(key: string, make: () => Tool): Tool {
  let t = cache.get(key);
  if (!t) {
    t = make();
    cache.set(key, t);
  }
  return t;
}

export const tools = {
  kcat: () => cached('kcat', () => probe('kcat', 'kcat', ['-V'], 'apt-get install kcat')),
  pythonKafka: () =>
    cached('python3-kafka', () =>
      probe(
        'python3-kafka',
        PYTHON,
        ['-c', 'import kafka; print("kafka-python", kafka.__version__)'],
        'apt-get install python3-kafka',
      ),
    ),
  confluentKafka: () =>
    cached('python3-confluent-kafka', () =>
      probe(
        'python3-confluent-kafka',
        PYTHON,
        [
          '-c',
          'import confluent_kafka as c; print("confluent-kafka", c.version()[0], "librdkafka", c.libversion()[0])',
        ],
        'apt-get install python3-confluent-kafka',
      ),
    ),
};

export const inCI = (): boolean =>
  Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

/**
 * `describe` that runs when every tool is present; otherwise skips loudly, or under CI registers one
 * failing test naming what is missing.
 */
export function describeWithTools(title: string, required: Tool[], body: () => void): void {
  const missing = required.filter((t) => !t.available);
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const why = missing.map((t) => `${t.name} (${t.detail})`).join(', ');
  if (inCI()) {
    describe(title, () => {
      it('has the real client it needs installed', () => {
        throw new Error(`CI is set and required tools are missing: ${why}`);
      });
    });
    return;
  }
  process.stderr.write(
    `\n${'!'.repeat(100)}\n!! SKIPPING "${title}": missing ${why}\n!! Compatibility is NOT being tested here. Under CI=true this is a failure.\n${'!'.repeat(100)}\n\n`,
  );
  describe.skip(title, body);
}
