import type { DiffCase } from '../script.js';
import { adminCases } from './admin.js';
import { groupCases } from './groups.js';
import { logStartCases, produceFetchCases } from './produce-fetch.js';
import { transactionCases } from './transactions.js';
import { versionCases } from './versions.js';

/** Every differential case, in the order they run. */
export const CASES: readonly DiffCase[] = [
  ...produceFetchCases,
  ...logStartCases,
  ...transactionCases,
  ...groupCases,
  ...adminCases,
  ...versionCases,
];
