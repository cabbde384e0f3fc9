/**
 * The practice's lists the preview maps with (read whole: there are few), and the one-time pre-fill of
 * a company's settings from them and QBO's lists.
 */
import type { Clock } from '../../context.js';
import { listRecords, type StoredRecord } from '../../practice/store.js';
import { practiceOfRealm } from '../realm.js';
import type { Db } from '../../store/db.js';
import { getMeta, setMeta } from '../../store/meta.js';
import type { Entity } from '../../qbo/wire-types.js';
import { accountInfoFromQbo, paymentMethodInfoFromQbo, taxCodeInfoFromQbo } from '../settings/prefill-from-qbo.js';
import { applyPrefill } from '../settings/store.js';
import type { PracticeLists } from './context.js';
import type { QboLists } from './qbo-snapshot.js';

/** The lists of one practice (the company's: `practiceOfRealm`). */
export async function loadPracticeLists(
  db: Db,
  practiceId: string,
): Promise<PracticeLists & { costCentres: StoredRecord<'cost-centre'>[]; disciplines: StoredRecord<'discipline'>[] }> {
  const all = async <K extends 'contact' | 'staff' | 'project' | 'tax-code' | 'payment-type' | 'expense-type' | 'cost-centre' | 'discipline'>(kind: K) => {
    const out: StoredRecord<K>[] = [];
    for (let offset: number | null = 0; offset !== null;) {
      const page: Awaited<ReturnType<typeof listRecords<K>>> = await listRecords(db, practiceId, kind, { limit: 1000, offset });
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

/** Who the pre-fill is audited as, whoever's action started it (README, "Preview"). */
export const PREFILL_ACTOR = 'qbo-connect (pre-fill)';

interface Seen {
  taxCodes: string[];
  paymentTypes: string[];
  costCentres: string[];
  disciplines: string[];
  expenseTypes: string[];
}

function parseSeen(text: string | undefined): Seen | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<Seen>;
    const list = (x: unknown) => (Array.isArray(x) ? x.filter((y): y is string => typeof y === 'string') : []);
    return {
      taxCodes: list(v.taxCodes),
      paymentTypes: list(v.paymentTypes),
      costCentres: list(v.costCentres),
      disciplines: list(v.disciplines),
      expenseTypes: list(v.expenseTypes),
    };
  } catch {
    // An older marker (a timestamp): everything known then was pre-filled; nothing is known to be new.
    return { taxCodes: [], paymentTypes: [], costCentres: [], disciplines: [], expenseTypes: [] };
  }
}

/**
 * Fills still-unset mappings from QBO's lists and the practice's (connect/settings/prefill.ts): the
 * first time for every practice code, later only for practice codes not seen before, so a mapping
 * someone removed on purpose is not filled again, and codes imported after connecting are. Always
 * audited as PREFILL_ACTOR. Run on connecting, by a bookkeeper's "fill in" and by the CLI preview;
 * never by a page view (a GET writes nothing, and a viewer never causes a write).
 */
type Practice = Awaited<ReturnType<typeof loadPracticeLists>>;

/** What the last pre-fill saw, what the practice holds now, and which codes are new since. */
async function prefillState(db: Db, realmId: string, practice: Practice) {
  const seen = parseSeen(await getMeta(db, prefillDoneKey(realmId)));
  const now: Seen = {
    taxCodes: [...practice.taxCodes.keys()],
    paymentTypes: [...practice.paymentTypes.keys()],
    costCentres: practice.costCentres.map((c) => c.key),
    disciplines: practice.disciplines.map((c) => c.key),
    expenseTypes: [...practice.expenseTypes.keys()],
  };
  const fresh = (k: keyof Seen) => new Set(now[k].filter((code) => !seen || !seen[k].includes(code)));
  const isNew = {
    taxCodes: fresh('taxCodes'),
    paymentTypes: fresh('paymentTypes'),
    costCentres: fresh('costCentres'),
    disciplines: fresh('disciplines'),
    expenseTypes: fresh('expenseTypes'),
  };
  const pending = !seen || Object.values(isNew).some((x) => x.size > 0);
  return { seen, now, isNew, pending };
}

/** True when a pre-fill would look at something: the company's first, or practice codes new since the last. */
export async function prefillPending(db: Db, realmId: string, practice?: Practice): Promise<boolean> {
  return (await prefillState(db, realmId, practice ?? (await loadPracticeLists(db, await practiceOfRealm(db, realmId))))).pending;
}

export async function prefillOnce(deps: { db: Db; clock: Clock }, realmId: string, lists: QboLists, practice: Practice): Promise<void> {
  const { seen, now, isNew, pending } = await prefillState(deps.db, realmId, practice);
  if (!pending) return;
  const actor = PREFILL_ACTOR;
  // QBO's rows as the client read them; the wire types say what the pre-fill reads of each.
  const wire = <E extends 'TaxCode' | 'TaxRate' | 'Account' | 'PaymentMethod'>(rows: unknown[]) => rows as Array<Entity<E>>;
  await applyPrefill(deps.db, {
    realmId,
    actor,
    clock: deps.clock,
    input: {
      region: lists.region,
      qboTaxCodes: taxCodeInfoFromQbo(wire<'TaxCode'>(lists.rawTaxCodes), wire<'TaxRate'>(lists.rawTaxRates)),
      qboPaymentMethods: paymentMethodInfoFromQbo(wire<'PaymentMethod'>(lists.paymentMethods)),
      // The fixed accounts are suggested on the first preview only.
      ...(seen && isNew.costCentres.size + isNew.disciplines.size + isNew.expenseTypes.size === 0
        ? {}
        : {
            qboAccounts: accountInfoFromQbo(wire<'Account'>(lists.accounts)),
          }),
      practiceTaxCodes: [...practice.taxCodes.values()]
        .filter((t) => isNew.taxCodes.has(t.key))
        .map((t) => ({ code: t.key, name: t.record.name, ratePercent: t.record.rateBasisPoints / 100 })),
      practicePaymentTypes: [...practice.paymentTypes.values()].filter((p) => isNew.paymentTypes.has(p.key)).map((p) => ({ code: p.key, name: p.record.name })),
      costCentres: practice.costCentres
        .filter((c) => isNew.costCentres.has(c.key))
        .map((c) => ({ code: c.key, name: c.record.name, accountCode: c.record.incomeAccountCode ?? null })),
      disciplines: practice.disciplines
        .filter((c) => isNew.disciplines.has(c.key))
        .map((c) => ({ code: c.key, name: c.record.name, accountCode: c.record.incomeAccountCode ?? null })),
      expenseTypes: [...practice.expenseTypes.values()]
        .filter((c) => isNew.expenseTypes.has(c.key))
        .map((c) => ({ code: c.key, name: c.record.name, accountCode: c.record.expenseAccountCode ?? null })),
    },
  });
  await setMeta(deps.db, prefillDoneKey(realmId), JSON.stringify(now), deps.clock());
}
