import type { IntendedDifference } from './compare.js';

/**
 * The ONE list of differences between Apache Kafka and Sluice that are intended. The differential suite
 * fails on any difference not listed here and on any entry that no longer occurs; docs/compatibility.md
 * ("Differences from Apache Kafka") states the same list, and a test checks the two agree.
 */
export const INTENDED: readonly IntendedDifference[] = [];
