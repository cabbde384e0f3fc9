/**
 * The real system under the model test: one emulator company per sequence, a product app on a fixed,
 * injected clock (SQLite file or a fresh PostgreSQL database), connected the way the web app
 * connects, and an "accountant": a second connection to the same company whose client edits QBO
 * and reads it back through QBO's public API (queries), never the emulator's internal dump.
 */
import pg from 'pg';
import { inject } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { createConnectionService } from '../../src/connect/connection/connection.js';
import { qboClientFor } from '../../src/connect/connection/qbo-client.js';
import { setSetting } from '../../src/connect/settings/store.js';
import type { RunningEmulator } from '../../src/emulator/run/server.js';
import { importDocument } from '../../src/practice/import.js';
import type { CompanyClient } from '../../src/qbo/client.js';
import type { Dialect } from '../../src/store/dialect.js';
import { connectCompany } from '../helpers/emulator-company.js';
import { testConfig } from '../helpers/config.js';
import { baseLedger } from './practice.js';
import { startPracticeB } from './practice-b.js';

/** The model's day: a fixed instant, moved only by the test (a kill lets the lock lapse). */
export const START = Date.parse('2026-11-20T02:00:00.000Z');

export interface ModelClock {
  (): Date;
  advance(ms: number): void;
}

export function fixedClock(start = START): ModelClock {
  let now = start;
  const c = (() => new Date(now)) as ModelClock;
  c.advance = (ms) => {
    now += ms;
  };
  return c;
}

export interface QboIds {
  item: string;
  gst: string;
  bank: string;
  method: string;
}

export interface System {
  emu: RunningEmulator;
  dialect: Dialect;
  realmId: string;
  clock: ModelClock;
  app: App;
  /** The accountant's (and the invariant checker's) own connection to the company. */
  accountant: CompanyClient;
  ids: QboIds;
  databaseUrl: string | undefined;
  /**
   * Practice B (issue 15): a second practice in the same database, with its own emulator company
   * (`realmId`, first: the whole ledger) and a second one for office routing (`realmIds[1]`, first: no office).
   */
  b: { practiceId: string; realmId: string; realmIds: [string, string] };
  close(): Promise<void>;
}

async function freshPostgresUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  const template = inject('pgTemplate');
  const name = `qbo_model_${Math.random().toString(16).slice(2, 12)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function firstId(client: CompanyClient, entity: 'Item' | 'TaxCode' | 'Account' | 'PaymentMethod', ok: (r: Record<string, unknown>) => boolean): Promise<string> {
  for await (const r of client.query(entity)) if (ok(r as Record<string, unknown>)) return r.Id;
  throw new Error(`no matching ${entity} in the emulator company`);
}

/** A new company in `emu`, a migrated product database, the base practice imported and mapped. */
export async function startSystem(emu: RunningEmulator, dialect: Dialect, name: string): Promise<System> {
  const clock = fixedClock();
  const company = emu.control.seedCompany({ preset: 'au', name });
  const pgDb = dialect === 'postgres' ? await freshPostgresUrl() : undefined;
  const env = { QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) };
  const config = testConfig(env);
  const app = await createApp(config, { clock });
  const realmId = await connectCompany(app, emu, company.realmId);
  // The accountant: another install connected to the same company (their own tokens, own SQLite).
  const accApp = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url }), { clock });
  await connectCompany(accApp, emu, company.realmId);
  const accountant = qboClientFor(accApp.ctx, realmId, { retry: { baseMs: 1, capMs: 5 } });
  const ids: QboIds = {
    item: await firstId(accountant, 'Item', (r) => r['Name'] === 'Services'),
    gst: await firstId(accountant, 'TaxCode', (r) => r['Name'] === 'GST'),
    bank: await firstId(accountant, 'Account', (r) => r['AccountType'] === 'Bank'),
    method: await firstId(accountant, 'PaymentMethod', (r) => r['Name'] === 'EFT'),
  };
  const report = await importDocument(app.ctx.db, 'default', baseLedger(), clock());
  if (!report.ok) throw new Error(`the base practice did not import: ${JSON.stringify(report.issues)}`);
  const set = (path: string, value: unknown) => setSetting(app.ctx.db, { realmId, path, value, actor: 'model', clock });
  await set('invoices.jobItems', 'fixed-item');
  await set('invoices.fixedItemId', ids.item);
  await set('invoices.memo', 'none');
  await set('tax.sales.GST', ids.gst);
  await set('payments.depositAccountId', ids.bank);
  await set('payments.methodByPaymentType.EFT', ids.method);
  await set('payments.direction', 'import');
  for (const k of ['invoices', 'creditNotes', 'payments', 'bills', 'staffExpenses']) await set(`general.exportFrom.${k}`, '2026-10-01');
  const b = await startPracticeB(app, emu, `${name} B`, clock);
  return {
    emu,
    dialect,
    realmId,
    clock,
    app,
    accountant,
    ids,
    databaseUrl: pgDb?.url,
    b,
    close: async () => {
      await app.close();
      await accApp.close();
      await pgDb?.drop();
    },
  };
}

/** Disconnect (revoking at QBO) and connect again, as a person would from the settings page. */
export async function disconnect(sys: System): Promise<void> {
  const svc = createConnectionService({ db: sys.app.ctx.db, config: sys.app.ctx.config, logger: sys.app.ctx.logger, clock: sys.clock });
  await svc.disconnect(sys.realmId, 'model');
}

export async function reconnect(sys: System): Promise<void> {
  await connectCompany(sys.app, sys.emu, sys.realmId);
}
