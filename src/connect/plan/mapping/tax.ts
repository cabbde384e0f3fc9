/**
 * Practice tax codes → QBO tax codes, for sales or purchases. Non-US companies put a real TaxCode Id
 * on every line; US companies put TAX or NON on sales lines and one sales tax code on the transaction,
 * and QBO works the tax out from that code (see usSalesTax). US purchases are not synced at all.
 */
import type { MapContext } from '../context.js';
import { issue } from '../context.js';
import type { Issue } from '../types.js';
import { mappedId } from '../../settings/lookup.js';
import { predictTotals } from '../totals.js';

export interface LineTax {
  /** The TaxCodeRef value for the line (a TaxCode Id, or TAX/NON in the US). */
  code: string;
  /** The rates QBO will apply to the line, in percent. */
  ratesPercent: number[];
  /** Set when QBO's rate is not the practice code's: an error is raised, and no tax is ever forced. */
  rateDiffers?: true;
}

const samePercent = (a: number, b: number) => Math.round(a * 1000) === Math.round(b * 1000);
const pct = (n: number) => `${Math.round(n * 1000) / 1000}%`;

/**
 * The mapped QBO code must charge the practice code's rate: sending the practice's tax as an override on
 * a code of another rate (GST 10% onto UK VAT 20%) would put a figure in QBO its code cannot explain
 * (issue 19). An error naming both rates and the setting; the line keeps QBO's rates for the prediction.
 */
function checkRate(
  ctx: MapContext,
  side: 'sales' | 'purchases',
  practiceCode: string,
  tax: LineTax,
  qboName: string,
  label: string,
  field: string,
  setting: string,
  issues: Issue[],
): LineTax {
  const practice = ctx.practice.taxCodes.get(practiceCode);
  if (!practice) return tax;
  const practiceRate = practice.record.rateBasisPoints / 100;
  const qboRate = tax.ratesPercent.reduce((a, b) => a + b, 0);
  if (samePercent(practiceRate, qboRate)) return tax;
  issues.push(
    issue(
      'tax.rate-differs',
      'error',
      { record: label, value: practiceCode, field, detail: `${pct(practiceRate)} in the practice and ${pct(qboRate)} on QBO tax code ${qboName} (${side})`, limit: setting },
      field,
    ),
  );
  return { ...tax, rateDiffers: true };
}

export function lineTax(ctx: MapContext, side: 'sales' | 'purchases', practiceCode: string, label: string, field: string, issues: Issue[]): LineTax | undefined {
  const mapped = mappedId(ctx.settings.tax[side], practiceCode);
  if (!mapped) {
    issues.push(issue('tax.unmapped', 'error', { record: label, value: practiceCode, field, detail: side, limit: `tax.${side}.${practiceCode}` }, field));
    return undefined;
  }
  const setting = `tax.${side}.${practiceCode}`;
  if (ctx.us) {
    // A US line only says whether it is taxable (TAX) or not (NON); the rate is the transaction tax
    // code's, compared as an amount by usSalesTax. Purchases never get here (not offered for US).
    if (mapped !== 'TAX' && mapped !== 'NON') {
      issues.push(
        issue(
          'tax.unmapped',
          'error',
          { record: label, value: practiceCode, field, detail: `${side} (a US company's lines take TAX or NON, not ${mapped})`, limit: setting },
          field,
        ),
      );
      return undefined;
    }
    return { code: mapped, ratesPercent: [] };
  }
  const code = ctx.lists.taxCodes.get(mapped);
  if (!code) {
    issues.push(
      issue(
        'tax.unmapped',
        'error',
        { record: label, value: practiceCode, field, detail: `${side} (QBO tax code ${mapped} is not in the company)`, limit: `tax.${side}.${practiceCode}` },
        field,
      ),
    );
    return undefined;
  }
  return checkRate(ctx, side, practiceCode, { code: mapped, ratesPercent: side === 'sales' ? code.salesRates : code.purchaseRates }, code.name, label, field, setting, issues);
}

/**
 * Whether per-line rounding explains the gap between QBO's tax and the practice's: each taxed line and
 * rate QBO rounds on its own can move the sum by at most a cent against any other rounding (per line,
 * or once on the document) — so a gap of more cents than that is not rounding (issue 19), and the
 * practice's tax is then never forced onto QBO.
 */
export function roundingExplains(lines: Array<{ amountCents: number; tax: LineTax }>, qboTaxCents: number, practiceTaxCents: number): boolean {
  const pairs = lines.reduce((n, l) => n + (l.amountCents === 0 ? 0 : l.tax.ratesPercent.filter((r) => r !== 0).length), 0);
  return Math.abs(qboTaxCents - practiceTaxCents) <= pairs;
}

/** The transaction-level tax field of non-US documents (US sales: usSalesTax). */
export function txnTaxFields(): { header: Record<string, unknown>; txnTaxDetail: Record<string, unknown> } {
  return { header: { GlobalTaxCalculation: 'TaxExcluded' }, txnTaxDetail: {} };
}

/** QBO's US pseudo codes: they say taxable or not and carry no rate, so never a transaction code. */
const US_PSEUDO_CODES = new Set(['TAX', 'NON', 'CustomSalesTax']);

export interface UsSalesTax {
  txnTaxDetail: Record<string, unknown>;
  /** The tax QBO will compute, or null when it cannot be known (an error or the AST warning says why). */
  qboTaxCents: number | null;
  /** Automated Sales Tax decides the tax: QBO's figure is known only once the document is in QBO. */
  automated?: boolean;
}

