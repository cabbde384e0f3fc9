/**
 * Rows for the names and items the plan's documents need: customers, suppliers (contacts and staff)
 * and job items. Each is matched to QBO (unique ID, then name; items by name) to adopt, or created.
 */
import { issue, makeRow, rowKey, type MapContext } from './context.js';
import { contactLabel, customerDraft, staffLabel, vendorDraft, type NameDraft } from './mapping/contacts.js';
import { itemName, itemPayload } from './mapping/items.js';
import { nameKey, type QboRow, type QboSnapshot } from './qbo-snapshot.js';
import type { Link } from '../links.js';
import { adoptedFields } from './sent-fields.js';
import type { Issue, PlanRow } from './types.js';

/** The link that holds a QBO record already (`Customer:58`), whichever practice record it is. */
export type LinkedQbo = (entity: string, qboId: string) => Link | undefined;

/** "contact C0001" for a link's practice record, as the sentences name it. */
export function linkedRecordName(link: Link): string {
  return `${link.record_kind === 'project' ? 'job item' : link.record_kind} ${link.record_key}`;
}

/**
 * A QBO record already linked to another practice record is never adopted for this one (issue 19: a
 * renamed contact's old name re-used by a new contact adopted the first one's customer, and the link's
 * unique key then stopped every sync). Null when the QBO record is free or linked to this very record.
 */
export function linkedElsewhere(linked: LinkedQbo, entity: string, qboId: string, kind: string, key: string): Link | null {
  const l = linked(entity, qboId);
  return l && !(l.record_kind === kind && l.record_key === key) ? l : null;
}

export type Needs = {
  customers: Map<string, string>;
  suppliers: Map<string, string>;
  staff: Map<string, string>;
  items: Map<string, { project: string; account: string | null; via: string }>;
};

interface NameCandidate {
  group: 'customers' | 'suppliers';
  kind: 'contact' | 'supplier' | 'staff';
  id: string;
  key: string;
  label: string;
  version: number;
  entity: 'Customer' | 'Vendor';
  draft: NameDraft;
  via: string;
}

