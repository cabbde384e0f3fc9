/**
 * The practice ledger's record kinds as zod schemas: the one definition behind the TypeScript types,
 * the JSON API, the import file and its published JSON Schema (docs/practice-import.schema.json).
 *
 * Conventions: money is integer cents (`…Cents`), dates are `YYYY-MM-DD`, references name the other
 * record by its natural key (`contactCode`, `projectNumber`, `taxCode`, …). Schemas do not transform
 * values, so what is stored (and hashed) is exactly what was sent, and the JSON Schema matches input.
 * Checks that need other records (references, totals) live in validate.ts.
 */
import { z } from 'zod';

/** Upper bounds for strings: generous where QBO is generous; the preview warns where QBO is stricter. */
export const limits = {
  code: 30,
  number: 50,
  name: 200,
  email: 254,
  phone: 30,
  address: 500,
  taxNumber: 30,
  reference: 100,
  description: 4000,
  text: 4000,
  /** 10^13 cents = 100 billion dollars: far above any practice document, far below 2^53. */
  maxCents: 10_000_000_000_000,
} as const;

/**
 * Text is refused, with the field named, when it holds a control character (C0, DEL, C1) or half of
 * a surrogate pair: PostgreSQL cannot store NUL at all (a 500, "invalid byte sequence for encoding
 * UTF8: 0x00") and SQLite would store it, so the two dialects would disagree; a lone surrogate would
 * be stored as U+FFFD, silently changed; and QBO refuses tabs and line breaks in names. One-line
 * fields (names, numbers, references, emails) allow none; multi-line fields (addresses, the invoice
 * text, line descriptions) also allow tab, line feed and carriage return, which people type there
 * and QBO keeps.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const oneLineControl = /[\u0000-\u001F\u007F-\u009F]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const multiLineControl = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export function hasForbiddenCharacters(s: string, multiLine = false): boolean {
  return (multiLine ? multiLineControl : oneLineControl).test(s) || loneSurrogate.test(s);
}
const forbidden = (multiLine: boolean) => ({
  error: multiLine ? 'must not hold control characters (such as NUL) other than tabs and line breaks' : 'must not hold control characters (such as NUL, a tab or a line break)',
});
/** A lone surrogate is not a control character: its own reason, so the bookkeeper looks for a damaged character, not a tab. */
const halfPair = { error: 'holds a damaged character (half of a UTF-16 surrogate pair, e.g. \\uD800 alone, often from cutting text mid-emoji): retype or remove it' };
const str = (max: number) =>
  z
    .string({ error: 'must be text' })
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => !oneLineControl.test(s), forbidden(false))
    .refine((s) => !loneSurrogate.test(s), halfPair);
const multiLineStr = (max: number) =>
  z
    .string({ error: 'must be text' })
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => !multiLineControl.test(s), forbidden(true))
    .refine((s) => !loneSurrogate.test(s), halfPair);
const required = (max: number) => str(max).min(1, { error: 'must not be empty' });
const optional = (max: number) => str(max).nullable().optional();
const optionalMultiLine = (max: number) => multiLineStr(max).nullable().optional();

/** Keys and references: no surrounding spaces (nor, as all one-line text, control characters), so " INV-1" is never a second INV-1. */
const key = (max: number) => required(max).refine((s) => s === s.trim(), { error: 'must not start or end with spaces' });
const optionalKey = (max: number) => key(max).nullable().optional();

/** A real calendar date `YYYY-MM-DD` (2026-02-30 is refused). */
export function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
export const dateSchema = z
  .string({ error: 'must be a date YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date YYYY-MM-DD' })
  .refine(isCalendarDate, { error: 'is not a calendar date' })
  .describe('A calendar date, YYYY-MM-DD');

/** Integer cents, zero or more. */
export const centsSchema = z
  .int({ error: 'must be a whole number of cents' })
  .min(0, { error: 'must not be negative' })
  .max(limits.maxCents, { error: 'is too large' })
  .describe('Money in integer cents (12345 = $123.45), zero or more');
/** Integer cents, more than zero. */
export const positiveCentsSchema = centsSchema.refine((n) => n > 0, { error: 'must be more than zero' });

export const recordStates = ['active', 'cancelled'] as const;
export type RecordState = (typeof recordStates)[number];
const state = z.enum(recordStates, { error: 'must be active or cancelled' }).optional();

const bool = z.boolean({ error: 'must be true or false' });

