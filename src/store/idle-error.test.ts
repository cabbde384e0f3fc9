/**
 * A pooled PostgreSQL connection that dies while idle (server restart, an administrator ending the
 * session) must not end the process: node-postgres emits `error` on the pool, and Node turns an
 * unheard `error` event into an uncaught exception. The next query simply opens a new connection.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { expect, inject, it } from 'vitest';
import { openDatabase } from './db.js';

it('an idle PostgreSQL connection ended by the server is reported, and the next query works', async () => {
  const adminUrl = inject('pgAdminUrl');
  const name = `qbo_idle_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const reported: string[] = [];
    const opened = await openDatabase({ databaseUrl: url.toString(), onIdleError: (err) => reported.push(err.message) });
    try {
      const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(opened.db)).rows[0]!.pid;
      // The connection is back in the pool, idle: end it from the server's side.
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      for (let i = 0; i < 200 && reported.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(reported.length).toBe(1);
      expect(reported[0]).toMatch(/terminat/i);
      const again = await sql<{ one: number }>`select 1 as one`.execute(opened.db);
      expect(again.rows[0]!.one).toBe(1);
    } finally {
      await opened.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
});
