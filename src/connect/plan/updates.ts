/**
 * Update rows: a record synced before and changed in the practice since. The update sends only the
 * fields the practice changed (three-way, see sent-fields.ts); a field QBO changed as well holds the
 * row as diverged. Used for documents (build.ts) and for linked contacts and staff, whose changes
 * (email, address, phone, name) reach QBO the same way.
 */
import type { Db } from '../../store/db.js';
import { issue, makeRow, rowKey, type MapContext } from './context.js';
import type { Link } from '../links.js';
import { contactLabel, customerDraft, staffLabel, vendorDraft, type NameDraft } from './mapping/contacts.js';
import { nameKey, type QboRow, type QboSnapshot } from './qbo-snapshot.js';
import { unresolvedRowRefs } from './refs.js';
import { baseFromJournal, compareFields, conflictText, parseSentFields, sparseBody, unclearable, type RowFields, type SentFields } from './sent-fields.js';
import type { GroupKind, Issue, PlanRow } from './types.js';
import type { PlanReasonCode } from '../reasons.js';

const linkKey = (l: Pick<Link, 'record_kind' | 'record_key'>) => `${l.record_kind}\u0000${l.record_key}`;

/**
 * The base of each link: its stored `sent_fields`; for a link from before migration 0010, rebuilt
 * from the journal's bodies of our resolved writes (one query per 500 links); null when neither
 * exists (an adopted record, never written by us), which `compareFields` answers with QBO's values.
 */
export async function basesOf(db: Db, realmId: string, links: readonly Link[]): Promise<Map<string, SentFields | null>> {
  const out = new Map<string, SentFields | null>();
  const missing: Link[] = [];
  for (const l of links) {
    const stored = parseSentFields(l.sent_fields);
    out.set(linkKey(l), stored);
    if (!stored) missing.push(l);
  }
  for (let i = 0; i < missing.length; i += 500) {
    const part = missing.slice(i, i + 500);
    for (const kind of new Set(part.map((l) => l.record_kind))) {
      const keys = part.filter((l) => l.record_kind === kind).map((l) => l.record_key);
      const rows = await db
        .selectFrom('journal')
        .select(['record_key', 'body', 'qbo_id'])
        .where('realm_id', '=', realmId)
        .where('record_kind', '=', kind)
        .where('record_key', 'in', keys)
        .where('status', '=', 'resolved')
        .where('operation', 'in', ['create', 'update'])
        .orderBy('id')
        .execute();
      for (const l of part.filter((x) => x.record_kind === kind)) {
        // Only writes to the entity the link points at now (a re-created record starts over).
        const bodies = rows.filter((r) => r.record_key === l.record_key && (r.qbo_id === null || r.qbo_id === l.qbo_id)).map((r) => r.body);
        out.set(linkKey(l), baseFromJournal(l.qbo_entity, bodies));
      }
    }
  }
  return out;
}

export function baseOf(bases: Map<string, SentFields | null>, link: Link): SentFields | null {
  return bases.get(linkKey(link)) ?? null;
}

export interface UpdateInput {
  group: GroupKind;
  kind: string;
  id: string;
  label: string;
  version: number;
  date?: string;
  entity: string;
  link: Link;
  draft: { payload: Record<string, unknown>; dependsOn: string[]; practiceTotalCents?: number | null; qboTotalCents?: number | null };
  qboNow: QboRow;
  base: SentFields | null;
  issues: Issue[];
  /** The reason code of a diverged row (`invoice.diverged`, `contact.diverged`). */
  divergedCode: PlanReasonCode;
}

/** The update row, or null when QBO already holds everything the practice changed. */
export function updateRow(u: UpdateInput): PlanRow | null {
  const fields: RowFields = compareFields(u.entity, u.draft.payload, u.qboNow, u.base);
  fields.send = fields.send.filter((f) => !unclearable(u.draft.payload, [f]).length);
  if (!fields.send.length && !fields.conflicts.length) return null;
  const issues = [...u.issues];
  if (fields.conflicts.length) issues.push(issue(u.divergedCode, 'warning', { record: u.label, detail: conflictText(fields.conflicts) }));
  const body = sparseBody(u.draft.payload, fields.send);
  // A Bill's sparse update of its lines must carry VendorRef too, or QBO refuses it (2020)
  // [docs/qbo-api.md §sparse-update; https://github.com/EpicenterHQ/epicenter/pull/2346]: QBO's own value is sent
  // when the vendor is not a field we send, so an accountant's change of it survives.
  const withVendor = (b: Record<string, unknown>) => {
    if (u.entity === 'Bill' && b['Line'] !== undefined && b['VendorRef'] === undefined && u.qboNow['VendorRef'] !== undefined) {
      b['VendorRef'] = { value: (u.qboNow['VendorRef'] as { value: string }).value };
    }
    return b;
  };
  withVendor(body);
  // What "send ours" (connect/held) would send for a held row: the conflicting fields too.
  if (fields.conflicts.length) fields.ours = withVendor(sparseBody(u.draft.payload, [...fields.send, ...fields.conflicts.map((c) => c.field)]));
  const syncToken = String(u.qboNow.SyncToken ?? u.link.sync_token);
  const payload = { ...body, Id: u.link.qbo_id, SyncToken: syncToken, sparse: true };
  const refs = new Set(unresolvedRowRefs(body));
  const row = makeRow({
    group: u.group,
    kind: u.kind,
    id: u.id,
    label: u.label,
    version: u.version,
    date: u.date,
    action: 'update',
    entity: u.entity,
    qboId: u.link.qbo_id,
    syncToken,
    payload,
    dependsOn: u.draft.dependsOn.filter((k) => refs.has(k)),
    practiceTotalCents: u.draft.practiceTotalCents ?? null,
    qboTotalCents: u.draft.qboTotalCents ?? null,
    issues,
  });
  row.fields = fields;
  return row;
}

