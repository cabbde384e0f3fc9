/**
 * Crash points for the kill -9 tests (docs/reliability.md §crash-points): when `QBO_CONNECT_CRASH_AT` is
 * `<label>:<nth>` (optionally `<label>:<nth>:<group>`), the nth time the sync passes that label
 * (in that group) the process SIGKILLs itself — no cleanup, no flush, as a power cut would.
 * Without the variable every call is a no-op.
 */

export const crashLabels = ['before-journal', 'after-journal-before-send', 'after-send-before-response', 'after-response-before-commit', 'mid-batch'] as const;
export type CrashLabel = (typeof crashLabels)[number];

export type CrashPoint = (label: CrashLabel, group?: string) => void;

export const noCrash: CrashPoint = () => {};

export function parseCrashAt(value: string | undefined): { label: CrashLabel; nth: number; group?: string } | undefined {
  if (!value) return undefined;
  const [label, nth, group] = value.split(':');
  if (!crashLabels.includes(label as CrashLabel)) throw new Error(`QBO_CONNECT_CRASH_AT: unknown label ${label}; use one of ${crashLabels.join(', ')}`);
  const n = Number(nth ?? '1');
  if (!Number.isInteger(n) || n < 1) throw new Error(`QBO_CONNECT_CRASH_AT: ${nth} is not a count (1, 2, …)`);
  return { label: label as CrashLabel, nth: n, ...(group ? { group } : {}) };
}

/** A crash point armed from the environment; `kill` is injectable so the counter logic is unit-tested. */
export function crashPointFromEnv(env: NodeJS.ProcessEnv = process.env, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): CrashPoint {
  const armed = parseCrashAt(env['QBO_CONNECT_CRASH_AT']);
  if (!armed) return noCrash;
  let seen = 0;
  return (label, group) => {
    if (label !== armed.label) return;
    if (armed.group !== undefined && group !== armed.group) return;
    seen += 1;
    if (seen === armed.nth) kill();
  };
}
