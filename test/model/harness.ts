/**
 * Runs one sequence of model commands against a fresh system, checking every invariant after each
 * step: shared by the random model test and the regression tests that pin its counterexamples.
 */
import fc from 'fast-check';
import type { RunningEmulator } from '../../src/emulator/run/server.js';
import type { Dialect } from '../../src/store/dialect.js';
import { DEFAULT_PRACTICE_ID } from '../../src/practice/practices.js';
import { Settle, warmUp, type Cmd, type Real } from './commands.js';
import { checkInvariants, type Violations } from './invariants.js';
import { initialModel, type Model } from './model.js';
import { contactCodes } from './practice.js';
import { firstDifference, isPracticeBStep, practiceState, WarmUpB } from './practice-b.js';
import { startSystem } from './system.js';

export const counters = { sequences: 0, steps: 0 };

export function describeViolations(v: Violations): string {
  return Object.entries(v)
    .map(([k, xs]) => `${k}:\n${xs.map((x) => `    - ${x}`).join('\n')}`)
    .join('\n');
}

/** Runs a command, then every invariant; a broken one fails the step with what each step did. */
export function checked(cmd: Cmd): Cmd {
  return {
    check: (m) => cmd.check(m),
    async run(m, r) {
      r.log.push(cmd.toString());
      // A step of one practice must leave the other's state as it was (the settle step syncs both).
      const other = cmd instanceof Settle ? undefined : isPracticeBStep(cmd) ? { practiceId: DEFAULT_PRACTICE_ID, realmIds: [r.sys.realmId] } : r.sys.b;
      const db = r.sys.app.ctx.db;
      const before = other && (await practiceState(db, other.practiceId, other.realmIds));
      await cmd.run(m, r);
      m.steps += 1;
      counters.steps += 1;
      const v = await checkInvariants(r.sys, m, { killedRuns: r.killedRuns });
      const after = other && (await practiceState(db, other.practiceId, other.realmIds));
      if (other && before !== after) (v.untouched ??= []).push(`practice ${other.practiceId}'s state changed: ${firstDifference(before!, after!)}`);
      if (Object.keys(v).length) throw new Error(`invariant broken after step ${m.steps} (${cmd.toString()}):\n${describeViolations(v)}\nsteps:\n${r.log.join('\n')}`);
    },
    toString: () => cmd.toString(),
  };
}

/** A new company and database (and practice B's company), the warm-ups (direction, three synced invoices in each practice), then `cmds` (each wrapped in `checked`), then the settle step. */
export async function runSequence(emu: RunningEmulator, dialect: Dialect, name: string, direction: Model['direction'], cmds: Iterable<Cmd>): Promise<void> {
  counters.sequences += 1;
  const sys = await startSystem(emu, dialect, name);
  const real: Real = { sys, killedRuns: new Set<string>(), log: [] };
  try {
    const model = initialModel(contactCodes);
    for (const w of [...warmUp(direction), new WarmUpB()]) await checked(w).run(model, real);
    await fc.asyncModelRun(() => ({ model, real }), cmds);
    await checked(new Settle()).run(model, real);
  } finally {
    if (process.env.MODEL_VERBOSE === '1') console.log(`${name} [${dialect}]:\n${real.log.join('\n')}`);
    await sys.close();
  }
}
