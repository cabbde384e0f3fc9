/**
 * The connect settings of one QBO company: how practice records become QBO records. One typed
 * document per company (realm); every leaf has a default, so a company that has never been
 * configured still previews. Paths (`invoices.memo`, `tax.sales.GST`) address the leaves.
 */
import { z } from 'zod';
import type { Clock } from '../../context.js';

function isRealDate(v: string): boolean {
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** An accounting date, `YYYY-MM-DD`. */
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine(isRealDate)
  .describe('a date as YYYY-MM-DD, e.g. 2026-07-01');

// QBO ids are short numeric strings, except US pseudo tax codes (TAX, NON); anything printable fits.
const qboIdBase = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]+$/u);

/** A QBO entity id that must be present when the map has an entry. */
export const qboId = qboIdBase.describe('a QBO id (e.g. 42), or none to remove the entry');
/** A QBO entity id that may be unset (`none`). */
export const qboRef = qboIdBase.nullable().describe('a QBO id (e.g. 42), or none');

/** A practice code used as a mapping key: a tax code, cost centre, discipline, expense or payment type. */
export const practiceCode = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}.]+$/u)
  // A mapping is a plain JSON object: `__proto__` would set its prototype, not add an entry, and
  // zod drops it, so a mapping for that code would be audited and silently lost.
  .refine((c) => c !== '__proto__')
  .describe('a practice code of 1 to 100 characters without dots (not __proto__)');

const onOff = z.boolean().describe('on, off');
const mapping = (what: string) => z.record(practiceCode, qboId).describe(`a mapping from ${what} to QBO ids`);

export const memoOptions = ['none', 'invoice-text', 'project-number', 'client-reference'] as const;
export const invoiceLineDescriptions = ['stage', 'project-and-stage', 'stage-and-description'] as const;
export const expenseLineDescriptions = ['project-stage-and-expense-type', 'project-and-stage', 'rate-and-expense-type', 'expense-type', 'note'] as const;

const expenseSettings = (exportByDefault: boolean) =>
  z.object({
    /** Send these documents to QBO at all. */
    export: onOff.default(exportByDefault),
    expenseAccount: z.enum(['fixed', 'by-expense-type']).default('fixed'),
    fixedExpenseAccountId: qboRef.default(null),
    expenseAccountByExpenseType: mapping('practice expense types to QBO expense accounts').default({}),
    lineDescription: z.enum(expenseLineDescriptions).default('project-stage-and-expense-type'),
  });

/**
 * Built per call because the export-from dates default to the first day of the current month on
 * the injected clock (the date is frozen into the stored document when the company is first seen).
 */
export function settingsSchemaAt(clock: Clock) {
  const firstOfMonth = firstDayOfMonth(clock());
  const from = () => isoDate.default(firstOfMonth);
  return z.object({
    general: z
      .object({
        /** How far back each kind of document is looked at (its own date on or after this). */
        exportFrom: z.object({ invoices: from(), creditNotes: from(), payments: from(), bills: from(), staffExpenses: from() }).prefault({}),
        /**
         * The currency the practice's amounts are in (ISO 4217). QBO Connect sends amounts as they are,
         * so it must be the QBO company's home currency (issue 19: a GBP company was sent AUD amounts).
         * AUD by default: the practice system is an Australian one, like the demo practice.
         */
        practiceCurrency: z
          .string()
          .regex(/^[A-Z]{3}$/)
          .describe('a three-letter currency code, e.g. AUD')
          .default('AUD'),
      })
      .prefault({}),
    contacts: z
      .object({
        /** Shorten names longer than QBO accepts rather than refusing the record. */
        shortenLongNames: onOff.default(true),
        /** `S-` before the unique ID of contacts and staff sent as suppliers, so they are separate QBO records. */
        supplierPrefix: onOff.default(true),
        /** Match an existing QBO customer/supplier by unique ID, then by name ignoring case and spacing. */
        matchOrder: z.enum(['unique-id-then-name', 'unique-id-only']).default('unique-id-then-name'),
        createWhenNoMatch: onOff.default(true),
      })
      .prefault({}),
    invoices: z
      .object({
        /** The invoice text as a first, description-only line. */
        invoiceTextLine: onOff.default(true),
        memo: z.enum(memoOptions).default('project-number'),
        lineDescription: z.enum(invoiceLineDescriptions).default('project-and-stage'),
        /** One QBO service item per project, or one fixed item for every line. */
        jobItems: z.enum(['per-project', 'fixed-item']).default('per-project'),
        fixedItemId: qboRef.default(null),
        /** Per stage line, so one invoice can split income across accounts. */
        incomeAccount: z.enum(['fixed', 'by-cost-centre', 'by-discipline']).default('fixed'),
        fixedIncomeAccountId: qboRef.default(null),
        incomeAccountByCostCentre: mapping('practice cost centres to QBO income accounts').default({}),
        incomeAccountByDiscipline: mapping('practice disciplines to QBO income accounts').default({}),
        applyCreditToInvoice: onOff.default(true),
      })
      .prefault({}),
    payments: z
      .object({
        direction: z.enum(['import', 'export']).default('import'),
        depositAccountId: qboRef.default(null),
        methodByPaymentType: mapping('practice payment types to QBO payment methods').default({}),
      })
      .prefault({}),
    bills: expenseSettings(true).prefault({}),
    staffExpenses: expenseSettings(true).prefault({}),
    tax: z
      .object({
        sales: mapping('practice tax codes to QBO tax codes (sales)').default({}),
        purchases: mapping('practice tax codes to QBO tax codes (purchases)').default({}),
        /** US companies: lines carry TAX/NON and the transaction carries this tax code. */
        transactionTaxCodeId: qboRef.default(null),
      })
      .prefault({}),
  });
}

export type SettingsSchema = ReturnType<typeof settingsSchemaAt>;
export type Settings = z.infer<SettingsSchema>;

export function firstDayOfMonth(now: Date): string {
  return `${now.toISOString().slice(0, 7)}-01`;
}

/** Every default, as of the clock's month. */
export function defaultSettings(clock: Clock): Settings {
  return settingsSchemaAt(clock).parse({});
}
