/**
 * fast-check parameters for the model test, from the environment: FC_SEED replays a run, FC_NUM_RUNS
 * and MODEL_STEPS size it (`npm run fuzz` sets them large). The seed is always printed, so any
 * failure replays with `FC_SEED=<seed> npx vitest run test/model`. Kept to one function so a shared
 * seed helper in test/helpers can replace it.
 */
export interface ModelRunParams {
  seed: number;
  numRuns: number;
  /** The most commands in one sequence. */
  maxCommands: number;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${name}=${raw} is not a whole number`);
  return n;
}

export function modelRunParams(env: NodeJS.ProcessEnv = process.env, small = { numRuns: 2, maxCommands: 15 }): ModelRunParams {
  return {
    seed: intFrom(env, 'FC_SEED', Math.floor(Math.random() * 2 ** 31)),
    numRuns: intFrom(env, 'FC_NUM_RUNS', small.numRuns),
    maxCommands: intFrom(env, 'MODEL_STEPS', small.maxCommands),
  };
}