// ---- lists and names -----------------------------------------------------------------------

export const officeSchema = z.strictObject({
  code: key(limits.code),
  name: required(limits.name),
  state,
});

export const staffSchema = z.strictObject({
  /** The staff member's unique ID (sent to QBO as a supplier for staff expenses). */
  uniqueId: key(limits.code),
  name: required(limits.name),
  /** Not checked as an address here: an invalid email is a preview warning, not a reason to refuse. */
  email: optional(limits.email),
  officeCode: optionalKey(limits.code),
  state,
});

export const contactSchema = z.strictObject({
  /** The practice system's own contact code: the natural key, always present. */
  code: key(limits.code),
  /** The accounting unique ID (Synergy's "Card ID"): the matching key in QBO. May be missing (a preview error). */
  uniqueId: optionalKey(limits.code),
  name: required(limits.name),
  legalName: optional(limits.name),
  email: optional(limits.email),
  phone: optional(limits.phone),
  postalAddress: optionalMultiLine(limits.address),
  streetAddress: optionalMultiLine(limits.address),
  /** ABN or other tax registration number. */
  taxNumber: optional(limits.taxNumber),
  isClient: bool,
  isSupplier: bool,
  state,
});

export const costCentreSchema = z.strictObject({
  code: key(limits.code),
  name: required(limits.name),
  /** Income account code in the accounting system, when revenue is mapped by cost centre. */
  incomeAccountCode: optionalKey(limits.code),
  state,
});

export const disciplineSchema = z.strictObject({
  code: key(limits.code),
  name: required(limits.name),
  /** Income account code in the accounting system, when revenue is mapped by discipline. */
  incomeAccountCode: optionalKey(limits.code),
  state,
});

export const expenseTypeSchema = z.strictObject({
  code: key(limits.code),
  name: required(limits.name),
  /** Expense account code in the accounting system, when costs are mapped by expense type. */
  expenseAccountCode: optionalKey(limits.code),
  state,
});

export const taxCodeSchema = z.strictObject({
  code: key(limits.code),
  name: required(limits.name),
  /** Rate in basis points: 1000 = 10 %. Integer, so no float ever touches a rate. */
  rateBasisPoints: z
    .int({ error: 'must be a whole number of basis points (1000 = 10 %)' })
    .min(0, { error: 'must not be negative' })
    .max(10_000, { error: 'must be at most 10000 (100 %)' }),
  forSales: bool,
  forPurchases: bool,
  state,
});

export const paymentTypeSchema = z.strictObject({
  code: key(limits.code),
  name: required(limits.name),
  state,
});

export const projectStatuses = ['active', 'on-hold', 'complete'] as const;

export const stageSchema = z.strictObject({
  /** Unique within its project. */
  code: key(limits.code),
  name: required(limits.name),
  costCentreCode: optionalKey(limits.code),
  disciplineCode: optionalKey(limits.code),
  feeCents: centsSchema,
});

export const projectSchema = z.strictObject({
  number: key(limits.number),
  name: required(limits.name),
  /** The client contact's code. */
  clientCode: key(limits.code),
  officeCode: optionalKey(limits.code),
  /** Project manager: a staff unique ID. */
  managerUniqueId: optionalKey(limits.code),
  clientReference: optional(limits.reference),
  status: z.enum(projectStatuses, { error: 'must be active, on-hold or complete' }),
  stages: z.array(stageSchema, { error: 'must be a list of stages' }).max(500, { error: 'must have at most 500 stages' }),
  state,
});

// ---- documents -------------------------------------------------------------------------------

export const invoiceLineSchema = z.strictObject({
  /** A stage of the invoice's project. */
  stageCode: optionalKey(limits.code),
  description: multiLineStr(limits.description),
  amountCents: centsSchema,
  taxCode: key(limits.code),
  taxCents: centsSchema,
});

const lines = <T extends z.ZodType>(line: T) =>
  z.array(line, { error: 'must be a list of lines' }).min(1, { error: 'must have at least one line' }).max(1000, { error: 'must have at most 1000 lines' });

export const invoiceSchema = z.strictObject({
  number: key(limits.number),
  date: dateSchema,
  dueDate: dateSchema,
  contactCode: key(limits.code),
  projectNumber: optionalKey(limits.number),
  clientReference: optional(limits.reference),
  /** The invoice text (shown at the top of the invoice). */
  text: optionalMultiLine(limits.text),
  lines: lines(invoiceLineSchema),
  /** Σ lines[].taxCents. */
  taxCents: centsSchema,
  /** Σ lines[].amountCents + taxCents. */
  totalCents: centsSchema,
  state,
});

