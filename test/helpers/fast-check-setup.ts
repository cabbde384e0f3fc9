/**
 * Vitest setup file (every test file, every worker): every property test uses the run's seed
 * (test/helpers/seed.ts) unless it names its own, and the default number of runs scales with FC_RUNS_SCALE.
 */
import fc from 'fast-check';
import { fcSeed, numRuns } from './seed.js';

fc.configureGlobal({ seed: fcSeed(), numRuns: numRuns(100) });
