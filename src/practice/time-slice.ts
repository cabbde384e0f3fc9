/**
 * Long imports give the event loop a turn now and then. Validating and writing tens of thousands of
 * records is CPU work, and better-sqlite3 is synchronous: done in one piece, a 54 MB import kept the
 * server from answering anything (even /healthz) for 15 s. Loops over records call `pause()` after
 * each record; it costs a clock read, and once a slice of work has run it lets queued I/O (other
 * requests, timers) run before going on.
 */
import { performance } from 'node:perf_hooks';

/** Awaited between units of work: resolves at once, or after one turn of the event loop. */
export type Pause = () => Promise<void> | undefined;

/** Never yields: for small writes (one record) where a turn of the event loop is pure delay. */
export const noPause: Pause = () => undefined;

/**
 * A pause that yields (setImmediate, so I/O callbacks run first) once `sliceMs` of work have passed
 * since the last yield. Work time, not a count of records, because records differ a hundredfold.
 */
export function timeSlicer(sliceMs = 10): Pause {
  let since = performance.now();
  return () => {
    if (performance.now() - since < sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        since = performance.now();
        resolve();
      }),
    );
  };
}
