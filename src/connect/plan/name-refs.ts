/**
 * How a document's payload names its customer, vendor and job item: by QBO Id when the name is linked,
 * or as a row of this plan (`@row:customers:C1`) that the sync writes first. Records which names each
 * new document needs (the first document that needs a name is named in its row) and which linked
 * names each row refers to, so those can be checked against QBO once all rows are drafted.
 */
import { issue, rowKey } from './context.js';
import type { Link } from '../links.js';
import { itemKey } from './mapping/items.js';
import type { RefResolver } from './mapping/refs.js';
import type { Needs } from './name-rows.js';
import type { QboRow, QboSnapshot } from './qbo-snapshot.js';
import type { PlanRow } from './types.js';
import type { PracticeLists } from './context.js';

export class NameRefs {
  /** contact code (supplier key, staff id, item key) → the first document that needs it. */
  readonly needs: Needs = { customers: new Map(), suppliers: new Map(), staff: new Map(), items: new Map() };
  /** Linked QBO names (`Customer:58`) and the rows that refer to them. */
  readonly used = new Map<string, { link: Link; rows: Set<string> }>();

  constructor(
    private readonly practice: PracticeLists,
    /** Links of names and items, by `<record kind>:<record key>`. */
    readonly links: Map<string, Link>,
    private readonly splitIncome: boolean,
  ) {}

  /** The resolver one document's mapping asks, for the row `drafting` (named `label` in sentences). */
  forDocument(label: string, drafting: string): RefResolver {
    const linked = (link: Link) => {
      const k = `${link.qbo_entity}:${link.qbo_id}`;
      const u = this.used.get(k) ?? { link, rows: new Set<string>() };
      u.rows.add(drafting);
      this.used.set(k, u);
      return { value: link.qbo_id };
    };
    const { practice, links, needs } = this;
    return {
      customer(code) {
        if (!practice.contacts.has(code)) return undefined;
        const link = links.get(`contact:${code}`);
        if (link) return linked(link);
        if (!needs.customers.has(code)) needs.customers.set(code, label);
        const k = rowKey('customers', code);
        return { value: `@row:${k}`, rowKey: k };
      },
      vendor(kind, key) {
        if (kind === 'supplier' ? !practice.contacts.has(key) : !practice.staff.has(key)) return undefined;
        const link = links.get(`${kind}:${key}`);
        if (link) return linked(link);
        const m = kind === 'supplier' ? needs.suppliers : needs.staff;
        if (!m.has(key)) m.set(key, label);
        const k = rowKey('suppliers', `${kind === 'staff' ? 'staff:' : ''}${key}`);
        return { value: `@row:${k}`, rowKey: k };
      },
      item: (project, account) => {
        const key = itemKey(project, account, this.splitIncome);
        const link = links.get(`project:${key}`);
        if (link) return linked(link);
        if (!needs.items.has(key)) needs.items.set(key, { project, account, via: label });
        const k = rowKey('items', key);
        return { value: `@row:${k}`, rowKey: k };
      },
    };
  }

  /** The link that holds a QBO name (`Customer`, `58`), whichever practice record it is. */
  linkedName(): (entity: string, id: string) => Link | undefined {
    const byQbo = new Map([...this.links.values()].map((l) => [`${l.qbo_entity}:${l.qbo_id}`, l]));
    return (entity, id) => byQbo.get(`${entity}:${id}`);
  }
}

const refField: Record<string, string> = { Customer: 'contactCode', Vendor: 'supplierCode', Item: 'projectNumber' };

/**
 * Linked names and items the new documents refer to: still usable in QBO? One deleted or made
 * inactive there is an error on every row that names it. When CDC could not tell (`blind`), they are
 * read by Id first (into `current`).
 */
export async function flagUnusableNames(names: NameRefs, rows: PlanRow[], current: Map<string, QboRow>, blind: boolean, snap: QboSnapshot): Promise<void> {
  if (!names.used.size) return;
  if (blind) {
    for (const entity of ['Customer', 'Vendor', 'Item'] as const) {
      const ids = [...names.used.values()].filter((u) => u.link.qbo_entity === entity).map((u) => u.link.qbo_id);
      for (const row of await snap.byIn(entity, 'Id', ids, true)) current.set(`${entity}:${row.Id}`, row);
    }
  }
  const byKey = new Map(rows.map((r) => [r.key, r]));
  for (const [k, u] of names.used) {
    const now = current.get(k);
    if (!now || (now['status'] !== 'Deleted' && now['Active'] !== false)) continue;
    const name = String(now['DisplayName'] ?? now['Name'] ?? u.link.record_key);
    for (const rk of u.rows) {
      const r = byKey.get(rk);
      if (r)
        r.issues.push(
          issue(
            'qbo.reference-inactive',
            'error',
            { record: r.record.label, value: name, detail: `${u.link.qbo_entity} ${u.link.qbo_id}`, field: refField[u.link.qbo_entity] ?? 'reference' },
            refField[u.link.qbo_entity],
          ),
        );
    }
  }
}
