/**
 * The Sync page's words for held rows: rows a scheduled `sync-ready` run held because of their errors
 * read "held because of errors", each with its own sentence (the record, its error, what to do: fix it
 * in the practice or skip it; the next sync sends it), apart from rows held for a person's review
 * (diverged, a write to settle), which point to the Held records page. Runs and their records are
 * stored as the engine stores them (problemsMessage, the run's reason sentences) and the page is
 * asked through the app's routes as a signed-in viewer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../src/accounts/sessions.js';
import { createUser } from '../src/accounts/users.js';
import { hashPassword } from '../src/accounts/passwords.js';
import { createApp, type App } from '../src/app.js';
import { problemsMessage } from '../src/connect/run/history.js';
import { sentence } from '../src/connect/run/reasons.js';
import { createHttpApp } from '../src/server/http.js';
import { testConfig } from './helpers/config.js';

const error = 'Invoice INV-9: number is longer than 21 characters; shorten it or skip the invoice.';

describe('the Sync page for a run that held rows', () => {
  let app: App;
  let get: (path: string) => Promise<string>;

  beforeAll(async () => {
    app = await createApp(testConfig());
    const db = app.ctx.db;
    const user = await createUser(db, { email: 'viewer@example.com', name: 'Vi', role: 'viewer', passwordHash: await hashPassword('viewer password 123') });
    const { cookieValue } = await createSession(db, user, app.ctx.clock());
    const http = createHttpApp(app.ctx);
    const origin = new URL(app.ctx.config.publicUrl).origin;
    get = async (path) => {
      const res = await http.request(`${origin}${path}`, { headers: { accept: 'text/html', cookie: `qbc_session=${cookieValue}` } });
      expect(res.status, path).toBe(200);
      return (await res.text()).replaceAll('&#39;', "'");
    };
    const run = (id: string, held: number, heldForErrors: number) => ({
      id,
      realm_id: '4620',
      started_by: 'schedule',
      started_at: '2026-11-02T00:00:00.000Z',
      finished_at: '2026-11-02T00:00:05.000Z',
      status: 'failed',
      settings: '{}',
      processed: 5,
      created: 3,
      adopted: 0,
      updated: 0,
      voided: 0,
      imported: 0,
      failed: 0,
      held,
      message: problemsMessage(id, 0, held, heldForErrors),
      progress_group: null,
      undoes: null,
    });
    // A run belongs to a company of the practice (the page reads runs within the request's practice).
    const at = '2026-11-01T00:00:00.000Z';
    await db
      .insertInto('connections')
      .values({
        realm_id: '4620',
        company_name: 'Co',
        region: 'AU',
        status: 'disconnected',
        access_token_enc: null,
        refresh_token_enc: null,
        access_expires_at: null,
        refresh_expires_at: null,
        refresh_hard_expires_at: null,
        connected_at: at,
        connected_by: null,
        disconnected_reason: 'disconnected',
        updated_at: at,
        lock_owner: null,
        lock_until: null,
      })
      .execute();
    await db
      .insertInto('runs')
      .values([run('run-mixed', 3, 2), run('run-errors', 1, 1), run('run-review', 1, 0)])
      .execute();
    const record = (runId: string, key: string, code: string, message: string) => ({
      run_id: runId,
      row_key: `invoices:${key}`,
      group_kind: 'invoices',
      record_kind: 'invoice',
      record_key: key,
      label: `Invoice ${key}`,
      action: 'create',
      qbo_entity: 'Invoice',
      qbo_id: null,
      status: 'held',
      code,
      message,
      at: '2026-11-02T00:00:04.000Z',
    });
    await db
      .insertInto('run_records')
      .values([
        record('run-mixed', 'INV-9', 'run.held-plan-error', sentence('run.held-plan-error', { record: 'Invoice INV-9', detail: error })),
        record('run-mixed', 'R-9', 'run.held-needs-error-row', sentence('run.held-needs-error-row', { record: 'Payment R-9', detail: 'Invoice INV-9' })),
        record('run-mixed', 'INV-3', 'run.diverged', sentence('run.diverged', { record: 'Invoice INV-3', entity: 'Invoice', qboId: '130' })),
        record('run-errors', 'INV-9', 'run.held-plan-error', sentence('run.held-plan-error', { record: 'Invoice INV-9', detail: error })),
      ])
      .execute();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('names each row held because of its error, with its error and what to do, apart from the rows held for review', async () => {
    const mixed = await get('/sync/runs/run-mixed/progress');
    expect(mixed).toContain('Finished with 3 held: 2 because of errors, 1 for review');
    expect(mixed).toContain('2 held because of their errors, 1 held for review.');
    expect(mixed).toContain('Held because of their errors (2)');
    expect(mixed).toContain(
      `Invoice INV-9: held, not sent, by a scheduled sync that sends the records that are ready: ${error} Fix it in the practice system or skip it; the next sync sends it.`,
    );
    expect(mixed).toContain('Payment R-9: held, not sent, because it needs Invoice INV-9, which has an error');
    expect(mixed).toContain('Fix it in the practice system, or skip it on the preview; the next sync sends it.');
    // The diverged row is for a person: the Held records page, and not listed among the errors.
    expect(mixed).toMatch(/Held for review \(1\): changed in QuickBooks too, or a write still to settle; decide on the <a href="\/held">Held records<\/a> page/);
    expect(mixed).not.toContain('Invoice INV-3: ');

    const errorsOnly = await get('/sync/runs/run-errors/progress');
    expect(errorsOnly).toContain('Finished with 1 held because of errors');
    expect(errorsOnly).toContain(error);
    expect(errorsOnly).not.toContain('held for review');
    expect(errorsOnly).not.toContain('Held for review');

    // A run that held rows only for review reads as before.
    const review = await get('/sync/runs/run-review/progress');
    expect(review).toContain('Finished with 1 held for review');
    expect(review).toContain('1 held for review.');
    expect(review).not.toContain('because of');
  });
});
