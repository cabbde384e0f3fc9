/**
 * Command kinds that reach a bug issue 19 lists and another change is fixing: the model test leaves
 * them out until that fix is merged — then empty this list (MODEL_INCLUDE_KNOWN=1 runs them anyway).
 * Each would have an `it.fails` in regressions.test.ts naming the bullet. Empty: every bug
 * the model test found is fixed and pinned as a plain regression test.
 */
import type { CommandKind } from './commands.js';

export const KNOWN_BUGS: readonly CommandKind[] = [];
