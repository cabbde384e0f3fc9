/**
 * Part of step 1 of the preview: which documents this company takes when a practice keeps several
 * QBO companies (issue 15, "Companies"; README "Offices: one practice, several companies").
 *
 * A document's offices are its projects' offices (the header project, else its lines' projects; a
 * credit note without one takes its invoice's; a payment takes the offices of the invoices it pays; a
 * staff expense without a project takes its staff member's office). A company takes a document when
 * it takes every one of its offices: `null` offices = the whole ledger (a document without an office
 * too), a list = those offices only. Then, for a document not linked in this company:
 *
 * - linked in another company of the practice: it stays there (its changes and cancellation go
 *   there); here it is a warning row, nothing sent, when this company would otherwise take it;
 * - taken by this company and another (their offices overlap): an error row naming both companies and
 *   the office; the sync refuses while it stands, so no document is ever sent to two companies;
 * - its offices split between companies, or one of them taken by no company: an error row in the
 *   companies that take a list of offices, naming the office no company takes;
 * - taken by another company only: left out, silently.
 *
 * A document linked in this company stays here whatever its project's office is now: what was booked
 * in a company's books is never moved by the sync (the bookkeeper cancels and re-enters it instead).
 * With one company taking the whole ledger (every install before issue 15) nothing changes.
 */
import type { StoredRecord } from '../../practice/store.js';
import type { Db } from '../../store/db.js';
import { isUserFacing } from '../../user-facing-error.js';
import { describeOffices, getCompanyScope, practiceCompanies, type CompanyScope } from '../company-scope.js';
import { kindFacts, type DocumentKind } from '../kinds.js';
import { linksInRealms } from '../links.js';
import { issue, makeRow } from './context.js';
import type { DocItem } from './documents.js';
import { totalOf } from './documents.js';
import type { PlanRow } from './types.js';

type Projects = Map<string, StoredRecord<'project'>>;

/** The offices a document belongs to (null: a project without an office, or no project at all). */
export function officesOfDocument(it: Pick<DocItem, 'kind' | 'doc'>, projects: Projects): Array<string | null> {
  const { doc } = it;
  const officeOf = (p: StoredRecord<'project'> | undefined): string | null => p?.record.officeCode ?? null;
  const projectOffices = (ps: Array<StoredRecord<'project'> | undefined>): Array<string | null> => [...new Set(ps.filter((p) => p !== undefined).map(officeOf))];
  let offices: Array<string | null> = [];
  switch (it.kind) {
    case 'invoice':
    case 'credit-note': {
      offices = doc.project ? [officeOf(doc.project)] : projectOffices(doc.lines.map((l) => l.project));
      const invoiceProject = (doc.invoice?.record as { projectNumber?: string | null } | undefined)?.projectNumber;
      if (offices.length === 0 && it.kind === 'credit-note' && invoiceProject) offices = [officeOf(projects.get(invoiceProject))];
      break;
    }
    case 'payment':
      offices = [
        ...new Set(
          doc.allocations.map((a) => {
            const n = (a.invoice?.record as { projectNumber?: string | null } | undefined)?.projectNumber;
            return n ? officeOf(projects.get(n)) : null;
          }),
        ),
      ];
      break;
    case 'bill':
      offices = projectOffices(doc.lines.map((l) => l.project));
      break;
    case 'staff-expense':
      offices = doc.project ? [officeOf(doc.project)] : [doc.staff?.record.officeCode ?? null];
      break;
  }
  return offices.length ? offices : [null];
}

const takes = (c: CompanyScope, office: string | null) => c.offices === null || (office !== null && c.offices.includes(office));
const companyName = (c: CompanyScope) => `${c.realmId}${c.companyName ? ` (${c.companyName})` : ''}`;
const officeName = (o: string | null) => (o === null ? 'no office' : `office ${o}`);

export interface Routed {
  /** The documents this company takes. */
  items: DocItem[];
  /** Documents it does not send, each with the issue that says why (an error or a warning). */
  rows: PlanRow[];
}

