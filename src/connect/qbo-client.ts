/**
 * A QBO client for a connected company, built from the application's configuration and the stored
 * (encrypted) tokens. One place, so the preview, the sync, the CLI and the API talk to QBO the same way.
 */
import type { AppContext } from '../app.js';
import { createQboClient, type CompanyClient, type QboClientOptions } from '../qbo/client.js';
import { createConnectionService } from './connection.js';

export type QboClientContext = Pick<AppContext, 'db' | 'config' | 'logger' | 'clock'>;

/** The company client for `realmId`; requests fail with a clear QBO error if the company is not connected. */
export function qboClientFor(ctx: QboClientContext, realmId: string, opts: Partial<Pick<QboClientOptions, 'fetch' | 'retry' | 'sleep' | 'limits'>> = {}): CompanyClient {
  const service = createConnectionService({ db: ctx.db, config: ctx.config, logger: ctx.logger, clock: ctx.clock, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const client = createQboClient({ endpoints: service.endpoints, store: service.store, logger: ctx.logger, clock: ctx.clock, ...opts });
  return client.company(realmId);
}
