/**
 * The pure model: what the practice holds (as the test wrote it), the settings in force, and what
 * the accountant did in QBO. It never predicts what the sync does; the invariants compare QBO, read
 * back through its API, with the practice's own store and with these facts.
 */

export interface ModelInvoice {
  contactCode: string;
  /** Practice B's invoices are on their client's project (office routing). */
  projectNumber?: string;
  date: string;
  dueDate: string;
  text: string;
  lineCents: number[];
  cancelled: boolean;
}

export interface ModelPayment {
  contactCode: string;
  invoiceNumber: string;
  amountCents: number;
}

/** What the accountant set on a QBO invoice by hand: each must survive every later sync. */
export interface AccountantEdit {
  invoiceNumber: string;
  memo?: string;
  dueDate?: string;
  /** The total after a hand change of a line amount (QBO's TotalAmt, in cents). */
  totalCents?: number;
}

export interface Model {
  contacts: Map<string, string>;
  invoices: Map<string, ModelInvoice>;
  payments: Map<string, ModelPayment>;
  next: { contact: number; invoice: number; payment: number; edit: number };
  direction: 'import' | 'export';
  exportFrom: string;
  memo: 'none' | 'invoice-text';
  skipped: Set<string>;
  connected: boolean;
  /** QBO invoice Id → the accountant's edits. */
  edits: Map<string, AccountantEdit>;
  /** Payments the accountant entered in QBO, by QBO Id. */
  accountantPayments: Map<string, { invoiceNumber: string; qboInvoiceId: string; amountCents: number }>;
  /** Every step so far, for the report. */
  steps: number;
  /** Set by the closing settle step: from then on every syncable invoice must be in QBO. */
  settled: boolean;
  /** Practice B (issue 15): the same installation's second practice, with the same record keys. */
  b: PracticeBModel;
}

/** Practice B's ledger as the test wrote it: invoices numbered like A's, its own skips and window. */
export interface PracticeBModel {
  invoices: Map<string, ModelInvoice>;
  nextInvoice: number;
  nextEdit: number;
  skipped: Set<string>;
  exportFrom: string;
  /** Office routing (issue 15): project → office (B's invoices take their client's project, P-C1…). */
  projectOffice: Map<string, string>;
  /** B invoice → the first company it was linked in: it must never be created in the other. */
  firstCompany: Map<string, string>;
  /** Promises a step saw broken (a sync that sent while the preview had overlap rows), reported and cleared by the next check. */
  violations: string[];
}

export function initialModel(contacts: readonly string[]): Model {
  return {
    contacts: new Map(contacts.map((c) => [c, `Client ${c}`])),
    invoices: new Map(),
    payments: new Map(),
    next: { contact: contacts.length + 1, invoice: 1, payment: 1, edit: 1 },
    direction: 'import',
    exportFrom: '2026-10-01',
    memo: 'none',
    skipped: new Set(),
    connected: true,
    edits: new Map(),
    accountantPayments: new Map(),
    steps: 0,
    settled: false,
    b: {
      invoices: new Map(),
      nextInvoice: 1,
      nextEdit: 1,
      skipped: new Set(),
      exportFrom: '2026-10-01',
      projectOffice: new Map([
        ['P-C1', 'N'],
        ['P-C2', 'S'],
        ['P-C3', 'N'],
      ]),
      firstCompany: new Map(),
      violations: [],
    },
  };
}

/** Cents the practice's own payments allocate to an invoice. */
export function practicePaid(m: Model, invoiceNumber: string): number {
  let s = 0;
  for (const p of m.payments.values()) if (p.invoiceNumber === invoiceNumber) s += p.amountCents;
  return s;
}

export function hasAnyPayment(m: Model, invoiceNumber: string): boolean {
  if (practicePaid(m, invoiceNumber) > 0) return true;
  for (const p of m.accountantPayments.values()) if (p.invoiceNumber === invoiceNumber) return true;
  return false;
}
