/**
 * Hand-made plans for the sync tests: a few records of each group with exact QBO payloads, built
 * against the emulator company's own Ids. The planner drops rows that are linked already (as the
 * preview does), so a second sync sends nothing.
 */
import type { CompanyClient } from '../../src/qbo/client.js';
import type { Db } from '../../src/store/db.js';
import { groupOrder, type GroupKind, type Plan, type PlanRow } from '../../src/connect/plan/types.js';
import { testDate } from '../helpers/test-time.js';

export interface CompanyIds {
  item: string;
  gst: string;
  bank: string;
  expense: string;
}

export async function companyIds(client: CompanyClient): Promise<CompanyIds> {
  const first = async (entity: 'Item' | 'TaxCode' | 'Account', where: (q: import('../../src/qbo/query.js').QueryBuilder) => import('../../src/qbo/query.js').QueryBuilder) => {
    for await (const e of client.query(entity, where)) return (e as { Id: string }).Id;
    throw new Error(`no ${entity} in the emulator company`);
  };
  return {
    item: await first('Item', (q) => q.where('Name', '=', 'Services')),
    gst: await first('TaxCode', (q) => q.where('Name', '=', 'GST')),
    bank: await first('Account', (q) => q.where('AccountType', '=', 'Bank')),
    expense: await first('Account', (q) => q.where('AccountType', '=', 'Expense')),
  };
}

const hash = (s: string) => `h-${s}`;

export function row(group: GroupKind, kind: string, id: string, entity: string, payload: Record<string, unknown>, extra: Partial<PlanRow> = {}): PlanRow {
  return {
    key: `${group}:${id}`,
    group,
    record: { kind, id, label: `${kind} ${id}`, version: 1 },
    action: 'create',
    qbo: { entity },
    payload,
    payloadHash: hash(`${kind}:${id}:${JSON.stringify(payload)}`),
    dependsOn: [],
    practiceTotalCents: null,
    qboTotalCents: null,
    issues: [],
    ...extra,
  };
}

const ref = (key: string) => ({ value: `@row:${key}` });

