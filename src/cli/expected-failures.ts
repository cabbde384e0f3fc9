/**
 * Failures a person can expect and fix — the database is down, a port is taken, the data folder is
 * not writable, the token key is wrong — as one line saying what and how to fix it (issue 12 §12).
 * Anything not recognised here is a bug, and main.ts prints its stack.
 */
import { VaultError } from '../connect/connection/crypto.js';
import { DataFolderError } from '../data-folder.js';
import { PracticeBusyError } from '../practice/store.js';
import { PG_CONNECT_TIMEOUT_MS } from '../store/db.js';
import { MigrationError } from '../store/migrate.js';
import { KeyRotationError } from '../connect/connection/key-rotation.js';
import { QboProtocolError } from '../qbo/client.js';

interface ErrnoLike {
  code?: unknown;
  errors?: unknown;
  address?: unknown;
  port?: unknown;
  path?: unknown;
  message?: unknown;
}

const DB_UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);
/** PostgreSQL SQLSTATEs for a wrong login, a missing database, or a server that refuses connections now. */
const DB_REFUSED: Record<string, string> = {
  '28P01': 'the user name or password is wrong',
  '28000': 'the user may not log in',
  '3D000': 'the database does not exist',
  '57P03': 'the server is starting up or shutting down',
  '53300': 'the server has too many connections',
};

function codeOf(err: unknown, depth = 0): string | undefined {
  const e = err as ErrnoLike & { cause?: unknown };
  if (!e || depth > 5) return undefined;
  if (typeof e.code === 'string') return e.code;
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  if (Array.isArray(e.errors)) for (const inner of e.errors) if (typeof (inner as ErrnoLike)?.code === 'string') return (inner as ErrnoLike).code as string;
  // A wrapped failure (the migration's "database migration failed") keeps the original as its cause.
  return e.cause !== undefined ? codeOf(e.cause, depth + 1) : undefined;
}

/** The messages of `err` and its causes (node-postgres reports a closed or silent server with no code). */
function messagesOf(err: unknown, depth = 0): string[] {
  const e = err as { message?: unknown; cause?: unknown } | undefined;
  if (!e || depth > 5) return [];
  return [typeof e.message === 'string' ? e.message : '', ...(e.cause !== undefined ? messagesOf(e.cause, depth + 1) : [])];
}

/** node-postgres' own words when the server closed the connection or did not answer in time (pg-pool, pg/lib/client.js). */
function postgresWithoutCode(err: unknown): string | undefined {
  const text = messagesOf(err).join('\n');
  // The timeout first: node-postgres ends a silent connection itself, so its cause reads "terminated
  // unexpectedly" too, and the person must hear that the server did not answer (issue 17).
  if (/timeout exceeded when trying to connect|Connection terminated due to connection timeout/.test(text)) {
    return `DATABASE_URL: the server accepted the connection but did not answer within ${PG_CONNECT_TIMEOUT_MS / 1000} s; check that it is a PostgreSQL server that is running and that DATABASE_URL names its host and port.`;
  }
  if (/Connection terminated unexpectedly/.test(text)) {
    return 'DATABASE_URL: the server closed the connection before answering (is that host and port a PostgreSQL server that accepts this client?); fix DATABASE_URL or the server.';
  }
  return undefined;
}

/** The one line for an expected failure, or undefined when `err` is not one. */
export function expectedFailure(err: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (err instanceof VaultError) return `${err.message}.`;
  if (err instanceof DataFolderError) return err.message;
  if (err instanceof PracticeBusyError) return `${err.message}.`;
  if (err instanceof KeyRotationError) return err.message;
  // QuickBooks answered in a shape we cannot read: one line naming the field (client.ts parse), not a stack.
  if (err instanceof QboProtocolError) return `${err.message}. Nothing was written from that answer; report it with the intuit_tid ${err.intuitTid ?? '(none)'}.`;
  // A migration that failed because the database is down says so; any other says which migration and why.
  if (err instanceof MigrationError) return (err.cause !== undefined ? expectedFailure(err.cause, env) : undefined) ?? err.message;
  const code = codeOf(err);
  const usesPostgres = !!env.DATABASE_URL;
  if (!code) return usesPostgres ? postgresWithoutCode(err) : undefined;
  if (usesPostgres && DB_UNREACHABLE.has(code)) {
    return `DATABASE_URL: the PostgreSQL server cannot be reached (${code}); start it, or set DATABASE_URL to a server that is running.`;
  }
  if (usesPostgres && DB_REFUSED[code]) return `DATABASE_URL: PostgreSQL refused the connection (${DB_REFUSED[code]}); fix DATABASE_URL.`;
  // The migrations create tables: a login without that right fails there (issue 17), not as a bug.
  if (usesPostgres && code === '42501') {
    return 'DATABASE_URL: that PostgreSQL user may not create or change the tables (42501 permission denied); grant it on the database and its schema, or run the migrations as the owner.';
  }
  if (code === 'EADDRINUSE') {
    const port = (err as ErrnoLike).port;
    return `port ${typeof port === 'number' ? port : ''} is already in use; stop the other program or choose another port (--port or QBO_CONNECT_PORT).`.replace(
      'port  is',
      'the port is',
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY') {
    const where = typeof (err as ErrnoLike).path === 'string' ? ` (${String((err as ErrnoLike).path)})` : '';
    return `QBO_CONNECT_DATA_DIR: the data folder cannot be written${where} (${code}); choose a folder this user owns with --data-dir or QBO_CONNECT_DATA_DIR.`;
  }
  return undefined;
}
