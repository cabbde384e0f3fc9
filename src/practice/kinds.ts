/**
 * The record kinds of the practice ledger, in dependency order (a kind only refers to kinds before
 * it), with what the store, the API, the import file and the CSV reader need to know about each.
 */
import type { z } from 'zod';
import {
  billSchema,
  contactSchema,
  costCentreSchema,
  creditNoteSchema,
  disciplineSchema,
  expenseTypeSchema,
  invoiceSchema,
  officeSchema,
  paymentSchema,
  paymentTypeSchema,
  projectSchema,
  staffExpenseSchema,
  staffSchema,
  taxCodeSchema,
  type Bill,
  type Contact,
  type CostCentre,
  type CreditNote,
  type Discipline,
  type ExpenseType,
  type Invoice,
  type Office,
  type Payment,
  type PaymentType,
  type Project,
  type StaffExpense,
  type Staff,
  type TaxCode,
} from './schemas.js';

/** Kind names match the plan's RecordRef.kind (src/connect/plan/types.ts). */
export const kinds = [
  'office',
  'staff',
  'contact',
  'cost-centre',
  'discipline',
  'expense-type',
  'tax-code',
  'payment-type',
  'project',
  'invoice',
  'credit-note',
  'payment',
  'bill',
  'staff-expense',
] as const;
export type Kind = (typeof kinds)[number];

export const documentKinds = ['invoice', 'credit-note', 'payment', 'bill', 'staff-expense'] as const satisfies readonly Kind[];
export type DocumentKind = (typeof documentKinds)[number];

/** The record type of each kind. */
export interface RecordOf {
  office: Office;
  staff: Staff;
  contact: Contact;
  'cost-centre': CostCentre;
  discipline: Discipline;
  'expense-type': ExpenseType;
  'tax-code': TaxCode;
  'payment-type': PaymentType;
  project: Project;
  invoice: Invoice;
  'credit-note': CreditNote;
  payment: Payment;
  bill: Bill;
  'staff-expense': StaffExpense;
}
export type PracticeRecord = RecordOf[Kind];

export interface KindInfo<K extends Kind = Kind> {
  kind: K;
  /** In sentences: "invoice INV-1042: …". */
  label: string;
  /** Key in the import file, e.g. `creditNotes`. */
  fileKey: string;
  /** URL segment under /api/v1/practice/, e.g. `credit-notes`. */
  slug: string;
  /** The field holding the natural key. */
  keyField: string;
  /** For CSV: the field holding a list of child rows (lines, stages, allocations). */
  childField?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  schema: z.ZodObject<any>;
  /** Documents have a date and a total. */
  document: boolean;
  /** Copies the indexed columns out of a record. */
  columns(r: RecordOf[K]): { date: string | null; partyKey: string | null; projectKey: string | null; totalCents: number | null };
}

const none = { date: null, partyKey: null, projectKey: null, totalCents: null };

export const kindInfo: { [K in Kind]: KindInfo<K> } = {
  office: { kind: 'office', label: 'office', fileKey: 'offices', slug: 'offices', keyField: 'code', schema: officeSchema, document: false, columns: () => none },
  staff: { kind: 'staff', label: 'staff member', fileKey: 'staff', slug: 'staff', keyField: 'uniqueId', schema: staffSchema, document: false, columns: () => none },
  contact: { kind: 'contact', label: 'contact', fileKey: 'contacts', slug: 'contacts', keyField: 'code', schema: contactSchema, document: false, columns: () => none },
  'cost-centre': {
    kind: 'cost-centre',
    label: 'cost centre',
    fileKey: 'costCentres',
    slug: 'cost-centres',
    keyField: 'code',
    schema: costCentreSchema,
    document: false,
    columns: () => none,
  },
  discipline: {
    kind: 'discipline',
    label: 'discipline',
    fileKey: 'disciplines',
    slug: 'disciplines',
    keyField: 'code',
    schema: disciplineSchema,
    document: false,
    columns: () => none,
  },
  'expense-type': {
    kind: 'expense-type',
    label: 'expense type',
    fileKey: 'expenseTypes',
    slug: 'expense-types',
    keyField: 'code',
    schema: expenseTypeSchema,
    document: false,
    columns: () => none,
  },
  'tax-code': { kind: 'tax-code', label: 'tax code', fileKey: 'taxCodes', slug: 'tax-codes', keyField: 'code', schema: taxCodeSchema, document: false, columns: () => none },
  'payment-type': {
    kind: 'payment-type',
    label: 'payment type',
    fileKey: 'paymentTypes',
    slug: 'payment-types',
    keyField: 'code',
    schema: paymentTypeSchema,
    document: false,
    columns: () => none,
  },
  project: {
    kind: 'project',
    label: 'project',
    fileKey: 'projects',
    slug: 'projects',
    keyField: 'number',
    childField: 'stages',
    schema: projectSchema,
    document: false,
    columns: (r) => ({ date: null, partyKey: r.clientCode, projectKey: r.number, totalCents: r.stages.reduce((s, x) => s + x.feeCents, 0) }),
  },
  invoice: {
    kind: 'invoice',
    label: 'invoice',
    fileKey: 'invoices',
    slug: 'invoices',
    keyField: 'number',
    childField: 'lines',
    schema: invoiceSchema,
    document: true,
    columns: (r) => ({ date: r.date, partyKey: r.contactCode, projectKey: r.projectNumber ?? null, totalCents: r.totalCents }),
  },
  'credit-note': {
    kind: 'credit-note',
    label: 'credit note',
    fileKey: 'creditNotes',
    slug: 'credit-notes',
    keyField: 'number',
    childField: 'lines',
    schema: creditNoteSchema,
    document: true,
    columns: (r) => ({ date: r.date, partyKey: r.contactCode, projectKey: r.projectNumber ?? null, totalCents: r.totalCents }),
  },
  payment: {
    kind: 'payment',
    label: 'payment',
    fileKey: 'payments',
    slug: 'payments',
    keyField: 'number',
    childField: 'allocations',
    schema: paymentSchema,
    document: true,
    columns: (r) => ({ date: r.date, partyKey: r.contactCode, projectKey: null, totalCents: r.amountCents }),
  },
  bill: {
    kind: 'bill',
    label: 'bill',
    fileKey: 'bills',
    slug: 'bills',
    keyField: 'number',
    childField: 'lines',
    schema: billSchema,
    document: true,
    columns: (r) => ({ date: r.date, partyKey: r.supplierCode, projectKey: null, totalCents: r.totalCents }),
  },
  'staff-expense': {
    kind: 'staff-expense',
    label: 'staff expense',
    fileKey: 'staffExpenses',
    slug: 'staff-expenses',
    keyField: 'number',
    schema: staffExpenseSchema,
    document: true,
    columns: (r) => ({ date: r.date, partyKey: r.staffUniqueId, projectKey: r.projectNumber ?? null, totalCents: r.totalCents }),
  },
};

/** The natural key of a record of a kind. */
export function keyOf(kind: Kind, record: Record<string, unknown>): string {
  return String(record[kindInfo[kind].keyField]);
}

/** `invoices`, `credit-notes`, `creditNotes`, `credit-note`, `credit_notes.csv` → `credit-note`. */
export function kindFromName(name: string): Kind | undefined {
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/\.csv$|\.json$/, '')
      .replace(/[^a-z]/g, '');
  const n = norm(name);
  return kinds.find((k) => {
    const i = kindInfo[k];
    return [i.kind, i.slug, i.fileKey].some((x) => norm(x) === n);
  });
}

export function isKind(s: string): s is Kind {
  return (kinds as readonly string[]).includes(s);
}
