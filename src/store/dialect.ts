/** The few places the two dialects differ, in one module. */
import type { ColumnDataType, Kysely } from 'kysely';
import { PostgresAdapter } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function dialectOf(db: Kysely<any>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Integer cents and other counters that can pass 2^31: bigint on Postgres (parsed back to number). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function bigintType(db: Kysely<any>): ColumnDataType {
  return dialectOf(db) === 'postgres' ? 'bigint' : 'integer';
}
