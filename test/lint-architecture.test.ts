/**
 * The map of docs/ARCHITECTURE.md §3 is enforced by lint (issue 14 §1): each forbidden arrow, written
 * deliberately into an in-memory file at a real place in src/, is an error of
 * `qbo-connect/part-boundaries`; the allowed ones are not.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('eslint.config.js keeps the architecture map', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: root });
  });

  /** The part-boundaries messages for `code` linted as if it were the file `filePath`. */
  async function arrows(filePath: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(`${code}\nexport const used = [x];\n`, { filePath });
    return result!.messages.filter((m) => m.ruleId === 'qbo-connect/part-boundaries').map((m) => m.message);
  }

  it('connect must not import server, cli, emulator or the composition root', async () => {
    expect(await arrows('src/connect/wrong.ts', "import { createHttpApp as x } from '../server/http.js';")).toEqual([
      expect.stringContaining('connect must not import server (server/http.js)'),
    ]);
    expect(await arrows('src/connect/run/wrong.ts', "import { registerStart as x } from '../../cli/commands/start.js';")).toHaveLength(1);
    expect(await arrows('src/connect/plan/mapping/wrong.ts', "const x = await import('../../../emulator/server.js');")).toHaveLength(1);
    expect(await arrows('src/connect/wrong.ts', "import { createApp as x } from '../app.js';")).toEqual([expect.stringContaining('connect must not import app')]);
    // Its own parts and the shared vocabulary are fine.
    expect(await arrows('src/connect/run/fine.ts', "import type { Clock as x } from '../../context.js';\nimport { getMeta } from '../../store/meta.js';\nvoid getMeta;")).toEqual(
      [],
    );
  });

  it('qbo uses nothing else in src/, and the emulator nothing but the wire types as types', async () => {
    expect(await arrows('src/qbo/wrong.ts', "import { ConnectionStore as x } from '../connect/connection-store.js';")).toHaveLength(1);
    expect(await arrows('src/qbo/wrong.ts', "import type { Db as x } from '../store/db.js';")).toHaveLength(1);
    expect(await arrows('src/emulator/core/wrong.ts', "import type { Logger as x } from '../../log.js';")).toHaveLength(1);
    expect(await arrows('src/emulator/wire/fine.ts', "import type { QueryResponse as x } from '../../qbo/wire-types.js';")).toEqual([]);
    // Sharing an implementation (a value), even from the wire types, is not evidence.
    expect(await arrows('src/emulator/wire/wrong.ts', "import * as x from '../../qbo/wire-types.js';")).toHaveLength(1);
  });

  it('only the CLI reaches the composition root; the leaf context imports only types', async () => {
    expect(await arrows('src/server/wrong.ts', "import { createApp as x } from '../app.js';")).toHaveLength(1);
    expect(await arrows('src/practice/wrong.ts', "import type { App as x } from '../app.js';")).toHaveLength(1);
    expect(await arrows('src/cli/commands/fine.ts', "import { createApp as x } from '../../app.js';")).toEqual([]);
    expect(await arrows('src/context.ts', "import { createLogger as x } from './log.js';")).toEqual([expect.stringContaining('imports only types')]);
  });

  it('the preview is entered through connect/plan/index.js, also from the rest of connect', async () => {
    expect(await arrows('src/server/pages/wrong.ts', "import { buildPlan as x } from '../../connect/plan/build.js';")).toEqual([
      expect.stringContaining('import it from connect/plan/index.js'),
    ]);
    expect(await arrows('src/connect/run/wrong.ts', "import type { PlanRow as x } from '../plan/types.js';")).toHaveLength(1);
    expect(await arrows('src/connect/run/fine.ts', "import type { PlanRow as x } from '../plan/index.js';")).toEqual([]);
    expect(await arrows('src/connect/plan/mapping/fine.ts', "import type { PlanRow as x } from '../types.js';")).toEqual([]);
  });
});
