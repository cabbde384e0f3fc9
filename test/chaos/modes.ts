/** The soak's two sizes: the full run (`npm run chaos`) and the small one inside `npm test`. */
import type { SoakOptions, SoakPreset } from './soak.js';

export type Mode = 'small' | 'full';

/** Faults per QBO request, from issue 9: 10% 429, 5% 500, 1% 503 that hangs past the timeout, 2% commit-then-drop. */
export const chaosFaults = { '429': 0.1, '500': 0.05, hang: 0.01, 'commit-then-drop': 0.02 };

export function chaosOptions(mode: Mode, seed: number, memory: 'on' | 'off', log: (line: string) => void, preset: SoakPreset = 'au'): SoakOptions {
  const common = { seed, preset, companies: 3, requestIdMemory: memory, faults: chaosFaults, accessSeconds: 120, maxFinalRuns: 10, log } as const;
  if (mode === 'small') {
    // The small demo in batches of 3, so a kill has batches to land in.
    return { ...common, size: 'small', kills: 4, killAfterMs: [1_200, 6_000], timeScale: 60, batchSize: 3 };
  }
  // QBO's limits scaled ×20 (docs/reliability.md §chaos-soak): a 429's minute lasts 3 s.
  return { ...common, size: 'medium', kills: 20, killAfterMs: [2_000, 12_000], timeScale: 20 };
}
