/**
 * 'company-changes': QBO said a company changed (POST /webhooks/intuit, coalesced per company by its
 * jobKey). Adapts the job to connect/changes: the company's client, and — when its settings import
 * payments — an import-only run under the company's lock, in the history as started by "QBO webhook".
 * A company no longer connected is done with (nothing to ask QBO); a lock held by a sync throws, so
 * the queue retries later (the running sync may already import the payments; the retry then finds
 * them linked and does nothing).
 */
import { applyQboChanges } from '../../connect/changes/apply.js';
import { syncDepsFor } from '../../connect/run/deps.js';
import { sync } from '../../connect/run/sync.js';
import type { TaskHandler } from '../queue.js';

export const WEBHOOK_ACTOR = 'QBO webhook';

export const companyChanges: TaskHandler = async (payload, { ctx }) => {
  const realmId = typeof payload['realmId'] === 'string' ? payload['realmId'] : undefined;
  if (!realmId) throw new Error(`company-changes: the job's payload has no realmId (got ${JSON.stringify(Object.keys(payload))})`);
  const connection = await ctx.qbo.connections.get(realmId);
  if (connection?.status !== 'connected') {
    ctx.logger.info({ realmId }, 'QBO changes not applied: the company is not connected here');
    return;
  }
  await applyQboChanges(
    {
      db: ctx.db,
      clock: ctx.clock,
      logger: ctx.logger,
      client: ctx.qbo.company(realmId),
      importPayments: async () => {
        const r = await sync(syncDepsFor(ctx, realmId, { actor: WEBHOOK_ACTOR }), { realmId, actor: WEBHOOK_ACTOR, only: 'payments-import' });
        return { runId: r.runId, status: r.status };
      },
    },
    realmId,
  );
};
