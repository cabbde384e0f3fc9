/**
 * Backup and restore on PostgreSQL: PostgreSQL's own tools, pg_dump (custom format: compressed, and
 * pg_restore can list it and restore it selectively) and pg_restore. The connection is handed to
 * them through the libpq environment (PGHOST, PGPASSWORD…), never on their command line, where
 * `ps` shows it to every user of the machine, nor in anything printed
 * (https://www.postgresql.org/docs/current/libpq-envars.html).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BackupError } from './backup.js';

export type PgTool = 'pg_dump' | 'pg_restore';

/** Override for each tool's path (e.g. a pg_dump matching the server's major version). */
export const toolEnvVar: Record<PgTool, string> = { pg_dump: 'QBO_CONNECT_PG_DUMP', pg_restore: 'QBO_CONNECT_PG_RESTORE' };

/** The query parameters of a PostgreSQL URL that libpq also reads from the environment. */
const PARAM_ENV: Record<string, string> = {
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  application_name: 'PGAPPNAME',
  options: 'PGOPTIONS',
  host: 'PGHOST',
  port: 'PGPORT',
};

/** DATABASE_URL as libpq environment variables; the database name is also returned for pg_restore's --dbname. */
export function libpqEnv(databaseUrl: string): { env: Record<string, string>; database: string } {
  const url = new URL(databaseUrl);
  const env: Record<string, string> = {};
  if (url.hostname) env['PGHOST'] = decodeURIComponent(url.hostname.replace(/^\[|\]$/g, ''));
  if (url.port) env['PGPORT'] = url.port;
  if (url.username) env['PGUSER'] = decodeURIComponent(url.username);
  if (url.password) env['PGPASSWORD'] = decodeURIComponent(url.password);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database) env['PGDATABASE'] = database;
  for (const [key, value] of url.searchParams) {
    const name = PARAM_ENV[key];
    if (name) env[name] = value;
  }
  return { env, database: database || env['PGUSER'] || '' };
}

/** The tool's path: the override variable, else the first on PATH, else undefined. */
export function findTool(tool: PgTool, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env[toolEnvVar[tool]];
  if (override) {
    if (!fs.existsSync(override)) throw new BackupError(`${toolEnvVar[tool]}=${override}: no such file; point it at ${tool}, or unset it to use the one on PATH`);
    return override;
  }
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, tool);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The steps to run by hand when the tool is not installed: the connection comes from the same variables. */
export function manualSteps(tool: PgTool, file: string): string {
  const vars = 'PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE (the parts of DATABASE_URL)';
  if (tool === 'pg_dump') {
    return [
      `${tool} is not installed (not on PATH, and ${toolEnvVar[tool]} is not set). Back up the PostgreSQL database by hand:`,
      `  1. Install the PostgreSQL client tools of the server's major version (e.g. apt-get install postgresql-client-17), or set ${toolEnvVar[tool]} to its pg_dump.`,
      `  2. Set ${vars} in the environment — not on the command line, where other users can see them.`,
      `  3. Run: pg_dump --format=custom --no-owner --file=${file}`,
      `  4. Keep QBO_CONNECT_SECRET with the backup: the QuickBooks tokens in it are encrypted with it.`,
    ].join('\n');
  }
  return [
    `${tool} is not installed (not on PATH, and ${toolEnvVar[tool]} is not set). Restore the PostgreSQL database by hand:`,
    `  1. Stop every QBO Connect process that uses this database.`,
    `  2. Install the PostgreSQL client tools of the server's major version, or set ${toolEnvVar[tool]} to its pg_restore.`,
    `  3. Set ${vars} in the environment.`,
    `  4. Run: pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error --dbname="$PGDATABASE" ${file}`,
    `  5. Start QBO Connect with the QBO_CONNECT_SECRET the backup was taken with.`,
  ].join('\n');
}

export interface ToolResult {
  stdout: string;
  ms: number;
}

/**
 * Runs the tool with the connection in its environment. A failure becomes one line with the tool's
 * own first error line (libpq never prints the password).
 */
export function runTool(tool: PgTool, bin: string, args: string[], databaseUrl: string, opts: { what: string; stdout?: 'capture' | 'ignore' } = { what: '' }): Promise<ToolResult> {
  const { env } = libpqEnv(databaseUrl);
  const started = process.hrtime.bigint();
  const base = { ...process.env };
  // The product's own variables are not the tool's business; PG* from the URL win over inherited ones.
  delete base['DATABASE_URL'];
  delete base['QBO_CONNECT_SECRET'];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...base, ...env }, stdio: ['ignore', opts.stdout === 'capture' ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', (err) =>
      reject(new BackupError(`${tool} (${bin}) could not be run (${(err as NodeJS.ErrnoException).code ?? err.message}); install it, or set ${toolEnvVar[tool]} to it`)),
    );
    child.on('exit', (code, signal) => {
      if (code === 0) return resolve({ stdout, ms: Number(process.hrtime.bigint() - started) / 1e6 });
      const first =
        stderr
          .split('\n')
          .map((l) => l.trim())
          .find((l) => /error|fatal|abort/i.test(l)) ??
        stderr.trim().split('\n')[0] ??
        '';
      reject(new BackupError(`${tool} (${bin}) failed ${opts.what}(${signal ?? `exit ${code}`}): ${first || 'no message'}`));
    });
  });
}
