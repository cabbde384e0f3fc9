/**
 * One table of kinds: for every kind of record a plan row is about, the plan group it goes in, the QBO
 * entity it becomes, the skip kind a person skips it under, and the export-from setting that bounds
 * it. The preview, the sync and the skipped list read these facts here and nowhere else.
 *
 * Row kinds are the practice's kinds (practice/kinds.ts) as the engine sees them: a contact is a
 * `contact` as a customer and a `supplier` as a vendor, a project is the job item made for it, a
 * credit note's 0.00 application to its invoice is a row of its own, and a payment read from QBO is
 * a `qbo-payment`.
 */
import { documentKinds, kindInfo, type DocumentKind } from '../practice/kinds.js';

export { documentKinds, type DocumentKind };

/** Plan groups in the order a sync writes them (names → documents → payments → purchases → import). */
export const groupOrder = ['customers', 'suppliers', 'items', 'invoices', 'credit-notes', 'payments-export', 'bills', 'staff-expenses', 'payments-import'] as const;
export type GroupKind = (typeof groupOrder)[number];

/** The export-from settings (`general.exportFrom.<key>`), one per document kind. */
export const exportFromKeys = ['invoices', 'creditNotes', 'payments', 'bills', 'staffExpenses'] as const;
export type ExportFromKey = (typeof exportFromKeys)[number];

/** What a person skips (connect/skips.ts): a row is skipped as its practice record (a supplier as its contact). */
export const skipKinds = ['invoice', 'credit-note', 'payment', 'imported-payment', 'bill', 'staff-expense', 'contact', 'staff', 'job-item'] as const;
export type SkipKind = (typeof skipKinds)[number];

export const rowKinds = ['contact', 'supplier', 'staff', 'project', 'invoice', 'credit-note', 'payment', 'credit-application', 'bill', 'staff-expense', 'qbo-payment'] as const;
export type RowKind = (typeof rowKinds)[number];

export type QboDocumentEntity = 'Invoice' | 'CreditMemo' | 'Payment' | 'Bill';
export type QboNameEntity = 'Customer' | 'Vendor' | 'Item';

export interface KindFacts {
  group: GroupKind;
  entity: QboDocumentEntity | QboNameEntity;
  skipKind: SkipKind;
  /** The export-from date that bounds it; null for names and items (no date, always listed). */
  exportFrom: ExportFromKey | null;
}

export const kindFacts: Record<RowKind, KindFacts> = {
  contact: { group: 'customers', entity: 'Customer', skipKind: 'contact', exportFrom: null },
  supplier: { group: 'suppliers', entity: 'Vendor', skipKind: 'contact', exportFrom: null },
  staff: { group: 'suppliers', entity: 'Vendor', skipKind: 'staff', exportFrom: null },
  project: { group: 'items', entity: 'Item', skipKind: 'job-item', exportFrom: null },
  invoice: { group: 'invoices', entity: 'Invoice', skipKind: 'invoice', exportFrom: 'invoices' },
  'credit-note': { group: 'credit-notes', entity: 'CreditMemo', skipKind: 'credit-note', exportFrom: 'creditNotes' },
  payment: { group: 'payments-export', entity: 'Payment', skipKind: 'payment', exportFrom: 'payments' },
  // In QBO a Payment of 0.00 linking the credit memo and the invoice; skipped with its credit note.
  'credit-application': { group: 'payments-export', entity: 'Payment', skipKind: 'credit-note', exportFrom: 'creditNotes' },
  bill: { group: 'bills', entity: 'Bill', skipKind: 'bill', exportFrom: 'bills' },
  // QBO has no expense claim: a staff expense is a Bill from the staff member as a vendor.
  'staff-expense': { group: 'staff-expenses', entity: 'Bill', skipKind: 'staff-expense', exportFrom: 'staffExpenses' },
  'qbo-payment': { group: 'payments-import', entity: 'Payment', skipKind: 'imported-payment', exportFrom: 'payments' },
};

/** The export-from date that bounds each skip kind; names and items have no date and are always listed. */
export const exportFromOfSkipKind: Record<SkipKind, ExportFromKey | null> = {
  invoice: 'invoices',
  'credit-note': 'creditNotes',
  payment: 'payments',
  'imported-payment': 'payments',
  bill: 'bills',
  'staff-expense': 'staffExpenses',
  contact: null,
  staff: null,
  'job-item': null,
};

/** A row's key within a company: `<group>:<record id>` (a staff member's supplier row: `suppliers:staff:<id>`). */
export function rowKey(group: GroupKind, id: string): string {
  return `${group}:${id}`;
}

/**
 * The practice records a row key may name, read back from the key: for a key whose row the plan does
 * not hold (a dependency a hand-made plan names, or one an earlier run wrote). A row the plan holds
 * carries its record kind; this is the only place that reads a key. Imported payments are never
 * depended on, so their group names none.
 */
export function recordsOfRowKey(key: string): { kinds: RowKind[]; id: string } | undefined {
  const at = key.indexOf(':');
  const group = key.slice(0, at);
  const id = key.slice(at + 1);
  if (group === 'suppliers' && id.startsWith('staff:')) return { kinds: ['staff'], id: id.slice('staff:'.length) };
  const kinds = rowKinds.filter((k) => kindFacts[k].group === group && k !== 'qbo-payment');
  return kinds.length ? { kinds, id } : undefined;
}

export function isRowKind(kind: string): kind is RowKind {
  return Object.hasOwn(kindFacts, kind);
}

/** Which skip kind a plan row's record is skipped under (a supplier as its contact, an item per project). */
export function skipKindOf(recordKind: string): SkipKind {
  return isRowKind(recordKind) ? kindFacts[recordKind].skipKind : (recordKind as SkipKind);
}

/** The id a row's record is skipped under (items are skipped per project: `<project>|<account>`). */
export function skipIdOf(recordKind: string, id: string): string {
  return recordKind === 'project' ? id.split('|')[0]! : id;
}

/** "credit note", "staff expense": a document kind in sentences. */
export function documentWord(kind: DocumentKind): string {
  return kindInfo[kind].label;
}
