/**
 * The one seed of every property test in a run. `FC_SEED` chooses it (CI sets one per run and prints
 * it; `npm run fuzz` draws a fresh one); otherwise a fixed default, so `npm test` replays the same cases.
 * `FC_RUNS_SCALE` multiplies every property's number of runs (`npm run fuzz` raises it).
 * test/helpers/fast-check-setup.ts hands both to fast-check's global configuration; a failing
 * property prints the seed and path that replay it.
 */
export const DEFAULT_FC_SEED = 20261204;

export function fcSeed(): number {
  const v = process.env.FC_SEED;
  if (v === undefined || v === '') return DEFAULT_FC_SEED;
  if (!/^-?\d{1,10}$/.test(v.trim()) || !Number.isSafeInteger(Number(v)) || Math.abs(Number(v)) > 2 ** 31 - 1) {
    throw new Error(`FC_SEED=${v}: must be a whole number between -2147483647 and 2147483647`);
  }
  return Number(v);
}

export function fcRunsScale(): number {
  const v = process.env.FC_RUNS_SCALE;
  if (v === undefined || v === '') return 1;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 1000) throw new Error(`FC_RUNS_SCALE=${v}: must be a number above 0 and at most 1000`);
  return n;
}

/** A property's number of runs in this run: its base count, scaled by FC_RUNS_SCALE. */
export function numRuns(base: number): number {
  return Math.max(1, Math.round(base * fcRunsScale()));
}

/** The line every run prints, so a failure found by any seed can be replayed. */
export function seedLine(): string {
  return `fast-check seed ${fcSeed()} (replay: FC_SEED=${fcSeed()}), runs x${fcRunsScale()}`;
}
