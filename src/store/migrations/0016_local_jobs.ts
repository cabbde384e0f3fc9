import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * Jobs (issue 16, src/jobs). `local_jobs` holds the in-process runner's jobs on SQLite (jobs/local-runner.ts),
 * so adding a job is part of the caller's transaction and a restart finds what was queued; on
 * PostgreSQL graphile-worker keeps its own schema and the table stays empty. `job_workers` is each
 * graphile-worker worker's heartbeat on the database's clock, so a worker whose process died is
 * unlocked in seconds instead of graphile-worker's 4 hours (jobs/pg-runner.ts). At most one queued run
 * per company (`runs_one_queued`): two clicks racing cannot both queue a sync.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const pg = dialectOf(db) === 'postgres';
  await db.schema
    .createTable('local_jobs')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('queue_name', 'text')
    .addColumn('job_key', 'text', (c) => c.unique())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('locked_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('local_jobs_run_at').on('local_jobs').columns(['run_at']).execute();
  await db.schema
    .createTable('job_workers')
    .addColumn('worker_id', 'text', (c) => c.primaryKey())
    .addColumn('process', 'text', (c) => c.notNull())
    .addColumn('beat_at', pg ? sql`timestamptz` : 'text', (c) => c.notNull())
    .execute();
  await sql`CREATE UNIQUE INDEX runs_one_queued ON runs (realm_id) WHERE status = 'queued'`.execute(db);
}
