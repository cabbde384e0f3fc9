/**
 * A fresh, migrated database per test file (or per test), on each dialect (Kysely's pattern: every store test runs
 * once per dialect). `QBO_TEST_DIALECTS=sqlite` narrows the list on purpose; nothing narrows it silently.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, inject } from 'vitest';
import { openDatabase, type Db, type OpenDb } from '../../src/store/db.js';
import type { Dialect } from '../../src/store/dialect.js';

export const dialects: Dialect[] = (process.env.QBO_TEST_DIALECTS ?? 'sqlite,postgres')
  .split(',')
  .map((d) => d.trim())
  .filter((d): d is Dialect => d === 'sqlite' || d === 'postgres');

/**
 * A fresh PostgreSQL database cloned from the run's migrated template (a file copy, no migration
 * run): its URL, and how to drop it (FORCE: a test that failed may have left a pool open).
 */
export async function clonePostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  const name = `qbo_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** An empty PostgreSQL database (never migrated: for upgrade tests), its URL, and how to drop it. */
export async function emptyPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  const name = `qbo_empty_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A fresh database of one dialect; PostgreSQL ones are cloned from the migrated template. */
export async function freshDatabase(dialect: Dialect): Promise<OpenDb> {
  if (dialect === 'sqlite') return openDatabase({ sqliteFile: ':memory:' });
  const clone = await clonePostgres();
  const opened = await openDatabase({ databaseUrl: clone.url });
  return {
    ...opened,
    close: async () => {
      await opened.close();
      await clone.drop();
    },
  };
}

export interface EachDialectOptions {
  /**
   * 'each': a new database for every test (PostgreSQL cloned from the migrated template, so it
   * stays fast), so that no test reads what the one before it wrote: the block's tests pass alone,
   * in any order. Setup that writes to `ctx.db` then belongs in `beforeEach`, not `beforeAll`.
   * Default 'all': one database for the whole block.
   */
  fresh?: 'all' | 'each';
}

/**
 * Runs `body` once per dialect, each with its own fresh database for the whole describe block (or
 * for each test, `fresh: 'each'`). `ctx.db` is valid inside tests and hooks.
 */
export function describeEachDialect(name: string, body: (ctx: { readonly db: Db; readonly dialect: Dialect }) => void, opts: EachDialectOptions = {}): void {
  for (const dialect of dialects) {
    describe(`${name} [${dialect}]`, () => {
      let opened: OpenDb | undefined;
      const ctx = {
        dialect,
        get db(): Db {
          if (!opened)
            throw new Error(
              opts.fresh === 'each'
                ? 'database not open: with fresh: "each", use ctx.db inside a test or a beforeEach/afterEach hook'
                : 'database not open yet: use ctx.db inside a test or hook',
            );
          return opened.db;
        },
      };
      const open = async () => {
        opened = await freshDatabase(dialect);
      };
      const close = async () => {
        await opened?.close();
        opened = undefined;
      };
      if (opts.fresh === 'each') {
        beforeEach(open);
        afterEach(close);
      } else {
        beforeAll(open);
        afterAll(close);
      }
      body(ctx);
    });
  }
}
