/**
 * fast-check parameters for the model test: the run's shared seed (test/helpers/seed.ts: FC_SEED, else
 * the fixed default, so `npm test` replays the same sequences; `npm run fuzz` draws a fresh one), a
 * few short sequences in `npm test`, FC_RUNS_SCALE times as many and longer ones in `npm run fuzz`.
 * FC_NUM_RUNS and MODEL_STEPS set the count and length outright. The seed is always printed, so any
 * failure replays with `FC_SEED=<seed> npx vitest run test/model`.
 */
import { fcRunsScale, fcSeed, numRuns } from '../helpers/seed.js';

export interface ModelRunParams {
  seed: number;
  numRuns: number;
  /** The most commands in one sequence. */
  maxCommands: number;
}

function intFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${raw} must be a whole number above 0`);
  return n;
}

export function modelRunParams(env: NodeJS.ProcessEnv = process.env): ModelRunParams {
  const fuzzing = fcRunsScale() > 1;
  return {
    seed: fcSeed(),
    numRuns: intFrom(env, 'FC_NUM_RUNS') ?? numRuns(3),
    maxCommands: intFrom(env, 'MODEL_STEPS') ?? (fuzzing ? 60 : 15),
  };
}
