/**
 * Reason codes and sentences of the practice ledger, in one place (this part's reasons module).
 * Every problem names the record (kind + natural key, or its position when the key itself is bad)
 * and the field. A ledger problem is an issue (one of many a file can have), so the sentences are
 * issue tails (`say`) that `issue()` prefixes with the record; `PracticeError` (store.ts) is the
 * refusal that carries them.
 */
import { kindInfo, kinds, type Kind } from './kinds.js';

export const reasonCodes = {
  invalid: 'practice.invalid', // a field fails its schema (type, length, date, negative…)
  unknownReference: 'practice.unknown-reference',
  wrongReference: 'practice.wrong-reference', // exists, but cannot be used here (a supplier as client…)
  totalMismatch: 'practice.total-mismatch',
  overAllocated: 'practice.over-allocated',
  dateOrder: 'practice.date-order',
  duplicateKey: 'practice.duplicate-key',
  exists: 'practice.exists',
  notFound: 'practice.not-found',
  keyChanged: 'practice.key-changed',
  unknownKind: 'practice.unknown-kind',
  badFile: 'practice.bad-file',
  rowsDisagree: 'practice.rows-disagree', // CSV rows of one document give different values for a document field
} as const;
export type ReasonCode = (typeof reasonCodes)[keyof typeof reasonCodes];

export interface PracticeIssue {
  code: ReasonCode;
  /** Record kind, when the problem belongs to one. */
  kind?: Kind;
  /** Natural key, or `#3` (third record of its kind in the file) when the key is missing or bad. */
  key?: string;
  /** Field path, e.g. `lines[2].taxCode`; empty for the record as a whole. */
  field: string;
  /** Where in the input: `invoices[4]`, or `invoices.csv row 7`. */
  at?: string;
  /** The full sentence, e.g. `invoice INV-1042: lines[2].taxCode "GST-X" is not a known tax code`. */
  message: string;
}

export function recordLabel(kind: Kind | undefined, key: string | undefined): string {
  if (!kind) return key ?? 'file';
  return `${kindInfo[kind].label} ${key ?? '(no key)'}`;
}

export function issue(code: ReasonCode, kind: Kind | undefined, key: string | undefined, field: string, text: string, at?: string): PracticeIssue {
  const where = at ? ` (${at})` : '';
  const subject = field ? `${field} ` : '';
  return { code, ...(kind ? { kind } : {}), ...(key !== undefined ? { key } : {}), field, ...(at ? { at } : {}), message: `${recordLabel(kind, key)}${where}: ${subject}${text}` };
}

export const say = {
  unknown: (value: string, what: string) => `"${value}" is not a known ${what}: add the ${what} first, or correct the reference`,
  notClient: (value: string) => `"${value}" is a contact that is not marked as a client (isClient): mark it as a client or pick another contact`,
  notSupplier: (value: string) => `"${value}" is a contact that is not marked as a supplier (isSupplier): mark it as a supplier or pick another contact`,
  taxNotFor: (value: string, use: 'sales' | 'purchases') =>
    `"${value}" is a tax code not marked for ${use} (for${use === 'sales' ? 'Sales' : 'Purchases'}): use another tax code or mark it`,
  stageNeedsProject: (value: string) => `"${value}" names a stage but the document has no project: give projectNumber`,
  unknownStage: (value: string, project: string) => `"${value}" is not a stage of project ${project}: add the stage to the project or correct the code`,
  sumMismatch: (expected: number, got: number, what: string) => `is ${got} cents but ${what} is ${expected} cents: correct the total or the lines`,
  overAllocated: (allocated: number, amount: number) => `allocate ${allocated} cents in total, more than the payment amount of ${amount} cents: reduce the allocations`,
  otherContact: (invoice: string, contact: string) => `invoice ${invoice} belongs to contact ${contact}, not to this payment's contact: allocate to that contact's invoices only`,
  allocationOverInvoice: (amount: number, invoice: string, total: number) =>
    `is ${amount} cents, more than the total of invoice ${invoice} (${total} cents): reduce the allocation`,
  creditOverInvoice: (total: number, invoice: string, invoiceTotal: number) =>
    `is ${total} cents, more than the total of invoice ${invoice} (${invoiceTotal} cents): a credit note cannot credit more than its invoice`,
  creditOtherContact: (invoice: string, contact: string) => `invoice ${invoice} belongs to contact ${contact}, not to this credit note's contact: use the invoice's contact`,
  dueBeforeDate: () => 'is before the document date: the due date must be on or after date',
  duplicateInFile: (value: string) => `"${value}" appears more than once in this input: each record once`,
  duplicateStage: (value: string) => `"${value}" is used by another stage of this project: stage codes must be unique within a project`,
  exists: () => 'a record with this key exists already: update it instead (PUT), or use another key',
  notFound: () => 'no such record: create it first',
  keyChanged: (from: string, to: string) => `is "${to}" but the record being updated is "${from}": natural keys never change; create a new record instead`,
};

/** The API's refusals of a record asked for by URL (`/api/v1/practice/{kind}/{key}`): whole sentences, not issue tails. */
export const sayWhole = {
  noSuchKind: (value: string) => `"${value}" is not a kind of practice record; use one of ${kinds.map((k) => kindInfo[k].slug).join(', ')}.`,
  noSuchRecord: (kind: Kind, key: string) => `${kindInfo[kind].label} ${key}: no such record.`,
};
