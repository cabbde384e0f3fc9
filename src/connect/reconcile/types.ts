/**
 * The reconciliation report as data: per customer, per supplier and staff member, per tax code, and
 * the documents that explain every difference, each with what to do. Amounts are integer cents.
 * The page, the CLI (`--json`), the API and the CSV export all show this one object.
 */

/** The practice's figure, QBO's, and practice − QBO. */
export interface Pair {
  practice: number;
  qbo: number;
  difference: number;
}

export interface CustomerRow {
  /** The practice contact code, or `qbo:<Customer Id>` for a customer QBO has and no contact is linked to. */
  code: string;
  name: string;
  /** QBO's name for the customer when it is not the practice's (renamed in QBO): shown beside it. */
  qboName?: string;
  qboId: string | null;
  invoiced: Pair;
  credited: Pair;
  received: Pair;
  /** At the period's end: the practice's documents since export-from, QBO's CustomerBalance report. */
  openBalance: Pair;
  /** QBO's AgedReceivables: what is past due at the period's end (information, not compared). */
  overdueInQbo: number;
  /** Ids of the differences about this customer. */
  differences: string[];
}

export interface SupplierRow {
  kind: 'supplier' | 'staff';
  /** Contact code (suppliers), staff unique ID (staff), or `qbo:<Vendor Id>`. */
  code: string;
  name: string;
  qboId: string | null;
  /** Bills (suppliers) or staff expenses (staff) in the period. */
  billed: Pair;
  /** QBO's VendorBalance at the period's end (bills paid in QBO lower it: information, not compared). */
  openInQbo: number;
  differences: string[];
}

export interface TaxRow {
  side: 'sales' | 'purchases';
  /** The QBO tax code the figures are under (as QBO holds them; the practice's through today's mapping). */
  qboCode: string;
  qboCodeName: string;
  /** The practice tax codes mapped to it. */
  practiceCodes: string[];
  taxable: Pair;
  tax: Pair;
}

export const differenceKinds = [
  'practice-only',
  'qbo-only',
  'looks-like-ours',
  'total',
  'payment-applied',
  'date',
  'changed-in-qbo',
  'changed-in-practice',
  'diverged',
  'deleted-in-qbo',
  'voided-in-qbo',
  'tax-code',
  'outside-period',
  'customer',
] as const;
export type DifferenceKind = (typeof differenceKinds)[number];

export interface Difference {
  /** Stable within a report: `invoice:INV-1042`, `qbo:Payment:77`, `tax:sales:GST:10>11`. */
  id: string;
  kind: DifferenceKind;
  /** Left out on purpose (a skipped record): listed, not counted as a difference. */
  intentional: boolean;
  /** The practice record, with its page. */
  record: { kind: string; key: string; href: string } | null;
  /** The QBO record. */
  qbo: { entity: string; id: string } | null;
  /** Customer or supplier/staff code the difference belongs to, when one does. */
  party: string | null;
  date: string | null;
  practiceCents: number;
  qboCents: number;
  /** practice − QBO. */
  amountCents: number;
  explanation: string;
  action: string;
  /** The page the action is taken on, when there is one (a held record: its card on the held page). */
  actionHref?: string;
  /**
   * The id of the difference this row is another share of (a document under another customer in QBO
   * has a row on each customer, so each customer's rows add up): shown, not counted again.
   */
  shareOf?: string;
}

export interface MonthTotals {
  month: string;
  sales: Pair;
  purchases: Pair;
}

export interface ReconciliationReport {
  realmId: string;
  companyName: string;
  from: string;
  to: string;
  generatedAt: string;
  /** The day the default period end is: today in the company's time zone, or in UTC when that is not known. */
  today: { date: string; zone: string; known: boolean };
  /** Requests made to QBO for this report (reports and bulk queries). */
  qboRequests: number;
  elapsedMs: number;
  summary: { differences: number; leftOut: number; agrees: boolean };
  customers: CustomerRow[];
  suppliers: SupplierRow[];
  tax: TaxRow[];
  differences: Difference[];
  months: MonthTotals[];
  /** The grand totals of the tables: every customer, every supplier and staff member, every tax code, every counted difference. */
  totals: Totals;
}

export interface Totals {
  customers: { invoiced: Pair; credited: Pair; received: Pair; openBalance: Pair; overdueInQbo: number };
  suppliers: { billed: Pair; openInQbo: number };
  /** Per side: sales and purchases are never added together. */
  tax: Record<'sales' | 'purchases', { taxable: Pair; tax: Pair }>;
  /** Σ amountCents of the counted differences (left-out ones and a second customer's share not counted). */
  differencesCents: number;
}

/** The Pair sum of `xs`. */
export const sumPairs = (xs: Pair[]): Pair =>
  pair(
    xs.reduce((s, x) => s + x.practice, 0),
    xs.reduce((s, x) => s + x.qbo, 0),
  );

export const pair = (practice: number, qbo: number): Pair => ({ practice, qbo, difference: practice - qbo });

/** The anchor of a held record's card on the held page (server/pages/held.tsx). */
export const heldAnchor = (kind: string, key: string) => `held-${kind}-${encodeURIComponent(key)}`;