/** `n` of each: customers, invoices (2 lines), credit notes, payments (applied to the invoice), suppliers, bills, staff expenses (bills to staff vendors). */
export function smallPractice(ids: CompanyIds, n = 2, tag = 'A'): PlanRow[] {
  const rows: PlanRow[] = [];
  for (let i = 1; i <= n; i++) {
    const c = `${tag}C${i}`;
    rows.push(row('customers', 'contact', c, 'Customer', { DisplayName: `Client ${c}`, Notes: `qbo-connect:contact:${c}` }));
    const inv = `${tag}INV-${i}`;
    // 100.00 + 50.55 ex GST (10 %): tax 10.00 + 5.06 (per line, half-up) → 165.61
    rows.push(
      row(
        'invoices',
        'invoice',
        inv,
        'Invoice',
        {
          DocNumber: inv,
          TxnDate: '2026-11-02',
          CustomerRef: ref(`customers:${c}`),
          GlobalTaxCalculation: 'TaxExcluded',
          Line: [
            { DetailType: 'SalesItemLineDetail', Amount: 100, SalesItemLineDetail: { ItemRef: { value: ids.item }, Qty: 1, UnitPrice: 100, TaxCodeRef: { value: ids.gst } } },
            { DetailType: 'SalesItemLineDetail', Amount: 50.55, SalesItemLineDetail: { ItemRef: { value: ids.item }, Qty: 1, UnitPrice: 50.55, TaxCodeRef: { value: ids.gst } } },
          ],
        },
        { dependsOn: [`customers:${c}`], practiceTotalCents: 16561, qboTotalCents: 16561 },
      ),
    );
    const cn = `${tag}CN-${i}`;
    rows.push(
      row(
        'credit-notes',
        'credit-note',
        cn,
        'CreditMemo',
        {
          DocNumber: cn,
          TxnDate: '2026-11-03',
          CustomerRef: ref(`customers:${c}`),
          GlobalTaxCalculation: 'TaxExcluded',
          Line: [{ DetailType: 'SalesItemLineDetail', Amount: 10, SalesItemLineDetail: { ItemRef: { value: ids.item }, Qty: 1, UnitPrice: 10, TaxCodeRef: { value: ids.gst } } }],
        },
        { dependsOn: [`customers:${c}`], practiceTotalCents: 1100, qboTotalCents: 1100 },
      ),
    );
    const pay = `${tag}R-${i}`;
    rows.push(
      row(
        'payments-export',
        'payment',
        pay,
        'Payment',
        {
          TxnDate: '2026-11-05',
          CustomerRef: ref(`customers:${c}`),
          TotalAmt: 50,
          DepositToAccountRef: { value: ids.bank },
          PaymentRefNum: pay,
          Line: [{ Amount: 50, LinkedTxn: [{ TxnId: `@row:invoices:${inv}`, TxnType: 'Invoice' }] }],
        },
        { dependsOn: [`customers:${c}`, `invoices:${inv}`], practiceTotalCents: 5000, qboTotalCents: 5000 },
      ),
    );
    const s = `${tag}S${i}`;
    rows.push(row('suppliers', 'supplier', s, 'Vendor', { DisplayName: `Supplier ${s}` }));
    const bill = `${tag}B-${i}`;
    rows.push(
      row(
        'bills',
        'bill',
        bill,
        'Bill',
        {
          DocNumber: bill,
          TxnDate: '2026-11-04',
          VendorRef: ref(`suppliers:${s}`),
          GlobalTaxCalculation: 'TaxExcluded',
          Line: [
            { DetailType: 'AccountBasedExpenseLineDetail', Amount: 200, AccountBasedExpenseLineDetail: { AccountRef: { value: ids.expense }, TaxCodeRef: { value: ids.gst } } },
          ],
        },
        { dependsOn: [`suppliers:${s}`], practiceTotalCents: 22000, qboTotalCents: 22000 },
      ),
    );
    const st = `${tag}ST${i}`;
    rows.push(row('suppliers', 'staff', st, 'Vendor', { DisplayName: `Staff ${st}` }));
    const se = `${tag}SE-${i}`;
    rows.push(
      row(
        'staff-expenses',
        'staff-expense',
        se,
        'Bill',
        {
          DocNumber: se,
          TxnDate: '2026-11-06',
          VendorRef: ref(`suppliers:${st}`),
          GlobalTaxCalculation: 'TaxExcluded',
          Line: [
            { DetailType: 'AccountBasedExpenseLineDetail', Amount: 33.33, AccountBasedExpenseLineDetail: { AccountRef: { value: ids.expense }, TaxCodeRef: { value: ids.gst } } },
          ],
        },
        { dependsOn: [`suppliers:${st}`], practiceTotalCents: 3666, qboTotalCents: 3666 },
      ),
    );
  }
  return rows;
}

/** A planner over fixed rows that leaves out what is linked already, as the preview does. */
export function handPlanner(db: Db, rows: () => PlanRow[]): (realmId: string) => Promise<Plan> {
  return async (realmId) => {
    const links = await db.selectFrom('links').select(['record_kind', 'record_key']).where('realm_id', '=', realmId).execute();
    const linked = new Set(links.map((l) => `${l.record_kind}:${l.record_key}`));
    const all = rows().filter((r) => r.action !== 'create' || !linked.has(`${r.record.kind}:${r.record.id}`));
    const groups = groupOrder.map((kind) => {
      const rs = all.filter((r) => r.group === kind);
      return { kind, rows: rs, records: rs.length, errors: 0, warnings: 0, totalCents: rs.reduce((s, r) => s + (r.practiceTotalCents ?? 0), 0) };
    });
    return { realmId, builtAt: testDate().toISOString(), settingsHash: 'test', groups, errors: 0, warnings: 0, qboRequests: 0 };
  };
}
