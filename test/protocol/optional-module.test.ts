import { describe, expect, it } from 'vitest';
import { loadOptional, MissingOptionalDependencyError } from '../../src/protocol/optional-module.js';

describe('optional packages', () => {
  it('fail when missing with an error naming the package to install and the feature that needed it', () => {
    const load = () => loadOptional('sluice-no-such-package', 'sluice-no-such-package', 'the frobnicator');
    expect(load).toThrow(MissingOptionalDependencyError);
    expect(load).toThrow(
      /the frobnicator needs the optional package "sluice-no-such-package".*npm install sluice-no-such-package/,
    );
  });

  it('load an installed one once and hand back the same module', () => {
    const first = loadOptional<object>('snappy', 'snappy', 'snappy compression');
    expect(loadOptional<object>('snappy', 'snappy', 'snappy compression')).toBe(first);
  });
});
