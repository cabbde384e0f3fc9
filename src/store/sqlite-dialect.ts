/**
 * Kysely's SQLite dialect, made to migrate all-or-nothing (issue 17).
 *
 * Kysely's SqliteAdapter says SQLite has no transactional DDL, so its Migrator runs each migration
 * statement by statement: a crash half-way through one left its first statements applied and its
 * name unrecorded, and every later start failed on them ("duplicate column name"). SQLite does roll
 * back CREATE/ALTER/DROP with the transaction, so this adapter says so, and the Migrator runs the
 * pending migrations in one transaction.
 *
 * Two `migrate` processes on a fresh database: a deferred `BEGIN` that reads first (the Migrator reads
 * kysely_migration) and writes later cannot wait for the other writer (SQLite answers SQLITE_BUSY at
 * once rather than break its snapshot). So every transaction here starts with `BEGIN IMMEDIATE`: it
 * takes the write lock first and a second process waits on busy_timeout (db.ts) instead of failing.
 * That serialises the migrations (the second finds nothing pending); Kysely's lock hooks stay no-ops
 * because better-sqlite3 has one connection per process and the write lock is the cross-process lock.
 *
 * PostgreSQL needs none of this: Kysely's PostgresAdapter has transactional DDL and takes a session
 * advisory lock (pg_advisory_lock, node_modules/kysely/dist/cjs/dialect/postgres/postgres-adapter.js).
 */
import { CompiledQuery, SqliteAdapter, SqliteDialect, type DatabaseConnection, type DialectAdapter, type Driver, type SqliteDialectConfig } from 'kysely';

export class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class TransactionalSqliteDialect extends SqliteDialect {
  constructor(config: SqliteDialectConfig) {
    super(config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    // Own property shadows the prototype method; the rest of the driver is Kysely's.
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}
