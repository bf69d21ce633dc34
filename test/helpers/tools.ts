import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
  pythonKafka: (python = PYTHON) =>
    cached(`kafka-python ${python}`, () =>
      probe(
        python === PYTHON ? 'python3-kafka' : `kafka-python (${python})`,
        python,
        ['-c', 'import kafka; print("kafka-python", kafka.__version__)'],
        python === PYTHON ? 'apt-get install python3-kafka' : RUN_CI,
      ),
    ),
  confluentKafka: (python = PYTHON) =>
    cached(`confluent-kafka ${python}`, () =>
      probe(
        python === PYTHON ? 'python3-confluent-kafka' : `confluent-kafka (${python})`,
        python,
        [
          '-c',
          'import confluent_kafka as c; print("confluent-kafka", c.version()[0], "librdkafka", c.libversion()[0])',
        ],
        python === PYTHON ? 'apt-get install python3-confluent-kafka' : RUN_CI,
      ),
    ),
};

const RUN_CI = 'run .ci/run (it installs every client the tests use)';

/** Runs one of scripts/compat's cache builders and returns the path it prints, or why it failed. */
function fromCache(script: string): { path?: string; error?: string } {
  const file = fileURLToPath(new URL(`../../scripts/compat/${script}`, import.meta.url));
  try {
    const out = execFileSync(file, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    return { path: out.trim().split('\n').pop() };
  } catch (err) {
    return { error: `${script} failed (${(err as Error).message.split('\n')[0]}); ${RUN_CI}` };
  }
}

/**
 * A Python with Kafka clients the suites run under: Debian's (python3-kafka 2.0 and confluent-kafka 1.7 from
 * apt), and a venv in the cache with the newest kafka-python and confluent-kafka from PyPI, pinned in
 * test/compat/python/requirements.txt (scripts/compat/python-venv.sh makes it, .ci/run warms it).
 */
export interface PythonRuntime {
  /** "debian" or "pypi": in titles, and in topic and group names so both runtimes can share a broker. */
  label: 'debian' | 'pypi';
  python: string;
  kafkaPython: Tool;
  confluentKafka: Tool;
  /** The codecs this runtime's kafka-python can decompress (Debian's has no lz4, snappy or zstd module). */
  kafkaPythonCodecs: string[];
  /** kafka-python 3: idempotent by default, static membership, the cooperative-sticky assignor (2.0 has none). */
  kafkaPython3: boolean;
}

function runtime(label: PythonRuntime['label'], python: string, codecs: string[]): PythonRuntime {
  return {
    label,
    python,
    kafkaPython: tools.pythonKafka(python),
    confluentKafka: tools.confluentKafka(python),
    kafkaPythonCodecs: codecs,
    kafkaPython3: label === 'pypi',
  };
}

/** Both Python runtimes; a venv that could not be made shows up as missing tools naming the reason. */
export function pythonRuntimes(): PythonRuntime[] {
  const debian = runtime('debian', PYTHON, ['gzip']);
  const venv = fromCache('python-venv.sh');
  if (!venv.path) {
    const missing = (name: string): Tool => ({ name, available: false, detail: venv.error ?? RUN_CI });
    const pypi: PythonRuntime = {
      label: 'pypi',
      python: 'python3',
      kafkaPython: missing('kafka-python (PyPI)'),
      confluentKafka: missing('confluent-kafka (PyPI)'),
      kafkaPythonCodecs: [],
      kafkaPython3: true,
    };
    return [debian, pypi];
  }
  return [debian, runtime('pypi', venv.path, ['gzip', 'snappy', 'lz4', 'zstd'])];
}

/** The franz-go client of test/compat/go, built into the cache (scripts/compat/go-client.sh). */
export function goClient(): Tool & { path?: string } {
  const built = fromCache('go-client.sh');
  return built.path
    ? { name: 'franz-go client', available: true, detail: built.path, path: built.path }
    : { name: 'franz-go client', available: false, detail: built.error ?? RUN_CI };
}

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
