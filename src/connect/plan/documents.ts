/**
 * Step 1 of the preview: the practice documents in the export window, each classified by what its
 * link says — new, update (changed since its sync), void (cancelled since), synced (unchanged) — and
 * the ones with nothing to do left out (cancelled before it was ever sent, already voided, or a
 * payment that came from QBO).
 */
import type { DocumentKind } from '../kinds.js';
import { documentWord } from '../kinds.js';
import { listDocumentsForExport, type ExportDocument } from '../../practice/store.js';
import type { Db } from '../../store/db.js';
import type { Settings } from '../settings/model.js';
import { linksByKey, type Link } from '../links.js';
import { practiceOfRealm } from '../realm.js';
import type { StoredRecord } from '../../practice/store.js';
import type { Issue, PlanRow } from './types.js';
import { routeDocuments } from './office-routing.js';

export type DocStatus = 'new' | 'update' | 'void' | 'synced';

/** One practice document the preview looks at, with its link and what the link says. */
export interface DocItem {
  kind: DocumentKind;
  doc: ExportDocument;
  link?: Link | undefined;
  status: DocStatus;
  label: string;
  /** Said on the document's row whatever it becomes (office-routing.ts: linked here, its project's office now another company's). */
  notes?: Issue[];
}

/** "credit note CN-7 (Harbour Trust)": how sentences name a document. */
export function docLabel(kind: DocumentKind, doc: ExportDocument): string {
  const who = doc.contact?.record.name ?? doc.staff?.record.name;
  return `${documentWord(kind)} ${doc.stored.key}${who ? ` (${who})` : ''}`;
}

/** A document's total in cents (a payment's amount). */
export function totalOf(kind: DocumentKind, record: unknown): number {
  const r = record as { totalCents?: number; amountCents?: number };
  return kind === 'payment' ? (r.amountCents ?? 0) : (r.totalCents ?? 0);
}

export const dateOf = (it: DocItem): string => (it.doc.stored.record as { date: string }).date;
/** The invoice a credit note names, if any. */
export const creditedInvoice = (it: DocItem): string | null => (it.doc.stored.record as { invoiceNumber?: string | null }).invoiceNumber ?? null;

/**
 * The documents of the company's practice in the window this company takes, in kind order
 * (invoices, credit notes, payments, bills, staff expenses); and `routed`: the rows of documents it
 * does not send because of the practice's companies and their offices (plan/office-routing.ts),
 * each with its error or warning.
 */
export async function loadDocuments(db: Db, realmId: string, settings: Settings, projects: Map<string, StoredRecord<'project'>>): Promise<{ items: DocItem[]; routed: PlanRow[] }> {
  const ef = settings.general.exportFrom;
  const practiceId = await practiceOfRealm(db, realmId);
  const load = async <K extends DocumentKind>(kind: K, from: string, on: boolean) => (on ? await listDocumentsForExport(db, practiceId, { kind, fromDate: from }) : []);
  const byKind: Record<DocumentKind, ExportDocument[]> = {
    invoice: await load('invoice', ef.invoices, true),
    'credit-note': await load('credit-note', ef.creditNotes, true),
    payment: await load('payment', ef.payments, settings.payments.direction === 'export'),
    bill: await load('bill', ef.bills, settings.bills.export),
    'staff-expense': await load('staff-expense', ef.staffExpenses, settings.staffExpenses.export),
  };
  const items: DocItem[] = [];
  const imported = await importedPayments(db, realmId, byKind.payment);
  for (const kind of Object.keys(byKind) as DocumentKind[]) {
    const docs = byKind[kind];
    const links = await linksByKey(
      db,
      realmId,
      kind,
      docs.map((d) => d.stored.key),
    );
    for (const doc of docs) {
      // A payment that came from QBO is QBO's already: sending it back would post it twice (issue 19).
      if (kind === 'payment' && imported.has(doc.stored.key)) continue;
      const link = links.get(doc.stored.key);
      const status = statusOf(doc, link);
      if (status) items.push({ kind, doc, link, status, label: docLabel(kind, doc) });
    }
  }
  const routed = await routeDocuments(db, realmId, items, projects);
  return { items: routed.items, routed: routed.rows };
}

/** What a document's link says is to be done; null when nothing is. */
function statusOf(doc: ExportDocument, link: Link | undefined): DocStatus | null {
  const cancelled = doc.stored.state === 'cancelled';
  if (!link) return cancelled ? null : 'new';
  if (link.state === 'voided') return null;
  if (cancelled) return 'void';
  return Number(link.record_version) < doc.stored.version ? 'update' : 'synced';
}

/**
 * The practice payments an import recorded (number `QBO-<Id>`, linked as `qbo:<Id>`; see
 * run/payments-import.ts): never exported, whatever the direction is now. Only a number whose import
 * link exists counts, so a practice's own payment that happens to be numbered `QBO-…` still goes.
 */
async function importedPayments(db: Db, realmId: string, payments: ExportDocument[]): Promise<Set<string>> {
  const byLinkKey = new Map<string, string>();
  for (const p of payments) {
    const m = /^QBO-(.+)$/.exec(p.stored.key);
    if (m) byLinkKey.set(`qbo:${m[1]}`, p.stored.key);
  }
  if (byLinkKey.size === 0) return new Set();
  const links = await linksByKey(db, realmId, 'qbo-payment', byLinkKey.keys());
  return new Set([...links.keys()].map((k) => byLinkKey.get(k)!));
}