export async function nameRows(ctx: MapContext, snap: QboSnapshot, needs: Needs, linked: LinkedQbo): Promise<PlanRow[]> {
  const { practice, settings } = ctx;
  const cands: NameCandidate[] = [];
  for (const [code, via] of [...needs.customers].sort(([a], [b]) => a.localeCompare(b))) {
    const c = practice.contacts.get(code)!;
    cands.push({
      group: 'customers',
      kind: 'contact',
      id: code,
      key: rowKey('customers', code),
      label: contactLabel(c),
      version: c.version,
      entity: 'Customer',
      draft: customerDraft(c, settings),
      via,
    });
  }
  for (const [code, via] of [...needs.suppliers].sort(([a], [b]) => a.localeCompare(b))) {
    const c = practice.contacts.get(code)!;
    cands.push({
      group: 'suppliers',
      kind: 'supplier',
      id: code,
      key: rowKey('suppliers', code),
      label: contactLabel(c),
      version: c.version,
      entity: 'Vendor',
      draft: vendorDraft('supplier', c, settings),
      via,
    });
  }
  for (const [uid, via] of [...needs.staff].sort(([a], [b]) => a.localeCompare(b))) {
    const s = practice.staff.get(uid)!;
    cands.push({
      group: 'suppliers',
      kind: 'staff',
      id: uid,
      key: rowKey('suppliers', `staff:${uid}`),
      label: staffLabel(s),
      version: s.version,
      entity: 'Vendor',
      draft: vendorDraft('staff', s, settings),
      via,
    });
  }
  if (cands.length === 0) return [];

  // Unique IDs must exist and be unique among the practice's contacts.
  const byUid = new Map<string, string[]>();
  for (const c of practice.contacts.values()) if (c.record.uniqueId) byUid.set(c.record.uniqueId, [...(byUid.get(c.record.uniqueId) ?? []), c.key]);

  const found = await snap.names(cands.map((c) => c.draft.displayName));
  const index = (rows: QboRow[]) => {
    const m = new Map<string, QboRow[]>();
    for (const r of rows) {
      const k = nameKey(String(r['DisplayName'] ?? ''));
      m.set(k, [...(m.get(k) ?? []), r]);
    }
    return m;
  };
  const idx = { Customer: index(found.Customer), Vendor: index(found.Vendor), Employee: index(found.Employee) };

  const undone = await undoneRows(ctx, snap, cands);
  const out: PlanRow[] = [];
  for (const c of cands) {
    const issues: Issue[] = [...c.draft.issues];
    const uid = c.kind === 'staff' ? c.id : practice.contacts.get(c.id)!.record.uniqueId;
    if (c.kind !== 'staff') {
      if (!uid) issues.push(issue(`${c.kind}.missing-unique-id`, 'error', { record: c.label, via: c.via }, 'uniqueId'));
      else if ((byUid.get(uid) ?? []).length > 1) {
        const others = byUid
          .get(uid)!
          .filter((k) => k !== c.id)
          .map((k) => `contact ${k}`)
          .join(', ');
        issues.push(issue(`${c.kind}.duplicate-unique-id`, 'error', { record: c.label, value: uid, detail: others }, 'uniqueId'));
      }
    }
    const nk = nameKey(c.draft.displayName);
    const same = idx[c.entity].get(nk) ?? [];
    const marked = c.draft.uniqueId ? same.filter((r) => typeof r['Notes'] === 'string' && (r['Notes'] as string).includes(`uid:${c.draft.uniqueId}`)) : [];
    let match: QboRow | undefined;
    if (marked.length === 1) match = marked[0];
    else if (marked.length > 1 || (same.length > 1 && settings.contacts.matchOrder === 'unique-id-then-name')) {
      issues.push(
        issue(
          `${c.kind}.several-matches`,
          'error',
          { record: c.label, value: c.draft.displayName, detail: `${marked.length > 1 ? marked.length : same.length} ${c.entity === 'Customer' ? 'customers' : 'suppliers'}` },
          'name',
        ),
      );
    } else if (same.length === 1) {
      if (settings.contacts.matchOrder === 'unique-id-then-name') match = same[0];
      else issues.push(issue(`${c.kind}.name-exists-unmatched`, 'error', { record: c.label, value: c.draft.displayName, detail: c.draft.uniqueId ?? '(none)' }, 'name'));
    }
    const base = { group: c.group, kind: c.kind, id: c.id, label: c.label, version: c.version, entity: c.entity };
    let row: PlanRow;
    const revived = undone.get(`${c.kind}\u0000${c.id}`);
    if (revived && revived['Active'] === false) {
      row = makeRow({ ...base, action: 'adopt', qboId: revived.Id, syncToken: revived.SyncToken, issues });
      row.reactivate = true;
      row.key = c.key;
      out.push(row);
      continue;
    }
    const taken = match ? linkedElsewhere(linked, c.entity, match.Id, c.kind, c.id) : null;
    if (match && taken) {
      issues.push(
        issue(
          'qbo.linked-to-another',
          'error',
          {
            record: c.label,
            value: c.draft.displayName,
            detail: `${c.entity === 'Customer' ? 'customer' : 'supplier'} ${match.Id}`,
            field: 'name',
            limit: linkedRecordName(taken),
          },
          'name',
        ),
      );
      row = makeRow({ ...base, action: 'create', payload: c.draft.payload, issues });
    } else if (match) {
      const undone = match['Active'] === false && ctx.reactivatable?.has(`${c.entity}:${match.Id}`);
      if (match['Active'] === false && !undone)
        issues.push(issue('qbo.reference-inactive', 'error', { record: c.label, value: c.draft.displayName, detail: `${c.entity} ${match.Id}`, field: 'name' }, 'name'));
      row = makeRow({ ...base, action: 'adopt', qboId: match.Id, syncToken: match.SyncToken, issues });
      if (undone) row.reactivate = true;
      row.fields = adoptedFields(c.entity, c.draft.payload, match);
    } else {
      // Creating: the name must be free across customers, suppliers and employees.
      const clashes: Array<['Customer' | 'Vendor' | 'Employee', 'customer' | 'supplier' | 'employee']> = [
        ['Customer', 'customer'],
        ['Vendor', 'supplier'],
        ['Employee', 'employee'],
      ];
      for (const [entity, word] of clashes) {
        if (entity === c.entity) continue;
        if ((idx[entity].get(nk) ?? []).length) issues.push(issue(`${c.kind}.name-used-by-${word}`, 'error', { record: c.label, value: c.draft.displayName }, 'name'));
      }
      if (!settings.contacts.createWhenNoMatch && !issues.some((i) => i.severity === 'error')) {
        issues.push(issue(`${c.kind}.no-match`, 'error', { record: c.label, value: c.draft.displayName }, 'name'));
      }
      row = makeRow({ ...base, action: 'create', payload: c.draft.payload, issues });
    }
    row.key = c.key;
    out.push(row);
  }
  // Two new names that QBO would see as one: the second would be refused (6240), so neither goes blind.
  const byName = new Map<string, Array<{ row: PlanRow; c: NameCandidate }>>();
  out.forEach((row, i) => {
    if (row.action !== 'create') return;
    const k = nameKey(cands[i]!.draft.displayName);
    byName.set(k, [...(byName.get(k) ?? []), { row, c: cands[i]! }]);
  });
  for (const same of byName.values()) {
    if (same.length < 2) continue;
    for (const { row, c } of same) {
      const others = same
        .filter((x) => x.row !== row)
        .map((x) => x.c.label)
        .join(', ');
      row.issues.push(issue(`${c.kind}.duplicate-name`, 'error', { record: c.label, value: c.draft.displayName, detail: others }, 'name'));
    }
  }
  return out;
}

