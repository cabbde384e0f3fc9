/**
 * The 'company-status' task (issue 15, the firm overview): with a `realmId`, builds that company's
 * preview and keeps its figures (connect/overview/status.ts); without one (the hourly recurring job),
 * adds one such job per connected company on the company's own queue, so it never runs beside the
 * company's sync and a slow company holds up no other. The overview's "Check now" (and
 * `qbo-connect firm check`) adds the same jobs on demand. A sync does not: its result is on the
 * overview at once from the runs themselves, and a check after every sync would double QBO's load.
 */
import { refreshCompanyStatus } from '../../connect/overview/index.js';
import { connectedRealms } from '../../connect/realm.js';
import type { JobQueue, TaskHandler } from '../queue.js';
import { companyQueue } from '../queue.js';

export function addCompanyStatusJob(jobs: JobQueue, realmId: string): Promise<void> {
  // Keyed per company: an hourly tick and a sync's follow-up meanwhile are one check.
  return jobs.add('company-status', { realmId }, { queueName: companyQueue(realmId), jobKey: `company-status:${realmId}`, maxAttempts: 3 });
}

export const companyStatus: TaskHandler = async (payload, { ctx, jobs }) => {
  const realmId = typeof payload['realmId'] === 'string' ? payload['realmId'] : undefined;
  if (!realmId) {
    for (const realm of await connectedRealms(ctx.db)) await addCompanyStatusJob(jobs, realm);
    return;
  }
  const connection = await ctx.qbo.connections.get(realmId);
  if (connection?.status !== 'connected') return;
  const status = await refreshCompanyStatus({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, client: ctx.qbo.company(realmId) }, realmId);
  ctx.logger.info({ realmId, errors: status.errors, held: status.held, problem: status.problem ? 'yes' : 'no' }, 'company status taken');
};
