/**
 * Issue 17: PostgreSQL failures at start that node-postgres reports without a code (a server that
 * closes the connection, or does not answer in time) or with one the migrations meet (42501: the login
 * may not create tables) are one line naming DATABASE_URL — as `database migration … failed` wraps them.
 */
import { describe, expect, it } from 'vitest';
import { expectedFailure } from '../../src/cli/expected-failures.js';

const pgEnv = { DATABASE_URL: 'postgres://qbo:secret-pw@db.internal:5432/qbo' };
const wrapped = (cause: Error) => new Error(`database migration 0001_meta failed: ${cause.message}`, { cause });

describe('expected PostgreSQL failures at start', () => {
  it.each([
    ['Connection terminated unexpectedly', /closed the connection before answering/],
    ['timeout exceeded when trying to connect', /did not answer within 10 s/],
    ['Connection terminated due to connection timeout', /did not answer within 10 s/],
  ])('%s (no code) is one line naming DATABASE_URL', (message, says) => {
    const line = expectedFailure(wrapped(new Error(message)), pgEnv);
    expect(line).toMatch(/^DATABASE_URL: /);
    expect(line).toMatch(says);
    expect(line).not.toContain('secret-pw');
  });

  it('42501 (permission denied while migrating) says which right is missing', () => {
    const cause = Object.assign(new Error('permission denied for schema public'), { code: '42501' });
    expect(expectedFailure(wrapped(cause), pgEnv)).toMatch(/^DATABASE_URL: that PostgreSQL user may not create or change the tables \(42501/);
  });

  it('without DATABASE_URL the same messages are not taken for a database failure', () => {
    expect(expectedFailure(wrapped(new Error('Connection terminated unexpectedly')), {})).toBeUndefined();
  });
});

describe('a QuickBooks answer of an unexpected shape (issue 18)', () => {
  it('is one line naming the field, not a stack', async () => {
    const { QboProtocolError } = await import('../../src/qbo/client.js');
    const line = expectedFailure(
      new QboProtocolError('QuickBooks answered the preferences with an unexpected shape at AccountingInfoPrefs.BookCloseDate: expected string, received null', 'tid-1'),
      {},
    );
    expect(line).toMatch(/AccountingInfoPrefs\.BookCloseDate/);
    expect(line).not.toContain('\n');
  });
});