/** The QBO names an undo made inactive for these practice records, read by Id (inactive included), by `kind\u0000key`. */
async function undoneRows(ctx: MapContext, snap: QboSnapshot, records: Array<{ kind: string; id: string }>): Promise<Map<string, QboRow>> {
  const out = new Map<string, QboRow>();
  if (!ctx.undoneNames?.size) return out;
  const wanted = records.map((r) => ({ key: `${r.kind}\u0000${r.id}`, u: ctx.undoneNames!.get(`${r.kind}\u0000${r.id}`) })).filter((w) => w.u);
  for (const entity of ['Customer', 'Vendor', 'Item'] as const) {
    const mine = wanted.filter((w) => w.u!.entity === entity);
    if (!mine.length) continue;
    const rows = new Map(
      (
        await snap.byIn(
          entity,
          'Id',
          mine.map((w) => w.u!.qboId),
          true,
        )
      ).map((r) => [r.Id, r]),
    );
    for (const w of mine) {
      const r = rows.get(w.u!.qboId);
      if (r) out.set(w.key, r);
    }
  }
  return out;
}

export async function itemRows(ctx: MapContext, snap: QboSnapshot, needs: Needs['items'], linked: LinkedQbo): Promise<PlanRow[]> {
  if (needs.size === 0) return [];
  const split = ctx.settings.invoices.incomeAccount !== 'fixed';
  const accounts = new Map(ctx.lists.accounts.map((a) => [a.Id, String(a['Name'] ?? a.Id)]));
  const drafts = [...needs]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => {
      const project = ctx.practice.projects.get(n.project);
      const account = split ? n.account : ctx.settings.invoices.fixedIncomeAccountId;
      const name = project ? itemName(project, account ? (accounts.get(account) ?? account) : null, split) : n.project;
      return { key, n, project, account, name };
    });
  const existing = new Map<string, QboRow>();
  for (const r of await snap.byIn(
    'Item',
    'Name',
    drafts.map((d) => d.name),
    true,
  ))
    existing.set(nameKey(String(r['Name'] ?? '')), r);
  const undone = await undoneRows(
    ctx,
    snap,
    drafts.map((d) => ({ kind: 'project', id: d.key })),
  );
  return drafts.map((d) => {
    const label = `job item for project ${d.n.project}${d.project ? ` (${d.project.record.name})` : ''}`;
    const base = { group: 'items' as const, kind: 'project', id: d.key, label, version: d.project?.version, entity: 'Item' };
    const revived = undone.get(`project\u0000${d.key}`);
    if (revived && revived['Active'] === false) {
      const row = makeRow({ ...base, action: 'adopt', qboId: revived.Id, syncToken: revived.SyncToken, issues: [] });
      row.reactivate = true;
      return row;
    }
    const hit = existing.get(nameKey(d.name));
    const taken = hit ? linkedElsewhere(linked, 'Item', hit.Id, 'project', d.key) : null;
    if (hit && taken) {
      const issues = [issue('qbo.linked-to-another', 'error', { record: label, value: d.name, detail: `item ${hit.Id}`, field: 'name', limit: linkedRecordName(taken) }, 'name')];
      return makeRow({ ...base, action: 'create', payload: d.project && d.account ? itemPayload(d.project, d.name, d.account) : null, issues });
    }
    if (hit) {
      const undone = hit['Active'] === false && ctx.reactivatable?.has(`Item:${hit.Id}`);
      const inactive =
        hit['Active'] === false && !undone ? [issue('qbo.reference-inactive', 'error', { record: label, value: d.name, detail: `Item ${hit.Id}`, field: 'name' }, 'name')] : [];
      const adopted = makeRow({ ...base, action: 'adopt', qboId: hit.Id, syncToken: hit.SyncToken, issues: inactive });
      if (undone) adopted.reactivate = true;
      return adopted;
    }
    const issues: Issue[] = [];
    if (!d.account)
      issues.push(
        issue(
          'item.income-account-unmapped',
          'error',
          { record: label, field: 'invoices.fixedIncomeAccountId', limit: 'invoices.fixedIncomeAccountId' },
          'invoices.fixedIncomeAccountId',
        ),
      );
    const payload = d.project && d.account ? itemPayload(d.project, d.name, d.account) : null;
    return makeRow({ ...base, action: 'create', payload, issues });
  });
}
