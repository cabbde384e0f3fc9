/**
 * The per-record baseline: the same initial sync done the way typical connectors and automation
 * tools do it — for each record, one look-up (a query by DisplayName / Name / DocNumber /
 * PaymentRefNum) and, when nothing is found, one create; one record at a time, in dependency order.
 * Same client, same limiter, same payloads (the preview's), so the only difference is the method.
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

/** The field a typical connector matches an existing record on. */
function lookupOf(entity: string, body: Record<string, unknown>): { field: string; value: string } | undefined {
  const pick = (field: string) => (typeof body[field] === 'string' && body[field] ? { field, value: body[field] as string } : undefined);
  switch (entity) {
    case 'Customer':
    case 'Vendor':
    case 'Employee':
      return pick('DisplayName');
    case 'Item':
      return pick('Name');
    case 'Payment':
      return pick('PaymentRefNum');
    default:
      return pick('DocNumber');
  }
}

export async function perRecordSync(client: CompanyClient, plan: Plan): Promise<BaselineResult> {
  const ids = new Map<string, string>();
  const result: BaselineResult = { records: 0, lookups: 0, created: 0, found: 0, failed: 0 };
  for (const kind of groupOrder) {
    const group = plan.groups.find((g) => g.kind === kind);
    if (!group || kind === 'payments-import') continue;
    const rows: PlanRow[] = actionableRows(group.rows).filter((r) => r.action === 'create');
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
        const key = lookupOf(entity, body);
        if (key) {
          result.lookups++;
          const resp = await client.rawQuery(`SELECT * FROM ${entity} WHERE ${key.field} = ${quote(key.value)}`);
          const hit = rowsOf(resp)[0] as { Id: string } | undefined;
          if (hit) {
            ids.set(row.key, hit.Id);
            result.found++;
            continue;
          }
        }
        const requestId = `bl-${crypto.createHash('sha256').update(`${row.key}|${row.payloadHash ?? ''}`).digest('hex').slice(0, 32)}`;
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