/**
 * US sales tax as QBO works it out (Intuit, "Manage sales tax for US locales",
 * https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-us-locales):
 * lines carry only TAX or NON, the transaction names one sales tax code in
 * TxnTaxDetail.TxnTaxCodeRef, and QBO computes TotalTax with one TaxLine per rate of that code's
 * SalesTaxRateList over the taxable lines (NetAmountTaxable; recorded answer in
 * docs/qbo-api.md §tax: lines 325.75 taxable, TaxLine 8 % = 26.06). The amount is
 * worked line by line and rate by rate, each rounded to the cent ("QuickBooks Online will always
 * calculate line-by-line", https://quickbooks.intuit.com/learn-support/en-ca/sales-customers/if-my-subtotal-is-95-40-and-my-gst-hst-is-15-the-total-tax/01/306952 ;
 * each jurisdiction's rate rounded on its own before adding, "the correct functionality is the way
 * that Quickbooks Online handles tax", https://www.paypal-community.com/t5/user/viewprofilepage/user-id/6131098),
 * the same rule as totals.ts predictTotals for other regions.
 *
 * The practice's tax is not forced onto QBO: US sales tax depends on where the customer is, and QBO
 * (its code, or Automated Sales Tax, which "honors" an explicit amount only by prorating it across
 * its own rates — Intuit blog, 2017-12-11, using-quickbooks-online-api-automated-sales-tax) is where
 * it is filed from. When the two differ the row warns, naming both amounts, and predicts QBO's.
 *
 * Companies with Automated Sales Tax on (Preferences.TaxPrefs.PartnerTaxEnabled) are another matter:
 * AST assigns its own code from the ship-to address and ignores the one sent ("it does not matter
 * what TaxCodeRef ... you used here", Intuit staff, intuit/QuickBooks-V3-PHP-SDK#199), at county,
 * city and district rates the product cannot know, and it honours a sent amount only when the
 * company's user allows apps to override it (Finance.xsd TxnTaxDetail.UseAutomatedSalesTax,
 * AllowPartnerTaxOverride, which the API cannot read). So no code is sent, the row warns that QBO's
 * figure stands, the prediction is "unknown" (null), and the run records QBO's TotalAmt once the
 * document is written; a credit note's application to its invoice waits for that figure (next sync).
 */
export function usSalesTax(
  ctx: MapContext,
  kind: 'invoice' | 'credit-note',
  lines: Array<{ amountCents: number; tax: LineTax | undefined }>,
  practiceTaxCents: number,
  label: string,
  issues: Issue[],
): UsSalesTax {
  if (lines.some((l) => !l.tax)) return { txnTaxDetail: {}, qboTaxCents: null };
  const taxable = lines.filter((l) => l.tax!.code === 'TAX');
  if (ctx.lists.automatedSalesTax && taxable.length) {
    const net = taxable.reduce((n, l) => n + l.amountCents, 0);
    issues.push(
      issue(
        `${kind}.us-automated-tax`,
        'warning',
        {
          record: label,
          value: practiceTaxCents,
          detail: `${(net / 100).toFixed(2)}`,
          ...(kind === 'credit-note' ? { limit: 'its application to the invoice waits for that figure (the next sync)' } : {}),
        },
        'taxCents',
      ),
    );
    return { txnTaxDetail: {}, qboTaxCents: null, automated: true };
  }
  let qboTaxCents = 0;
  let detail = '0.00 (no line is mapped to TAX)';
  const txnTaxDetail: Record<string, unknown> = {};
  if (taxable.length) {
    const txn = ctx.settings.tax.transactionTaxCodeId;
    if (!txn) {
      issues.push(issue('tax.transaction-code-unmapped', 'error', { record: label }, 'taxCode'));
      return { txnTaxDetail: {}, qboTaxCents: null };
    }
    const code = ctx.lists.taxCodes.get(txn);
    const why = !code
      ? 'not in the company'
      : US_PSEUDO_CODES.has(txn)
        ? 'a line code (TAX/NON), not a sales tax code'
        : !code.active
          ? `${code.name}, which is inactive`
          : !code.hasSales
            ? `${code.name}, which has no sales tax rates`
            : null;
    if (!code || why) {
      issues.push(issue('tax.transaction-code-unmapped', 'error', { record: label, value: txn, ...(why ? { detail: why } : {}) }, 'taxCode'));
      return { txnTaxDetail: {}, qboTaxCents: null };
    }
    const net = taxable.reduce((n, l) => n + l.amountCents, 0);
    qboTaxCents = predictTotals(taxable.map((l) => ({ amountCents: l.amountCents, ratesPercent: code.salesRates }))).taxCents;
    txnTaxDetail['TxnTaxCodeRef'] = { value: txn };
    detail = `${(qboTaxCents / 100).toFixed(2)} (${code.name}: ${code.salesRates.map(pct).join(' + ')} on ${(net / 100).toFixed(2)} taxable)`;
  }
  if (qboTaxCents !== practiceTaxCents) {
    const netAll = lines.reduce((n, l) => n + l.amountCents, 0);
    issues.push(issue(`${kind}.us-tax-differs`, 'warning', { record: label, value: practiceTaxCents, limit: netAll + qboTaxCents, detail }, 'taxCents'));
  }
  return { txnTaxDetail, qboTaxCents };
}
