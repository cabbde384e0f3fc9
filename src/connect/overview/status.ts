/**
 * A company's figures for the firm overview (issue 15): the preview built now, as the Preview page
 * builds it (a read: no settings pre-fill), counted and kept in `company_status`. Run by the
 * `company-status` job — never by a page: the overview reads only what is stored, so 200 companies
 * render without one QBO request, and a GET writes nothing.
 */
import type { Clock } from '../../context.js';
import type { Logger } from '../../log.js';
import type { CompanyClient } from '../../qbo/client.js';
import type { Db } from '../../store/db.js';
import { heldOf } from '../held/list.js';
import { buildPlan, type Plan } from '../plan/index.js';

export interface CompanyStatus {
  realmId: string;
  checkedAt: string;
  errors: number;
  warnings: number;
  ready: number;
  held: number;
  problem: string | null;
}

export interface StatusDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  client: CompanyClient;
}

/** The figures of a plan: rows with errors, warnings, rows ready to send, held records. */
export function countPlan(plan: Plan, held: number): Omit<CompanyStatus, 'realmId' | 'checkedAt' | 'problem'> {
  let ready = 0;
  // Ready: rows the next sync would act on — not skipped, no error, not held, and something to do (a
  // row with action 'none', e.g. a document another company holds, is not waiting for anything).
  for (const g of plan.groups)
    for (const r of g.rows) if (!r.skipped && r.action !== 'none' && !r.issues.some((i) => i.severity === 'error') && !r.fields?.conflicts.length) ready += 1;
  return { errors: plan.errors, warnings: plan.warnings, ready, held };
}

/** Builds the company's preview, counts it, and stores the figures (or why they could not be taken). */
export async function refreshCompanyStatus(deps: StatusDeps, realmId: string): Promise<CompanyStatus> {
  const checkedAt = deps.clock().toISOString();
  let status: CompanyStatus;
  try {
    const plan = await buildPlan({ db: deps.db, clock: deps.clock, logger: deps.logger, qbo: deps.client }, realmId, { actor: 'qbo-connect (overview)', prefill: false });
    const held = await heldOf(deps, realmId, plan);
    status = { realmId, checkedAt, ...countPlan(plan, held.length), problem: null };
  } catch (err) {
    // The figures of the last good check stay; the problem (never a token: messages are the client's refusals) is shown beside them.
    const problem = (err instanceof Error ? err.message : String(err)).slice(0, 300);
    const before = await readStatus(deps.db, realmId);
    status = before ? { ...before, checkedAt, problem } : { realmId, checkedAt, errors: 0, warnings: 0, ready: 0, held: 0, problem };
  }
  await deps.db
    .insertInto('company_status')
    .values({ realm_id: realmId, checked_at: status.checkedAt, errors: status.errors, warnings: status.warnings, ready: status.ready, held: status.held, problem: status.problem })
    .onConflict((oc) =>
      oc
        .column('realm_id')
        .doUpdateSet({ checked_at: status.checkedAt, errors: status.errors, warnings: status.warnings, ready: status.ready, held: status.held, problem: status.problem }),
    )
    .execute();
  return status;
}

export async function readStatus(db: Db, realmId: string): Promise<CompanyStatus | undefined> {
  const r = await db.selectFrom('company_status').selectAll().where('realm_id', '=', realmId).executeTakeFirst();
  return r
    ? { realmId, checkedAt: r.checked_at, errors: Number(r.errors), warnings: Number(r.warnings), ready: Number(r.ready), held: Number(r.held), problem: r.problem }
    : undefined;
}
