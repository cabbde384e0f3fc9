/** The product's clock, from configuration: a leaf, so test set-up and the root share it without loading the app. */
import type { Clock } from './context.js';

/**
 * Real time, or (QBO_CONNECT_CLOCK_START) real time shifted to read the given instant: at `@<epoch
 * ms>` when given (so several processes share one timeline: a child started later reads a later
 * time, never the same start again), else when the process builds its clock.
 */
export function clockFrom(start: string | undefined, realNow: () => number = Date.now): Clock {
  if (start === undefined) return () => new Date(realNow());
  const [instant, anchor] = start.split('@');
  const offset = Date.parse(instant!) - (anchor ? Number(anchor) : realNow());
  return () => new Date(realNow() + offset);
}
