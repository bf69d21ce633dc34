import { createRequire } from 'node:module';

/**
 * Heavy or native packages that only some features need (pg for the PostgreSQL sink, the snappy/lz4/zstd
 * codecs) are optional peer dependencies: a user of `sluice/flow` does not install or build them. They
 * are loaded on first use, synchronously (all are CommonJS), and a missing one fails with an error that
 * names the package to install and the feature that needed it.
 */
export class MissingOptionalDependencyError extends Error {
  override readonly name = 'MissingOptionalDependencyError';
  constructor(
    readonly packageName: string,
    readonly feature: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${feature} needs the optional package "${packageName}", which is not installed: ` +
        `run \`npm install ${packageName}\` in your project`,
      options,
    );
  }
}

const requireHere = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

/** Loads `specifier` (a package or one of its subpaths) once; `packageName` is what the user installs. */
export function loadOptional<T>(specifier: string, packageName: string, feature: string): T {
  if (loaded.has(specifier)) return loaded.get(specifier) as T;
  let mod: unknown;
  try {
    mod = requireHere(specifier);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new MissingOptionalDependencyError(packageName, feature, { cause: err });
    }
    throw err;
  }
  loaded.set(specifier, mod);
  return mod as T;
}
