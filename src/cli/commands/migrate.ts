/**
 * `qbo-connect migrate`: the release step (docs/operations.md "Upgrading"). Applies this release's
 * pending migrations and prints one line per migration applied; `start --no-migrate` then only checks.
 * A failure is one line (main.ts, expected-failures.ts) and a non-zero exit.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { prepareDataFolder } from '../../data-folder.js';
import { installWorkerSchema, openDatabase } from '../../store/db.js';
import { runMigrations } from '../../store/migrate.js';
import { configFrom } from '../context.js';

const warn = (line: string) => process.stderr.write(`qbo-connect: warning: ${line}\n`);

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('bring the database to this release: apply its pending migrations, one line each (run before `start --no-migrate`)')
    .action(async (_opts, cmd: Command) => {
      const config = configFrom(cmd);
      const sqliteFile = path.join(config.dataDir, 'qbo-connect.db');
      if (!config.databaseUrl) prepareDataFolder(config.dataDir, sqliteFile);
      const opened = await openDatabase({ databaseUrl: config.databaseUrl, sqliteFile, migrate: false, onIdleError: () => {} });
      try {
        const result = await runMigrations(opened.db, warn);
        for (const line of result.renamed) console.log(`renamed ${line} (the name an earlier release recorded)`);
        for (const name of result.applied) console.log(`applied ${name}`);
        if (result.applied.length === 0) console.log(`The database (${opened.dialect}) is up to date: nothing to apply.`);
        // graphile-worker's own schema (jobs on PostgreSQL), before any process adds a job.
        if (config.databaseUrl) await installWorkerSchema(config.databaseUrl);
      } finally {
        await opened.close();
      }
    });
}
