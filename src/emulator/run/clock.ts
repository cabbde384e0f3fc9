/**
 * The emulator's clock: real time sped up by a time scale, plus whatever the control surface has
 * advanced it by. Limits (per-minute windows) and token lifetimes read this clock, so a benchmark
 * can run an emulated minute in 60/N seconds and a test can jump past a token's expiry.
 */
export interface EmulatorClock {
  /** Emulated epoch milliseconds. */
  nowMs(): number;
  now(): Date;
  /** Real milliseconds that one emulated millisecond lasts is 1/scale. */
  readonly scale: number;
  setScale(scale: number): void;
  advance(ms: number): void;
  /** Converts an emulated duration to the real duration a timer must wait. */
  realMs(emulatedMs: number): number;
}

export function createEmulatorClock(opts: { scale?: number; realNow?: () => number; startMs?: number } = {}): EmulatorClock {
  const realNow = opts.realNow ?? (() => Date.now());
  let scale = validScale(opts.scale ?? 1);
  // Re-anchored on every scale change so emulated time never jumps backwards.
  let anchorReal = realNow();
  let anchorEmulated = opts.startMs ?? anchorReal;
  const nowMs = () => anchorEmulated + (realNow() - anchorReal) * scale;
  return {
    nowMs: () => Math.floor(nowMs()),
    now: () => new Date(Math.floor(nowMs())),
    get scale() {
      return scale;
    },
    setScale(next: number) {
      const current = nowMs();
      anchorReal = realNow();
      anchorEmulated = current;
      scale = validScale(next);
    },
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward: give a positive number of milliseconds');
      anchorEmulated += ms;
    },
    realMs: (emulatedMs: number) => emulatedMs / scale,
  };
}

function validScale(scale: number): number {
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`time scale ${scale}: must be a positive number`);
  return scale;
}
