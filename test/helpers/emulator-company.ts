/**
 * A product context connected to a company of a running emulator, in process: the connection flow
 * (authorize → emulator consent → code exchange) exactly as the web app runs it, so tokens are stored
 * encrypted in the test database like in production.
 */
import { createApp, type App } from '../../src/app.js';
import { followEmulatorConsent } from '../../src/cli/auto-consent.js';
import type { Config } from '../../src/config.js';
import { createConnectionService } from '../../src/connect/connection/connection.js';
import type { RunningEmulator } from '../../src/emulator/run/server.js';
import { testConfig } from './config.js';

export interface ConnectedApp {
  app: App;
  config: Config;
  realmId: string;
}

/**
 * A fresh data folder and SQLite file, migrated, connected to the emulator's company (first one by
 * default). It runs the queued jobs like `start` does (a click's sync is a job: jobs/enqueue-sync.ts).
 */
export async function connectedApp(emu: RunningEmulator, opts: { company?: string; config?: Config } = {}): Promise<ConnectedApp> {
  const config = opts.config ?? testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url });
  const app = await createApp(config, { runJobs: true });
  const realmId = await connectCompany(app, emu, opts.company);
  return { app, config, realmId };
}

export async function connectCompany(app: App, emu: RunningEmulator, company?: string): Promise<string> {
  const svc = createConnectionService({ db: app.ctx.db, config: app.ctx.config, logger: app.ctx.logger, clock: app.ctx.clock });
  const begun = await svc.beginConnect({ actor: 'test', ...(company ? { company } : {}) });
  const q = await followEmulatorConsent(begun.url, company ?? emu.control.companies()[0]!.realmId);
  const status = await svc.completeConnect({ ...q, actor: 'test' });
  if (status.state !== 'connected' || !q.realmId) throw new Error(`test could not connect: ${status.message}`);
  return q.realmId;
}