export const creditNoteKinds = ['discount', 'cancellation', 'write-off'] as const;

/** Credit note lines carry positive amounts: the credit note's `kind` says it reduces what is owed. */
export const creditNoteLineSchema = invoiceLineSchema;

export const creditNoteSchema = z.strictObject({
  number: key(limits.number),
  date: dateSchema,
  contactCode: key(limits.code),
  projectNumber: optionalKey(limits.number),
  /** The invoice this credit note reduces. */
  invoiceNumber: optionalKey(limits.number),
  kind: z.enum(creditNoteKinds, { error: 'must be discount, cancellation or write-off' }),
  text: optionalMultiLine(limits.text),
  lines: lines(creditNoteLineSchema),
  taxCents: centsSchema,
  totalCents: centsSchema,
  state,
});

export const allocationSchema = z.strictObject({
  invoiceNumber: key(limits.number),
  amountCents: positiveCentsSchema,
});

export const paymentSchema = z.strictObject({
  /** The receipt number: the natural key of a payment received. */
  number: key(limits.number),
  date: dateSchema,
  contactCode: key(limits.code),
  paymentTypeCode: key(limits.code),
  reference: optional(limits.reference),
  amountCents: positiveCentsSchema,
  /** Σ allocations[].amountCents ≤ amountCents; the rest is unallocated. */
  allocations: z.array(allocationSchema, { error: 'must be a list of allocations' }).max(1000, { error: 'must have at most 1000 allocations' }),
  state,
});

export const billLineSchema = z.strictObject({
  projectNumber: optionalKey(limits.number),
  stageCode: optionalKey(limits.code),
  expenseTypeCode: key(limits.code),
  description: multiLineStr(limits.description),
  amountCents: centsSchema,
  taxCode: key(limits.code),
  taxCents: centsSchema,
});

export const billSchema = z.strictObject({
  /** The practice's own bill number: the natural key (supplier invoice numbers repeat across suppliers). */
  number: key(limits.number),
  supplierCode: key(limits.code),
  /** The supplier's invoice number. */
  supplierReference: optional(limits.reference),
  date: dateSchema,
  dueDate: dateSchema,
  lines: lines(billLineSchema),
  taxCents: centsSchema,
  totalCents: centsSchema,
  state,
});

export const staffExpenseKinds = ['cash', 'travel'] as const;

export const staffExpenseSchema = z.strictObject({
  /** The claim number: the natural key. */
  number: key(limits.number),
  staffUniqueId: key(limits.code),
  date: dateSchema,
  kind: z.enum(staffExpenseKinds, { error: 'must be cash or travel' }),
  expenseTypeCode: key(limits.code),
  projectNumber: optionalKey(limits.number),
  stageCode: optionalKey(limits.code),
  description: multiLineStr(limits.description),
  amountCents: centsSchema,
  taxCode: key(limits.code),
  taxCents: centsSchema,
  /** amountCents + taxCents. */
  totalCents: centsSchema,
  state,
});

export type Office = z.infer<typeof officeSchema>;
export type Staff = z.infer<typeof staffSchema>;
export type Contact = z.infer<typeof contactSchema>;
export type CostCentre = z.infer<typeof costCentreSchema>;
export type Discipline = z.infer<typeof disciplineSchema>;
export type ExpenseType = z.infer<typeof expenseTypeSchema>;
export type TaxCode = z.infer<typeof taxCodeSchema>;
export type PaymentType = z.infer<typeof paymentTypeSchema>;
export type Stage = z.infer<typeof stageSchema>;
export type Project = z.infer<typeof projectSchema>;
export type InvoiceLine = z.infer<typeof invoiceLineSchema>;
export type Invoice = z.infer<typeof invoiceSchema>;
export type CreditNoteLine = z.infer<typeof creditNoteLineSchema>;
export type CreditNote = z.infer<typeof creditNoteSchema>;
export type Allocation = z.infer<typeof allocationSchema>;
export type Payment = z.infer<typeof paymentSchema>;
export type BillLine = z.infer<typeof billLineSchema>;
export type Bill = z.infer<typeof billSchema>;
export type StaffExpense = z.infer<typeof staffExpenseSchema>;