/** Splits the documents between this company and the practice's other companies (see the top of this file). */
export async function routeDocuments(db: Db, realmId: string, items: DocItem[], projects: Projects): Promise<Routed> {
  const found = await getCompanyScope(db, realmId).catch((err: unknown) => {
    if (isUserFacing(err) && err.code === 'realm.unknown') return undefined;
    throw err;
  });
  // A company not (yet) in `connections` (a hand-made test plan) takes everything, as before issue 15.
  if (!found) return { items, rows: [] };
  const companies = await practiceCompanies(db, found.practiceId);
  const me = companies.find((c) => c.realmId === realmId)!;
  const others = companies.filter((c) => c.realmId !== realmId);
  if (others.length === 0 && me.offices === null) return { items, rows: [] };

  const elsewhere = new Map<DocumentKind, Awaited<ReturnType<typeof linksInRealms>>>();
  for (const kind of new Set(items.filter((i) => !i.link).map((i) => i.kind))) {
    const keys = items.filter((i) => i.kind === kind && !i.link).map((i) => i.doc.stored.key);
    elsewhere.set(
      kind,
      await linksInRealms(
        db,
        others.map((c) => c.realmId),
        kind,
        keys,
      ),
    );
  }
  const byRealm = new Map(companies.map((c) => [c.realmId, c]));
  const out: Routed = { items: [], rows: [] };
  const row = (it: DocItem, iss: ReturnType<typeof issue>) => {
    const { group, entity } = kindFacts[it.kind];
    const r = makeRow({
      group,
      kind: it.kind,
      id: it.doc.stored.key,
      label: it.label,
      version: it.doc.stored.version,
      date: (it.doc.stored.record as { date?: string }).date,
      action: 'none',
      entity,
      practiceTotalCents: totalOf(it.kind, it.doc.stored.record),
      issues: [iss],
    });
    out.rows.push(r);
  };

  for (const it of items) {
    const offices = officesOfDocument(it, projects);
    const owners = offices.map((o) => companies.filter((c) => takes(c, o)));
    const mine = owners.some((os) => os.includes(me));
    // Linked here: this company's document, wherever its project is now; said so when it moved away.
    if (it.link) {
      const now = [...new Set(owners.flat())].filter((c) => c !== me);
      if (!mine && now.length) {
        const note = issue('company.document-stays-here', 'warning', { record: it.label, value: now.map(companyName).join(', '), detail: offices.map(officeName).join(' and ') });
        out.items.push({ ...it, notes: [...(it.notes ?? []), note] });
      } else out.items.push(it);
      continue;
    }
    const there = elsewhere.get(it.kind)?.get(it.doc.stored.key);
    if (there) {
      if (mine) {
        const z = byRealm.get(there.realm_id);
        row(
          it,
          issue('company.document-in-other-company', 'warning', {
            record: it.label,
            value: z ? companyName(z) : there.realm_id,
            detail: `${offices.map(officeName).join(' and ')} became this company's`,
          }),
        );
      }
      continue;
    }
    const overlap = offices.map((o, i) => ({ o, os: owners[i]! })).find((x) => x.os.length > 1 && x.os.includes(me));
    if (overlap) {
      const who = overlap.os.map((c) => `company ${companyName(c)} takes ${describeOffices(c.offices)}`).join('; ');
      row(it, issue('company.offices-overlap', 'error', { record: it.label, value: officeName(overlap.o), detail: who }, 'offices'));
      continue;
    }
    const distinct = new Set(owners.flat());
    const unowned = offices.filter((_o, i) => owners[i]!.length === 0);
    const listTaker = me.offices !== null && me.offices.length > 0;
    if (unowned.length && (mine || (distinct.size === 0 && listTaker))) {
      row(it, issue('company.document-unrouted', 'error', { record: it.label, value: unowned.map(officeName).join(', ') }, 'officeCode'));
      continue;
    }
    if (distinct.size > 1 && mine) {
      const split = offices.map((o, i) => `${officeName(o)} (company ${owners[i]!.map(companyName).join(', ')})`).join(', ');
      row(it, issue('company.document-split', 'error', { record: it.label, detail: split }));
      continue;
    }
    if (mine) out.items.push(it);
  }
  return out;
}
