/**
 * The practice's lists the preview maps with (read whole: there are few), and the one-time pre-fill of
 * a company's settings from them and QBO's lists.
 */
import type { Clock } from '../../app.js';
import { listRecords, type StoredRecord } from '../../practice/store.js';
import type { Db } from '../../store/db.js';
import { getMeta, setMeta } from '../../store/meta.js';
import { applyPrefill } from '../settings/store.js';
import type { PracticeLists } from './context.js';
import type { QboLists } from './qbo-snapshot.js';

export async function loadPracticeLists(db: Db): Promise<PracticeLists & { costCentres: StoredRecord<'cost-centre'>[]; disciplines: StoredRecord<'discipline'>[] }> {
  const all = async <K extends 'contact' | 'staff' | 'project' | 'tax-code' | 'payment-type' | 'expense-type' | 'cost-centre' | 'discipline'>(kind: K) => {
    const out: StoredRecord<K>[] = [];
    for (let offset: number | null = 0; offset !== null; ) {
      const page: Awaited<ReturnType<typeof listRecords<K>>> = await listRecords(db, kind, { limit: 1000, offset });
      out.push(...page.items);
      offset = page.nextOffset;
    }
    return out;
  };
  const byKey = <K extends 'contact' | 'staff' | 'project' | 'tax-code' | 'payment-type' | 'expense-type'>(xs: StoredRecord<K>[]) => new Map(xs.map((x) => [x.key, x]));
  return {
    contacts: byKey(await all('contact')),
    staff: byKey(await all('staff')),
    projects: byKey(await all('project')),
    taxCodes: byKey(await all('tax-code')),
    paymentTypes: byKey(await all('payment-type')),
    expenseTypes: byKey(await all('expense-type')),
    costCentres: await all('cost-centre'),
    disciplines: await all('discipline'),
  };
}

export const prefillDoneKey = (realmId: string) => `connect.prefill.${realmId}`;

/** Once per company: fill the still-unset mappings from QBO's lists and the practice's (connect/settings/prefill.ts). */
export async function prefillOnce(deps: { db: Db; clock: Clock }, realmId: string, lists: QboLists, practice: Awaited<ReturnType<typeof loadPracticeLists>>, actor: string): Promise<void> {
  if (await getMeta(deps.db, prefillDoneKey(realmId))) return;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  await applyPrefill(deps.db, {
    realmId,
    actor,
    clock: deps.clock,
    input: {
      region: lists.region,
      qboTaxCodes: [...lists.taxCodes.values()].map((t) => ({ id: t.id, name: t.name, active: t.active, salesRatePercent: t.hasSales ? sum(t.salesRates) : null, purchaseRatePercent: t.hasPurchases ? sum(t.purchaseRates) : null })),
      qboPaymentMethods: lists.paymentMethods.map((m) => ({ id: m.Id, name: String(m['Name'] ?? ''), active: m['Active'] !== false })),
      qboAccounts: lists.accounts.map((a) => ({
        id: a.Id,
        name: String(a['Name'] ?? ''),
        accountType: String(a['AccountType'] ?? ''),
        accountSubType: typeof a['AccountSubType'] === 'string' ? a['AccountSubType'] : undefined,
        acctNum: typeof a['AcctNum'] === 'string' ? a['AcctNum'] : undefined,
        active: a['Active'] !== false,
      })),
      practiceTaxCodes: [...practice.taxCodes.values()].map((t) => ({ code: t.key, name: t.record.name, ratePercent: t.record.rateBasisPoints / 100 })),
      practicePaymentTypes: [...practice.paymentTypes.values()].map((p) => ({ code: p.key, name: p.record.name })),
      costCentres: practice.costCentres.map((c) => ({ code: c.key, name: c.record.name, accountCode: c.record.incomeAccountCode ?? null })),
      disciplines: practice.disciplines.map((c) => ({ code: c.key, name: c.record.name, accountCode: c.record.incomeAccountCode ?? null })),
      expenseTypes: [...practice.expenseTypes.values()].map((c) => ({ code: c.key, name: c.record.name, accountCode: c.record.expenseAccountCode ?? null })),
    },
  });
  await setMeta(deps.db, prefillDoneKey(realmId), deps.clock().toISOString(), deps.clock());
}
