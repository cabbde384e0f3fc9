/**
 * Reason codes of the connect engine and the one place that turns them into sentences: the company
 * choice, settings and skipped records, then the preview's codes (a code stored today still reads the
 * same tomorrow). A refusal is a `UserFacingError` made by `refusal(code, ctx, field)`, so its code,
 * sentence and HTTP status are found here and nowhere else. The sync's codes are in run/reasons.ts,
 * the connection flow's in connection-reasons.ts, QuickBooks' own in qbo/reasons.ts.
 */
import { UserFacingError, type RefusalStatus } from '../user-facing-error.js';
import { isQboFailure, sentence as qboSentence } from '../qbo/reasons.js';
import { documentKinds, type DocumentKind } from './kinds.js';

export type ConnectReason =
  | 'realm.required'
  | 'realm.unknown'
  | 'settings.unknown-path'
  | 'settings.invalid-value'
  | 'settings.invalid-actor'
  | 'settings.conflict'
  | 'skip.unknown-kind'
  | 'skip.invalid-id'
  | 'skip.not-skipped';

/** What a sentence may need; each sentence uses the fields its code is about. */
export interface ConnectContext {
  /** The setting's path, e.g. `invoices.memo`. */
  path?: string;
  /** The value given, as the person typed or sent it. */
  value?: unknown;
  /** The allowed values or form, e.g. `none, invoice-text` or `a date as YYYY-MM-DD`. */
  allowed?: string;
  /** Known settings near an unknown path; the companies connected (or known) here. */
  known?: string[];
  /** A record reference, e.g. `invoice INV-0042`. */
  record?: string;
  /** The kinds of record that can be skipped. */
  kinds?: string[];
  /** How to name a company: `--realm ID` on the command line, `?realm=ID` in the API. */
  how?: string;
  detail?: string;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export const sentences: Record<ConnectReason, (ctx: ConnectContext) => string> = {
  'realm.required': (c) =>
    c.value !== undefined
      ? `realm "${String(c.value).slice(0, 40)}" is not a QuickBooks company id (a number such as 9130350000000000): name one with ${c.how}.`
      : c.known?.length
        ? `Several QBO companies are connected (${c.known.join(', ')}): name one with ${c.how}.`
        : `No QBO company is connected: connect one with "qbo-connect connect", or name the company with ${c.how}.`,
  'realm.unknown': (c) =>
    `QuickBooks company ${shown(c.value)} was never connected here${c.known?.length ? ` (known: ${c.known.join(', ')})` : ''}: connect it first, or name a known one with ${c.how}.`,
  'settings.unknown-path': (c) =>
    `There is no setting ${c.path ?? '(none given)'}; known settings${c.known?.length ? `: ${c.known.join(', ')}` : ' are listed by `qbo-connect settings show`'}.`,
  'settings.invalid-value': (c) => `Setting ${c.path}: ${shown(c.value)} is not allowed; allowed values: ${c.allowed ?? 'see `qbo-connect settings show`'}.`,
  'settings.invalid-actor': (c) => `A change must name who made it (actor); got ${shown(c.value)}.`,
  'settings.conflict': (c) => `Setting ${c.path} was changed by someone else at the same moment; please try again.`,
  'skip.unknown-kind': (c) => `There is no record kind ${shown(c.value)}; use one of: ${(c.kinds ?? []).join(', ')}.`,
  'skip.invalid-id': (c) => `Record id ${shown(c.value)} is not usable: give the record's id as text of 1 to 200 characters, without control characters such as NUL.`,
  'skip.not-skipped': (c) => `${c.record ?? 'That record'} is not skipped, so there is nothing to add back.`,
};

/** HTTP status of a refusal; 400 (the input is wrong) unless listed. */
const statuses: Partial<Record<ConnectReason, RefusalStatus>> = { 'realm.unknown': 404 };

export function sentence(code: ConnectReason, ctx: ConnectContext = {}): string {
  return sentences[code](ctx);
}

/** The error a person can act on for `code`, about `field` (for the API's `{ error: { code, message, field } }`). */
export function refusal(code: ConnectReason, ctx: ConnectContext = {}, field?: string): UserFacingError<ConnectReason> {
  return new UserFacingError(code, sentence(code, ctx), { field, status: statuses[code] });
}

/**
 * A QuickBooks failure while asking it something (not connected, unreachable, refused) as a refusal:
 * 502, `qbo.unavailable`, the client's own one-line reason (which never carries a token). `asking` says
 * for what ("the preview"); anything that is not a QuickBooks failure is left alone (undefined).
 */
export function qboRefusal(err: unknown, asking?: string): UserFacingError | undefined {
  if (!isQboFailure(err)) return undefined;
  return new UserFacingError('qbo.unavailable', qboSentence('qbo.unavailable', { asking: asking ?? '', detail: err.message }), { status: 502 });
}

// ---- the preview's reason codes ------------------------------------------------------------------
// Each sentence names the record, the field and what to do. Document checks exist per document kind
// (`invoice.number-too-long`, `bill.number-too-long`, …), so a code alone says what it is about.

export const planDocumentKinds = documentKinds;
type PlanDocumentKind = DocumentKind;
export const documentChecks = [
  'number-too-long',
  'zero-value',
  'closed-period',
  'number-in-qbo-differs',
  'total-differs',
  'tax-differs',
  'changed-in-qbo',
  'deleted-in-qbo',
  'diverged',
  'contact-missing',
  'income-account-unmapped',
  'expense-account-unmapped',
  'us-tax-differs',
  'us-automated-tax',
  'not-for-us',
] as const;
type DocumentCheck = (typeof documentChecks)[number];
const nameKinds = ['contact', 'supplier', 'staff'] as const;
type NameKind = (typeof nameKinds)[number];
export const nameChecks = [
  'missing-unique-id',
  'duplicate-unique-id',
  'name-too-long',
  'name-has-colon',
  'invalid-email',
  'name-used-by-customer',
  'name-used-by-supplier',
  'name-used-by-employee',
  'name-exists-unmatched',
  'several-matches',
  'no-match',
  'duplicate-name',
  'diverged',
] as const;
type NameCheck = (typeof nameChecks)[number];

export type PlanReasonCode =
  | `${PlanDocumentKind}.${DocumentCheck}`
  | `${NameKind}.${NameCheck}`
  | 'item.income-account-unmapped'
  | 'item.name-changed'
  | 'tax.unmapped'
  | 'tax.transaction-code-unmapped'
  | 'invoice.item-unmapped'
  | 'payment.type-unmapped'
  | 'payment.invoice-before-export-from'
  | 'payment.invoice-unknown'
  | 'payment.invoice-skipped'
  | 'credit-note.invoice-unknown'
  | 'credit-note.not-applied'
  | 'qbo.reference-inactive'
  | 'credit-note.partly-applied'
  | 'invoice.void-has-payments'
  | 'credit-note.cannot-void'
  | 'payment-import.invoice-unknown'
  | 'payment-import.zero-total'
  | 'payment-import.no-payment-type'
  | 'qbo.linked-to-another'
  | 'company.currency-differs'
  | 'company.offices-overlap'
  | 'company.document-unrouted'
  | 'company.document-split'
  | 'company.document-in-other-company'
  | 'company.document-stays-here'
  | 'tax.rate-differs';

export interface PlanMessageContext {
  /** "invoice INV-1042 (Harbour Trust)". */
  record: string;
  field?: string;
  value?: unknown;
  /** A limit, a QBO name or date the sentence quotes. */
  limit?: number | string;
  /** What will be sent instead, or another detail. */
  detail?: string;
  /** The document that brings a name into the export. */
  via?: string;
}

const cents = (n: unknown) => (typeof n === 'number' ? `${n < 0 ? '-' : ''}${(Math.abs(n) / 100).toFixed(2)}` : String(n));

const documentSentences: Record<DocumentCheck, (c: PlanMessageContext) => string> = {
  'number-too-long': (c) =>
    `${c.record}: number "${shown(c.value)}" (field ${c.field ?? 'number'}) is longer than the ${c.limit ?? 21} characters QBO accepts. Renumber it in the practice, or skip it.`,
  'zero-value': (c) => `${c.record} totals 0.00 (field ${c.field ?? 'totalCents'}), so it is not sent to QBO. Nothing to do unless it should carry an amount.`,
  'closed-period': (c) =>
    `${c.record} is dated ${shown(c.value)} (field date), on or before QBO's closed-books date ${c.limit}. Re-open the period in QBO, move the document's date in the practice, or skip it.`,
  'number-in-qbo-differs': (c) =>
    `${c.record}: QBO already has number "${shown(c.value)}" (field ${c.field ?? 'number'}) with different content (${c.detail}). Review both: renumber the practice document, correct QBO, or skip it.`,
  'total-differs': (c) =>
    `${c.record}: QBO would total ${c.detail} because it rounds tax per line, while the practice total is ${cents(c.value)} (field totalCents); the payload sets TxnTaxDetail.TotalTax to ${cents(c.limit)} so QBO keeps the practice's figure.`,
  'tax-differs': (c) =>
    `${c.record}: the practice's tax is ${cents(c.value)} (field taxCents) but QBO would charge ${cents(c.limit)} at the mapped tax codes' rates, ${c.detail} apart — more than rounding per line explains, so QBO Connect will not force the practice's figure. Check the lines' tax in the practice and the tax mapping in the settings.`,
  'changed-in-qbo': (c) =>
    `${c.record} was changed in QBO after it was synced (${c.detail}); the two sides differ and QBO Connect will not overwrite it. Make the same change on the other side, or skip the record.`,
  'deleted-in-qbo': (c) =>
    `${c.record} was deleted in QBO after it was synced; QBO Connect will not re-create it on its own. Skip it, or remove the link by re-creating it deliberately.`,
  diverged: (c) =>
    `${c.record} was changed both here and in QBO since the last sync: ${c.detail}. It is held, nothing is sent, and QBO's edit stays. Make the two sides agree (change it in QBO or in the practice), then sync again.`,
  'contact-missing': (c) => `${c.record}: its contact ${shown(c.value)} (field ${c.field ?? 'contactCode'}) is not in the practice ledger. Add the contact, or skip the document.`,
  'income-account-unmapped': (c) => `${c.record}: no QBO income account for ${c.detail} (field ${c.field}). Set it under ${c.limit} in the settings.`,
  'expense-account-unmapped': (c) => `${c.record}: no QBO expense account for ${c.detail} (field ${c.field}). Set it under ${c.limit} in the settings.`,
  'us-tax-differs': (c) =>
    `${c.record}: QBO will charge sales tax of ${c.detail}, while the practice's tax is ${cents(c.value)} (field taxCents), so QBO's total will be ${cents(c.limit)}. In a US company QBO works the tax out from the transaction tax code and its figure stands. If the practice's tax is right, choose a code of the practice's rate under tax.transactionTaxCodeId in the settings.`,
  'us-automated-tax': (c) =>
    `${c.record}: this QuickBooks company uses Automated Sales Tax, which works out the sales tax on the ${c.detail} taxable from the ship-to address, down to county and city rates QBO Connect cannot know; the practice's tax is ${cents(c.value)} (field taxCents). QBO's figure stands and is recorded after the sync${c.limit ? `; ${c.limit}` : ''}. If the practice's tax must stand, enter it in QuickBooks or ask the company to allow apps to override automated sales tax.`,
  'not-for-us': (c) =>
    `${c.record} is not sent: QBO Connect does not sync bills or staff expenses to a US QuickBooks company, where purchases carry no sales tax to claim back (the practice's tax would have to be dropped or folded into the cost). Enter it in QuickBooks yourself if it belongs there.`,
};

const nameSentences: Record<NameCheck, (c: PlanMessageContext) => string> = {
  'missing-unique-id': (c) =>
    `${c.record} has no unique ID (field uniqueId); QBO Connect matches contacts by it${c.via ? ` (it is needed for ${c.via})` : ''}. Give it a unique ID in the practice, or skip the documents that need it.`,
  'duplicate-unique-id': (c) => `${c.record}: unique ID "${shown(c.value)}" (field uniqueId) is also used by ${c.detail}. Give each contact its own unique ID in the practice.`,
  'name-too-long': (c) =>
    c.detail
      ? `${c.record}: name (field name) is longer than the ${c.limit} characters QBO Connect sends; it will be sent as "${c.detail}". Shorten it in the practice to choose the name yourself.`
      : `${c.record}: name (field name) is longer than the ${c.limit} characters QBO Connect sends. Shorten it in the practice, or turn on contacts.shortenLongNames.`,
  'name-has-colon': (c) =>
    `${c.record}: name "${shown(c.value)}" (field name) contains a colon, which QBO does not allow in names; it will be sent as "${c.detail}". Rename it in the practice to choose the name yourself.`,
  'invalid-email': (c) => `${c.record}: email "${shown(c.value)}" (field email) is not a valid address, so it is sent without one. Correct the email in the practice.`,
  'name-used-by-customer': (c) =>
    `${c.record}: QBO already has a customer named "${shown(c.value)}" (field name), and names must be unique across customers, suppliers and employees. Rename one of them, or skip the record.`,
  'name-used-by-supplier': (c) =>
    `${c.record}: QBO already has a supplier named "${shown(c.value)}" (field name), and names must be unique across customers, suppliers and employees. Rename the contact in the practice or the supplier in QBO, or skip the documents that need it.`,
  'name-used-by-employee': (c) =>
    `${c.record}: QBO already has an employee named "${shown(c.value)}" (field name), and names must be unique across customers, suppliers and employees. Rename one of them, or skip the record.`,
  'name-exists-unmatched': (c) =>
    `${c.record}: QBO has a record named "${shown(c.value)}" (field name) that does not carry unique ID ${c.detail}, and matching is by unique ID only. Link it by setting contacts.matchOrder to unique-id-then-name, or rename one of them.`,
  'several-matches': (c) =>
    `${c.record}: ${c.detail} in QBO match "${shown(c.value)}" (field name); QBO Connect will not guess. Make the QBO names distinct, or rename the contact.`,
  'duplicate-name': (c) =>
    `${c.record}: ${c.detail} would be sent to QBO with the same name "${shown(c.value)}" (field name), and QBO keeps names unique. Rename one of them in the practice, or skip one.`,
  diverged: (c) =>
    `${c.record} was changed both here and in QBO since the last sync: ${c.detail}. It is held, nothing is sent, and QBO's edit stays. Make the two sides agree (change it in QBO or in the practice), then sync again.`,
  'no-match': (c) => `${c.record}: no QBO record matches "${shown(c.value)}" (field name) and contacts.createWhenNoMatch is off. Create it in QBO, or turn the setting on.`,
};

const otherSentences: Record<string, (c: PlanMessageContext) => string> = {
  'item.income-account-unmapped': (c) => `${c.record}: the job item needs a QBO income account and none is set (${c.field}). Choose one under ${c.limit} in the settings.`,
  'item.name-changed': (c) => `${c.record}: the item name "${shown(c.value)}" is not accepted by QBO as it is; it will be sent as "${c.detail}".`,
  'tax.unmapped': (c) => `${c.record}: tax code ${shown(c.value)} (field ${c.field}) has no QBO tax code for ${c.detail}. Map it under ${c.limit} in the settings.`,
  'tax.transaction-code-unmapped': (c) =>
    c.value !== undefined
      ? `${c.record}: the transaction tax code ${shown(c.value)} (tax.transactionTaxCodeId) is ${c.detail ?? 'not a sales tax code of this QBO company'}, so QBO's tax cannot be worked out. Choose one of the company's sales tax codes under tax.transactionTaxCodeId in the settings.`
      : `${c.record}: taxed lines in a US company need a transaction tax code and none is set. Choose one under tax.transactionTaxCodeId in the settings.`,
  'invoice.item-unmapped': (c) => `${c.record}: invoices use one fixed QBO item but none is chosen. Set invoices.fixedItemId, or set invoices.jobItems to per-project.`,
  'payment.type-unmapped': (c) =>
    `${c.record}: payment type ${shown(c.value)} (field ${c.field ?? 'paymentTypeCode'}) has no QBO payment method. Map it under payments.methodByPaymentType.${shown(c.value)} in the settings.`,
  'payment.invoice-before-export-from': (c) =>
    `${c.record}: it pays ${c.detail}, which is dated before the export-from date ${c.limit} and is not in QBO (field ${c.field}). Move general.exportFrom.invoices back to include it, or skip the payment.`,
  'payment.invoice-unknown': (c) =>
    `${c.record}: it pays invoice ${shown(c.value)} (field ${c.field}), which is neither in the practice ledger nor in QBO. Correct the allocation, or skip the payment.`,
  'payment.invoice-skipped': (c) => `${c.record}: it pays invoice ${shown(c.value)} (field ${c.field}), which is skipped. Skip the payment too, or add the invoice back.`,
  'credit-note.invoice-unknown': (c) =>
    `${c.record}: its original invoice ${shown(c.value)} (field ${c.field ?? 'invoiceNumber'}) is not in QBO and not in this sync (${c.detail ?? 'unknown'}), so the credit cannot be applied to it. Include the invoice (general.exportFrom.invoices), add it back, or skip the credit note.`,
  'qbo.reference-inactive': (c) =>
    `${c.record}: it refers to ${shown(c.value)} (QBO ${c.detail}, through field ${c.field}), which is deleted or inactive in QBO, so QBO would refuse it. Make it active again in QBO, or skip the record.`,
  'credit-note.not-applied': (c) =>
    `${c.record}: invoice ${shown(c.value)} (field ${c.field ?? 'invoiceNumber'}) is paid in full by this sync's payments, so the credit is sent as an open credit, not applied to it. Apply it in QBO where you mean it to go.`,
  'credit-note.partly-applied': (c) =>
    `${c.record}: only ${c.detail} of the credit is applied to invoice ${shown(c.value)} (field ${c.field ?? 'invoiceNumber'}), what this sync's payments leave open; the rest stays as an open credit in QBO.`,
  'invoice.void-has-payments': (c) =>
    `${c.record} has payments applied in QuickBooks (${c.detail}); voiding it would leave them as unapplied credit. Remove or re-apply the payments in QuickBooks, or skip the cancellation.`,
  'credit-note.cannot-void': (c) =>
    `${c.record} was cancelled in the practice, but QuickBooks cannot void a credit memo, so nothing is sent and it is held: QBO credit memo ${shown(c.value)}${c.limit !== undefined ? ` still gives the customer $${cents(c.limit)} of credit` : ' still stands'}${c.detail ? `, ${c.detail} of it applied to invoices through a payment` : ''}. In QuickBooks, delete the credit memo${c.detail ? ' (first take it off that payment, which reopens the invoices it paid: QuickBooks does not lower a credit memo below what is applied)' : ''} or set its amount to zero; the next sync then has nothing left to do. Or skip the cancellation to keep the credit.`,
  'payment-import.invoice-unknown': (c) =>
    `${c.record}: it pays ${c.detail} in QBO, which is not linked to a practice invoice, so it is not imported. Sync the invoice first or record the payment in the practice.`,
  'company.currency-differs': (c) =>
    `${c.record}: the practice's amounts are in ${shown(c.value)} (general.practiceCurrency) but the QBO company's home currency is ${c.limit}; QBO would book them as ${c.limit}. Connect the practice to a ${shown(c.value)} company, or correct general.practiceCurrency in the settings.`,
  // Office routing (plan/office-routing.ts): which company of the practice takes a document.
  'company.offices-overlap': (c) =>
    `${c.record} (${c.value}) would go to two companies: ${c.detail}. A document belongs to at most one company, so it is not sent until their offices no longer overlap: set each company's offices (Settings page, or "qbo-connect company offices --realm ID --set CODES").`,
  'company.document-unrouted': (c) =>
    c.value === 'no office'
      ? `${c.record} has no office (it names no project, or its project has none) and no company of this practice takes the whole ledger, so it would reach no QuickBooks company. Give it a project whose office a company takes, or skip it here.`
      : `${c.record} belongs to ${c.value}, which no company of this practice takes, so it would reach no QuickBooks company. Give its project an office a company takes, add the office to a company's offices, or skip it here.`,
  'company.document-split': (c) =>
    `${c.record} belongs to several offices taken by different companies: ${c.detail}. A document goes to one company: split it in the practice so each names one company's projects, or skip it here.`,
  'company.document-stays-here': (c) =>
    `${c.record}: its project is now in ${c.detail}, which company ${c.value} takes, but it was synced to this company: it stays here and its changes and cancellation still go here; company ${c.value} does not create it. To book it there instead, cancel it in the practice (this company voids it) and enter it again under a new number.`,
  'company.document-in-other-company': (c) =>
    `${c.record} is already in company ${c.value} (it was synced there before ${c.detail}): it stays there, its changes and cancellation go there, and it is not created here. To book it here instead, cancel it in the practice (company ${c.value} voids it) and enter it again under a new number; or move its project back.`,
  'qbo.linked-to-another': (c) =>
    `${c.record}: QBO ${c.detail} "${shown(c.value)}" (field ${c.field ?? 'name'}) is already linked to ${c.limit}, so it is not linked to this record too. Rename one of them (in the practice or in QBO) so each has its own, or skip the record.`,
  'tax.rate-differs': (c) =>
    `${c.record}: tax code ${shown(c.value)} (field ${c.field}) is ${c.detail}, mapped under ${c.limit}: QBO would charge another tax than the practice. Map ${shown(c.value)} to a QBO tax code of the same rate under ${c.limit}.`,
  'payment-import.zero-total': (c) =>
    `${c.record}: it totals 0.00 (${c.detail}), so it is not imported as a practice payment: it moves no money. Nothing to do; a credit applied in QBO stays in QBO.`,
  'payment-import.no-payment-type': (c) => `${c.record}: the practice has no payment type to give an imported payment. Add a payment type to the practice.`,
};

export function planMessage(code: PlanReasonCode, ctx: PlanMessageContext): string {
  const [prefix, rest] = [code.slice(0, code.indexOf('.')), code.slice(code.indexOf('.') + 1)];
  if ((planDocumentKinds as readonly string[]).includes(prefix) && rest in documentSentences) return documentSentences[rest as DocumentCheck](ctx);
  if ((nameKinds as readonly string[]).includes(prefix) && rest in nameSentences) return nameSentences[rest as NameCheck](ctx);
  const f = otherSentences[code];
  return f ? f(ctx) : `${ctx.record}: ${code}.`;
}
