// A seeded PRNG (mulberry32) so every "random" choice of the emulator can be replayed from its seed.

export interface Prng {
  next(): number;
  state(): number;
}

export function createPrng(seed: number, state?: number): Prng {
  let a = (state ?? seed) >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    state: () => a,
  };
}
