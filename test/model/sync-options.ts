/**
 * How the model test's syncs are wired (practice A's and practice B's alike): QBO's processing window
 * as the emulator has it, a client that retries at once, and the counts a step logs.
 */

/**
 * QBO's processing window as this emulator has it: the slowest armed write (slow-writes) is stored
 * 500 ms after it arrives, so 1.5 s after a create left us a look-up is final (QBO's own is 120 s).
 */
export const processingWindowMs = 1_500;
export const clientOptions = { retry: { baseMs: 1, capMs: 5, throttleWaitMs: 10 }, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))) };

export const pickCounts = (s: { created: number; adopted: number; updated: number; voided: number; imported: number; failed: number; held: number }) => ({
  created: s.created,
  adopted: s.adopted,
  updated: s.updated,
  voided: s.voided,
  imported: s.imported,
  failed: s.failed,
  held: s.held,
});
