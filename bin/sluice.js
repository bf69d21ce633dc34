#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` produces dist/. In a source checkout without a build,
// `npx tsx src/cli/main.ts` runs the same thing.
import '../dist/cli/main.js';
