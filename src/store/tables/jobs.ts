/** Tables of the job queue (migration 0016_local_jobs; src/jobs). */
import type { Generated } from 'kysely';

export interface JobTables {
  /** A job of the in-process runner (SQLite only; PostgreSQL uses graphile-worker's schema). */
  local_jobs: {
    id: Generated<number>;
    task: string;
    /** JSON */
    payload: string;
    queue_name: string | null;
    /** At most one job per key; cleared when the job starts, so a new add queues a new job. */
    job_key: string | null;
    /** UTC ISO: not before */
    run_at: string;
    attempts: Generated<number>;
    max_attempts: number;
    last_error: string | null;
    /** Set while running; a job locked by an earlier process is unlocked at start. */
    locked_at: string | null;
    created_at: string;
  };
  /** A graphile-worker worker's heartbeat (PostgreSQL; the database's clock). */
  job_workers: {
    worker_id: string;
    /** hostname:pid, for the operator */
    process: string;
    beat_at: Date | string;
  };
}
