/**
 * The per-record baseline: the same initial sync done the way typical connectors and automation
 * tools do it — for each record, one look-up (a query by DisplayName / Name / DocNumber; a payment
 * by its customer and date, its PaymentRefNum matched in the answer, since QBO does not document
 * PaymentRefNum as filterable and the strict emulator refuses it) and, when nothing is found, one
 * create; one record at a time, in dependency order. Same client, same limiter, same payloads (the
 * preview's), so the only difference is the method.
 *
 * At real time (scale 1) the whole baseline would take as long as QBO's 500 requests a minute allow
 * for two requests a record (ten minutes for the medium demo), so it may run on a slice: every n-th
 * create of each group plus the rows they depend on. Its cost per record does not depend on which
 * records (each is a look-up and a create at the same rate cap), so the bench scales it up and says so.
 */
import crypto from 'node:crypto';
import { groupOrder, type Plan, type PlanRow } from '../src/connect/plan/index.js';
import { actionableRows, fillReferences } from '../src/connect/run/execute.js';
import { rowsOf, type CompanyClient } from '../src/qbo/client.js';
import { quote } from '../src/qbo/query.js';
import type { EntityName } from '../src/qbo/wire-types.js';

export interface BaselineResult {
  records: number;
  lookups: number;
  created: number;
  found: number;
  failed: number;
  firstFailure?: string;
}

/** The rows of a slice: every n-th create of each group, and (transitively) the rows they depend on. */
export function sliceKeys(plan: Plan, every: number): Set<string> {
  const creates = plan.groups.flatMap((g) => actionableRows(g.rows).filter((r) => r.action === 'create'));
  const byKey = new Map(creates.map((r) => [r.key, r]));
  const keep = new Set<string>();
  const add = (key: string) => {
    const row = byKey.get(key);
    if (!row || keep.has(key)) return;
    keep.add(key);
    for (const d of row.dependsOn ?? []) add(d);
  };
  for (const g of plan.groups)
    actionableRows(g.rows)
      .filter((r) => r.action === 'create')
      .forEach((r, i) => i % every === 0 && add(r.key));
  return keep;
}

/** The query a typical connector matches an existing record with, and how it picks the match from the answer. */
function lookupOf(
  entity: string,
  body: Record<string, unknown>,
): { where: string; pick: (rows: Array<Record<string, unknown>>) => Record<string, unknown> | undefined } | undefined {
  if (entity === 'Payment') {
    const customer = (body['CustomerRef'] as { value?: string } | undefined)?.value;
    const ref = body['PaymentRefNum'];
    if (!customer || typeof body['TxnDate'] !== 'string') return undefined;
    return { where: `CustomerRef = ${quote(customer)} AND TxnDate = ${quote(body['TxnDate'])}`, pick: (rows) => rows.find((r) => ref !== undefined && r['PaymentRefNum'] === ref) };
  }
  const key = fieldOf(entity, body);
  return key && { where: `${key.field} = ${quote(key.value)}`, pick: (rows) => rows[0] };
}

function fieldOf(entity: string, body: Record<string, unknown>): { field: string; value: string } | undefined {
  const pick = (field: string) => (typeof body[field] === 'string' && body[field] ? { field, value: body[field] as string } : undefined);
  switch (entity) {
    case 'Customer':
    case 'Vendor':
    case 'Employee':
      return pick('DisplayName');
    case 'Item':
      return pick('Name');
    default:
      return pick('DocNumber');
  }
}

export async function perRecordSync(client: CompanyClient, plan: Plan, only?: Set<string>): Promise<BaselineResult> {
  const ids = new Map<string, string>();
  const result: BaselineResult = { records: 0, lookups: 0, created: 0, found: 0, failed: 0 };
  for (const kind of groupOrder) {
    const group = plan.groups.find((g) => g.kind === kind);
    if (!group || kind === 'payments-import') continue;
    const rows: PlanRow[] = actionableRows(group.rows).filter((r) => r.action === 'create' && (!only || only.has(r.key)));
    for (const row of rows) {
      result.records++;
      const missing: string[] = [];
      const body = fillReferences(row.payload ?? {}, (k) => ids.get(k), missing) as Record<string, unknown>;
      if (missing.length) {
        result.failed++;
        continue;
      }
      const entity = row.qbo.entity as EntityName;
      try {
        const lookup = lookupOf(entity, body);
        if (lookup) {
          result.lookups++;
          const resp = await client.rawQuery(`SELECT * FROM ${entity} WHERE ${lookup.where}`);
          const hit = lookup.pick(rowsOf(resp) as Array<Record<string, unknown>>) as { Id: string } | undefined;
          if (hit) {
            ids.set(row.key, hit.Id);
            result.found++;
            continue;
          }
        }
        const requestId = `bl-${crypto
          .createHash('sha256')
          .update(`${row.key}|${row.payloadHash ?? ''}`)
          .digest('hex')
          .slice(0, 32)}`;
        const created = await client.create(entity, body as never, { requestId });
        ids.set(row.key, (created as { Id: string }).Id);
        result.created++;
      } catch (err) {
        result.failed++;
        result.firstFailure ??= `${row.key}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  }
  return result;
}