/**
 * Linked contacts, suppliers and staff changed in the practice since their last sync: update rows in
 * the customers and suppliers groups. QBO's copies are read in bulk (one `IN` query per 1,000).
 * A new display name already used by another QBO name is not sent (QBO keeps names unique); the row
 * says so and the rest of the change still goes.
 */
export async function nameUpdateRows(db: Db, ctx: MapContext, snap: QboSnapshot, nameLinks: Map<string, Link>): Promise<PlanRow[]> {
  const { practice, settings } = ctx;
  const cands: Array<{
    link: Link;
    group: 'customers' | 'suppliers';
    key: string;
    label: string;
    version: number;
    entity: 'Customer' | 'Vendor';
    draft: NameDraft;
    kind: 'contact' | 'supplier' | 'staff';
  }> = [];
  for (const link of nameLinks.values()) {
    if (link.state === 'voided') continue;
    if (link.record_kind === 'contact' || link.record_kind === 'supplier') {
      const c = practice.contacts.get(link.record_key);
      if (!c || c.version <= Number(link.record_version)) continue;
      const customer = link.record_kind === 'contact';
      cands.push({
        link,
        group: customer ? 'customers' : 'suppliers',
        key: rowKey(customer ? 'customers' : 'suppliers', c.key),
        label: contactLabel(c),
        version: c.version,
        entity: customer ? 'Customer' : 'Vendor',
        draft: customer ? customerDraft(c, settings) : vendorDraft('supplier', c, settings),
        kind: link.record_kind,
      });
    } else if (link.record_kind === 'staff') {
      const s = practice.staff.get(link.record_key);
      if (!s || s.version <= Number(link.record_version)) continue;
      cands.push({
        link,
        group: 'suppliers',
        key: rowKey('suppliers', `staff:${s.key}`),
        label: staffLabel(s),
        version: s.version,
        entity: 'Vendor',
        draft: vendorDraft('staff', s, settings),
        kind: 'staff',
      });
    }
  }
  if (!cands.length) return [];
  const qbo = new Map<string, QboRow>();
  for (const entity of ['Customer', 'Vendor'] as const) {
    const ids = cands.filter((c) => c.entity === entity).map((c) => c.link.qbo_id);
    for (const r of await snap.byIn(entity, 'Id', ids, true)) qbo.set(`${entity}:${r.Id}`, r);
  }
  const bases = await basesOf(
    db,
    ctx.realmId,
    cands.map((c) => c.link),
  );
  const out: PlanRow[] = [];
  const renamed: Array<{ row: PlanRow; name: string; entity: string; qboId: string; kind: 'contact' | 'supplier' | 'staff' }> = [];
  for (const c of cands) {
    const now = qbo.get(`${c.entity}:${c.link.qbo_id}`);
    if (!now || now['Active'] === false || now['status'] === 'Deleted') continue; // the documents that use it report the inactive name
    const row = updateRow({
      group: c.group,
      kind: c.kind,
      id: c.link.record_key,
      label: c.label,
      version: c.version,
      entity: c.entity,
      link: c.link,
      draft: { payload: c.draft.payload, dependsOn: [] },
      qboNow: now,
      base: baseOf(bases, c.link),
      issues: c.draft.issues.filter((i) => i.severity === 'warning'),
      divergedCode: `${c.kind}.diverged`,
    });
    if (!row) continue;
    row.key = c.key;
    if (row.fields?.send.includes('DisplayName')) renamed.push({ row, name: c.draft.displayName, entity: c.entity, qboId: c.link.qbo_id, kind: c.kind });
    out.push(row);
  }
  if (renamed.length) {
    const found = await snap.names(renamed.map((r) => r.name));
    for (const r of renamed) {
      const clash = (['Customer', 'Vendor', 'Employee'] as const).find((e) =>
        found[e].some((x) => nameKey(String(x['DisplayName'] ?? '')) === nameKey(r.name) && !(e === r.entity && x.Id === r.qboId)),
      );
      if (!clash) continue;
      const word = clash === 'Customer' ? 'customer' : clash === 'Vendor' ? 'supplier' : 'employee';
      // An error, as for a new contact (name-rows.ts): sending the rest without the name would
      // record the rename as done and it would never reach QBO (found by the issue-19 attack).
      r.row.issues.push(issue(`${r.kind}.name-used-by-${word}`, 'error', { record: r.row.record.label, value: r.name }, 'name'));
    }
  }
  return out;
}
