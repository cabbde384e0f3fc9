// Builders for transactions: lines (Ids, LineNum, Qty × UnitPrice = Amount, tax codes), tax computed
// per line and rounded to cents then summed (docs/qbo-api.md §tax), GlobalTaxCalculation for non-US
// companies, TAX/NON plus TxnTaxCodeRef for US ones, the trailing SubTotal line, totals and DueDate.
// Balances that depend on other documents (payments applied) are set by the company afterwards.

import { CURRENCIES, ENTITIES, type EntityName } from './entities.js';
import { faults } from './faults.js';
import { centsToNumber, isDecimal, lineAmountCents, taxInGross, taxOnNet, toCents, formatCents } from './money.js';
import { addDays, isIsoDate } from './time.js';
import { isObj, refValue, type BuildContext, type Json } from './context.js';
import { checkLength } from './names.js';

const TAX_WORD: Record<string, string> = { AU: 'GST', UK: 'VAT', CA: 'GST/HST', US: 'sales tax' };
const SALES_DETAIL = new Set(['SalesItemLineDetail', 'DescriptionOnly', 'DiscountLineDetail', 'SubTotalLineDetail', 'GroupLineDetail']);
const PURCHASE_DETAIL = new Set(['AccountBasedExpenseLineDetail', 'ItemBasedExpenseLineDetail', 'DescriptionOnly']);
const LINE_PROPS = new Set(['Id', 'LineNum', 'Description', 'Amount', 'DetailType', 'LinkedTxn', 'CustomField', 'LineEx', 'ProjectRef']);
const DETAIL_PROPS: Record<string, ReadonlySet<string>> = {
  SalesItemLineDetail: new Set([
    'ItemRef',
    'ClassRef',
    'UnitPrice',
    'Qty',
    'RatePercent',
    'ItemAccountRef',
    'TaxCodeRef',
    'TaxClassificationRef',
    'ServiceDate',
    'TaxInclusiveAmt',
    'DiscountRate',
    'DiscountAmt',
    'MarkupInfo',
    'PriceLevelRef',
  ]),
  DescriptionLineDetail: new Set(['ServiceDate', 'TaxCodeRef']),
  DiscountLineDetail: new Set(['PercentBased', 'DiscountPercent', 'DiscountAccountRef', 'DiscountRef', 'ClassRef', 'TaxCodeRef', 'ServiceDate']),
  SubTotalLineDetail: new Set(['ItemRef', 'ServiceDate']),
  GroupLineDetail: new Set(['GroupItemRef', 'Quantity', 'Line']),
  AccountBasedExpenseLineDetail: new Set(['AccountRef', 'CustomerRef', 'ClassRef', 'BillableStatus', 'MarkupInfo', 'TaxAmount', 'TaxCodeRef', 'TaxInclusiveAmt']),
  ItemBasedExpenseLineDetail: new Set([
    'ItemRef',
    'UnitPrice',
    'Qty',
    'TaxCodeRef',
    'ClassRef',
    'MarkupInfo',
    'CustomerRef',
    'BillableStatus',
    'TaxInclusiveAmt',
    'PriceLevelRef',
    'ItemAccountRef',
  ]),
};

/** Unknown properties inside a line are refused like top-level ones (2010). */
function checkLineProps(line: Json, detailKey: string): void {
  for (const k of Object.keys(line)) {
    if (!LINE_PROPS.has(k) && !(k in DETAIL_PROPS)) throw faults.unknownProperty('Line', k, [...LINE_PROPS]);
  }
  const detail = line[detailKey];
  const known = DETAIL_PROPS[detailKey];
  if (isObj(detail) && known) {
    for (const k of Object.keys(detail)) if (!known.has(k)) throw faults.unknownProperty(detailKey, k, [...known]);
  }
}

export interface TxnState {
  /** Highest line Id handed out on this document, so re-created lines get fresh Ids. */
  lineSeq: number;
  /** Whether TxnTaxDetail.TotalTax was supplied by the client (an override) rather than computed. */
  taxOverride: boolean;
}

interface RateShare {
  rateId: string;
  percent: number | string;
}

function money(line: Json, field: string, where: string): bigint {
  const v = line[field];
  if (!isDecimal(v)) throw faults.invalidNumber(where, v);
  return toCents(v);
}

/** The component rates of a tax code for one side (sales or purchase). */
function ratesOf(code: Json, side: 'sales' | 'purchase', ctx: BuildContext): RateShare[] {
  const list = code[side === 'sales' ? 'SalesTaxRateList' : 'PurchaseTaxRateList'];
  const details = isObj(list) && Array.isArray(list.TaxRateDetail) ? list.TaxRateDetail : [];
  const out: RateShare[] = [];
  for (const d of details) {
    const id = isObj(d) ? refValue(d.TaxRateRef) : undefined;
    if (!id) continue;
    const rate = ctx.get('TaxRate', id);
    const pct = rate?.RateValue;
    out.push({ rateId: id, percent: isDecimal(pct) ? pct : 0 });
  }
  return out;
}

export function buildTxn(entity: EntityName, input: Json, ctx: BuildContext, state: TxnState, previous: Json | undefined): Json {
  const def = ENTITIES[entity];
  const obj: Json = { ...input };
  const currency = CURRENCIES[ctx.region]!;
  obj.CurrencyRef = obj.CurrencyRef ?? currency;
  if (obj.TxnDate === undefined || obj.TxnDate === null || obj.TxnDate === '') obj.TxnDate = ctx.today();
  if (!isIsoDate(obj.TxnDate)) throw faults.invalidDate('TxnDate', obj.TxnDate);
  if (obj.DueDate !== undefined && !isIsoDate(obj.DueDate)) throw faults.invalidDate('DueDate', obj.DueDate);
  checkLength(obj, 'DocNumber', 21);
  checkLength(obj, 'PrivateNote', 4000);
  if (isObj(obj.CustomerMemo)) {
    const v = obj.CustomerMemo.value;
    if (typeof v === 'string' && v.length > 1000) throw faults.invalidLength('CustomerMemo', 1000, v.length);
  }

  if (entity === 'Payment') return buildPayment(obj);
  if (entity === 'BillPayment') return buildBillPayment(obj);

  // Required header fields.
  // A sales receipt may have no customer (recorded update/sales_receipt.yml).
  if (def.side === 'sales' && entity !== 'SalesReceipt' && !refValue(obj.CustomerRef)) throw faults.requiredMissing('CustomerRef');
  if ((entity === 'Bill' || entity === 'VendorCredit') && !refValue(obj.VendorRef)) throw faults.requiredMissing('VendorRef');
  if (entity === 'Purchase') {
    if (typeof obj.PaymentType !== 'string') throw faults.requiredMissing('PaymentType');
    if (!['Cash', 'Check', 'CreditCard'].includes(obj.PaymentType)) throw faults.invalidEnum('PaymentType', obj.PaymentType);
    if (!refValue(obj.AccountRef)) throw faults.requiredMissing('AccountRef');
    obj.Credit = obj.Credit === true ? true : undefined;
  }
  if (!Array.isArray(obj.Line) || obj.Line.length === 0) throw faults.requiredMissing('Line');

  const us = ctx.region === 'US';
  let gtc = obj.GlobalTaxCalculation;
  if (us) {
    delete obj.GlobalTaxCalculation;
    gtc = undefined;
  } else {
    gtc = gtc ?? 'TaxExcluded';
    if (!['TaxExcluded', 'TaxInclusive', 'NotApplicable'].includes(String(gtc))) throw faults.invalidEnum('GlobalTaxCalculation', gtc);
    obj.GlobalTaxCalculation = gtc;
  }
  const inputTax = isObj(input.TxnTaxDetail) ? input.TxnTaxDetail : undefined;
  if (gtc === 'NotApplicable' && inputTax && (inputTax.TotalTax !== undefined || Array.isArray(inputTax.TaxLine))) {
    throw faults.taxDetailNotApplicable();
  }

  // Lines.
  const side = def.side ?? 'sales';
  const allowed = side === 'sales' ? SALES_DETAIL : PURCHASE_DETAIL;
  const oldIds = new Set((Array.isArray(previous?.Line) ? previous.Line : []).map((l) => (isObj(l) ? String(l.Id ?? '') : '')).filter(Boolean));
  const lines: Json[] = [];
  let net = 0n; // sum of line amounts as entered
  let discount = 0n;
  const taxByRate = new Map<string, { percent: number | string; base: bigint; tax: bigint }>();
  let lineNum = 0;
  for (const raw of obj.Line as unknown[]) {
    if (!isObj(raw)) throw faults.requiredMissing('Line.DetailType');
    const dt = raw.DetailType;
    if (typeof dt !== 'string') throw faults.requiredMissing('Line.DetailType');
    if (!allowed.has(dt)) throw faults.invalidEnum('Line.DetailType', dt);
    if (dt === 'SubTotalLineDetail') continue; // QBO re-computes its own subtotal line
    const line: Json = { ...raw };
    lineNum++;
    const detailKey = dt === 'DescriptionOnly' ? 'DescriptionLineDetail' : dt;
    checkLineProps(line, detailKey);
    const detail: Json = isObj(line[detailKey]) ? { ...(line[detailKey] as Json) } : {};
    checkLength(line, 'Description', 4000);
    const id = line.Id !== undefined ? String(line.Id) : '';
    if (!(id && oldIds.has(id))) line.Id = String(++state.lineSeq);
    line.LineNum = lineNum;

    if (dt === 'DescriptionOnly') {
      line.Amount = line.Amount ?? undefined;
      if (Object.keys(detail).length) line.DescriptionLineDetail = detail;
      lines.push(line);
      continue;
    }
    if (dt === 'DiscountLineDetail') {
      let amt: bigint;
      if (detail.PercentBased === true && isDecimal(detail.DiscountPercent)) {
        amt = taxOnNet(net, detail.DiscountPercent); // percentage of the lines above it
      } else if (isDecimal(line.Amount)) amt = toCents(line.Amount);
      else throw faults.discountMissing();
      discount += amt;
      line.Amount = centsToNumber(amt);
      line.DiscountLineDetail = detail;
      lines.push(line);
      continue;
    }
    if (line.Amount === undefined) throw faults.requiredMissing('Line.Amount');
    const amount = money(line, 'Amount', 'Line.Amount');
    let lineNet = amount;
    if (amount < 0n) throw faults.business('Negative amounts are not supported on transaction lines.', 'Line.Amount');
    if (dt === 'SalesItemLineDetail' || dt === 'ItemBasedExpenseLineDetail') {
      if (dt === 'ItemBasedExpenseLineDetail' && !refValue(detail.ItemRef)) throw faults.requiredMissing('ItemRef');
      if (detail.Qty !== undefined && detail.UnitPrice !== undefined) {
        if (!isDecimal(detail.Qty)) throw faults.invalidNumber('Qty', detail.Qty);
        if (!isDecimal(detail.UnitPrice)) throw faults.invalidNumber('UnitPrice', detail.UnitPrice);
        const expected = lineAmountCents(detail.Qty, detail.UnitPrice);
        if (expected !== amount) throw faults.amountCalc(lineNum, formatCents(amount), formatCents(expected));
      }
    }
    if (dt === 'AccountBasedExpenseLineDetail' && !refValue(detail.AccountRef)) throw faults.requiredMissing('AccountRef');

    // Tax code on the line.
    let code = refValue(detail.TaxCodeRef);
    if (us) {
      if (side === 'sales') {
        code = code ?? 'NON';
        if (code !== 'TAX' && code !== 'NON') throw faults.usTaxCode(code);
        detail.TaxCodeRef = { value: code };
      }
    } else if (gtc !== 'NotApplicable') {
      if (!code) {
        throw faults.business(`Make sure all your transactions have a ${TAX_WORD[ctx.region]} rate before you save.`, 'TaxCodeRef');
      }
      const taxCode = ctx.get('TaxCode', code);
      if (!taxCode) throw faults.invalidReference('TaxCodeRef', 'TaxCode', code);
      let lineTax = 0n;
      for (const r of ratesOf(taxCode, side, ctx)) {
        const tax = gtc === 'TaxInclusive' ? taxInGross(amount, r.percent) : taxOnNet(amount, r.percent);
        const slot = taxByRate.get(r.rateId) ?? { percent: r.percent, base: 0n, tax: 0n };
        slot.base += gtc === 'TaxInclusive' ? amount - tax : amount;
        slot.tax += tax;
        lineTax += tax;
        taxByRate.set(r.rateId, slot);
      }
      if (gtc === 'TaxInclusive') {
        detail.TaxInclusiveAmt = centsToNumber(amount);
        // QBO answers a tax-inclusive line with its net Amount and a UnitPrice back-computed from
        // it (issue 13; docs/qbo-api.md §tax). Strict only, until the product expects it.
        if (ctx.strict) {
          lineNet = amount - lineTax;
          if (isDecimal(detail.Qty) && Number(detail.Qty) !== 0) detail.UnitPrice = Number((Number(centsToNumber(lineNet)) / Number(detail.Qty)).toFixed(7));
          else if (detail.UnitPrice !== undefined) detail.UnitPrice = centsToNumber(lineNet);
        }
      }
    }
    line.Amount = centsToNumber(lineNet);
    line[detailKey] = detail;
    net += lineNet;
    lines.push(line);
  }

  // US transaction-level tax: TxnTaxCodeRef's rates over the TAX lines.
  const txnTax: Json = {};
  if (us && side === 'sales') {
    // An update that does not send TxnTaxDetail keeps the document's transaction tax code.
    const prevTax = isObj(previous?.TxnTaxDetail) ? previous.TxnTaxDetail : undefined;
    const sentCode = inputTax ? refValue(inputTax.TxnTaxCodeRef) : refValue(prevTax?.TxnTaxCodeRef);
    if (sentCode && !ctx.get('TaxCode', sentCode)) throw faults.invalidReference('TxnTaxCodeRef', 'TaxCode', sentCode);
    // With Automated Sales Tax on, the engine assigns the code from the destination state and a sent
    // TxnTaxCodeRef is ignored: "it does not matter what TaxCodeRef ... you used here, it is using
    // the Billing Address and shipping address to decide" (Intuit staff, intuit/QuickBooks-V3-PHP-SDK#199);
    // "Can create and assign on transactions but will be overridden by AST" (Intuit developer blog,
    // 2017-12-11). Unknown codes are still refused above (the stricter reading).
    const txnCode = ctx.astCode ? ctx.astCode(obj) : sentCode;
    if (txnCode) {
      const code = ctx.get('TaxCode', txnCode)!;
      txnTax.TxnTaxCodeRef = { value: txnCode };
      for (const r of ratesOf(code, 'sales', ctx)) {
        let base = 0n;
        let tax = 0n;
        for (const l of lines) {
          const d = l.SalesItemLineDetail;
          if (isObj(d) && refValue(d.TaxCodeRef) === 'TAX' && isDecimal(l.Amount)) {
            base += toCents(l.Amount);
            tax += taxOnNet(toCents(l.Amount), r.percent);
          }
        }
        taxByRate.set(r.rateId, { percent: r.percent, base, tax });
      }
    }
  }
  let totalTax = 0n;
  const taxLines: Json[] = [];
  for (const [rateId, s] of taxByRate) {
    totalTax += s.tax;
    taxLines.push({
      Amount: centsToNumber(s.tax),
      DetailType: 'TaxLineDetail',
      TaxLineDetail: { TaxRateRef: { value: rateId }, PercentBased: true, TaxPercent: Number(s.percent), NetAmountTaxable: centsToNumber(s.base) },
    });
  }
  // An explicit TotalTax (or explicit non-percent TaxLines) overrides the computed tax.
  // Under AST an explicit amount is honoured only when the company's user allows apps to override AST
  // (QBO preference AllowPartnerTaxOverride, which the API neither shows nor sets: Finance.xsd
  // TxnTaxDetail.UseAutomatedSalesTax). Strict assumes it is not allowed: AST's figure stands. The
  // 2017 Intuit blog's "the AST engine honors the amount and prorates it" is kept for generous.
  const astOverrides = !(ctx.astCode && ctx.strict);
  const overrideGiven = astOverrides && inputTax !== undefined && (inputTax.TotalTax !== undefined || Array.isArray(inputTax.TaxLine));
  const keepOld = astOverrides && !overrideGiven && input.TxnTaxDetail === undefined && state.taxOverride && previous;
  if (overrideGiven || keepOld) {
    const src = overrideGiven ? inputTax! : (previous!.TxnTaxDetail as Json);
    if (src.TotalTax !== undefined) {
      if (!isDecimal(src.TotalTax)) throw faults.invalidNumber('TxnTaxDetail.TotalTax', src.TotalTax);
      totalTax = toCents(src.TotalTax);
    } else if (Array.isArray(src.TaxLine)) {
      totalTax = src.TaxLine.reduce((s: bigint, l: unknown) => s + (isObj(l) && isDecimal(l.Amount) ? toCents(l.Amount) : 0n), 0n);
    }
    if (Array.isArray(src.TaxLine) && src.TaxLine.length) txnTax.TaxLine = src.TaxLine;
    else if (taxLines.length) txnTax.TaxLine = taxLines;
    state.taxOverride = computedDiffers(totalTax, taxByRate);
  } else {
    state.taxOverride = false;
    if (taxLines.length) txnTax.TaxLine = taxLines;
  }
  txnTax.TotalTax = centsToNumber(totalTax);

  const subtotal = net;
  const netLines = gtc === 'TaxInclusive' && ctx.strict;
  const total = gtc === 'TaxInclusive' && !netLines ? subtotal - discount : subtotal - discount + (gtc === 'NotApplicable' ? 0n : totalTax);
  if (side === 'sales') lines.push({ Amount: centsToNumber(subtotal), DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} });
  obj.Line = lines;
  if (gtc !== 'NotApplicable' && (side === 'sales' || taxByRate.size > 0 || overrideGiven)) obj.TxnTaxDetail = txnTax;
  else delete obj.TxnTaxDetail;
  obj.TotalAmt = centsToNumber(total);

  if (entity === 'Invoice' || entity === 'Bill') {
    if (obj.DueDate === undefined) obj.DueDate = dueDate(obj, ctx);
  }
  if (entity === 'Invoice') {
    obj.AllowIPNPayment = obj.AllowIPNPayment === true;
    obj.AllowOnlinePayment = obj.AllowOnlinePayment === true;
    obj.AllowOnlineCreditCardPayment = obj.AllowOnlineCreditCardPayment === true;
    obj.AllowOnlineACHPayment = obj.AllowOnlineACHPayment === true;
    obj.LinkedTxn = Array.isArray(previous?.LinkedTxn) ? previous.LinkedTxn : [];
  }
  if (side === 'sales') {
    obj.ApplyTaxAfterDiscount = obj.ApplyTaxAfterDiscount === true;
    obj.PrintStatus = obj.PrintStatus ?? 'NotSet';
    obj.EmailStatus = obj.EmailStatus ?? 'NotSet';
    if (obj.EmailStatus === 'NeedToSend' && !isObj(obj.BillEmail)) throw faults.business('Email Address required for delivery method Email (BillEmail).', 'BillEmail');
    const customerId = refValue(obj.CustomerRef);
    const customer = customerId === undefined ? undefined : ctx.get('Customer', customerId);
    if (customer) {
      if (obj.BillAddr === undefined && isObj(customer.BillAddr)) obj.BillAddr = customer.BillAddr;
      if (obj.ShipAddr === undefined && isObj(customer.ShipAddr)) obj.ShipAddr = customer.ShipAddr;
    }
  }
  if (entity === 'Purchase' && obj.PaymentType === 'Check') obj.PrintStatus = obj.PrintStatus ?? 'NotSet';
  return obj;
}

function computedDiffers(total: bigint, computed: Map<string, { tax: bigint }>): boolean {
  let sum = 0n;
  for (const s of computed.values()) sum += s.tax;
  return sum !== total;
}

function dueDate(obj: Json, ctx: BuildContext): string {
  const txnDate = obj.TxnDate as string;
  const termId =
    refValue(obj.SalesTermRef) ??
    (() => {
      const c = obj.CustomerRef ? ctx.get('Customer', refValue(obj.CustomerRef) ?? '') : undefined;
      const v = obj.VendorRef ? ctx.get('Vendor', refValue(obj.VendorRef) ?? '') : undefined;
      const prefs = ctx.prefs();
      const sales = isObj(prefs.SalesFormsPrefs) ? prefs.SalesFormsPrefs : {};
      return refValue(c?.SalesTermRef) ?? refValue(v?.TermRef) ?? refValue(sales.DefaultTerms);
    })();
  const term = termId ? ctx.get('Term', termId) : undefined;
  if (term && typeof term.DueDays === 'number') return addDays(txnDate, term.DueDays);
  return txnDate;
}

function buildPayment(obj: Json): Json {
  if (!refValue(obj.CustomerRef)) throw faults.requiredMissing('CustomerRef');
  if (obj.TotalAmt === undefined) throw faults.requiredMissing('TotalAmt');
  if (!isDecimal(obj.TotalAmt)) throw faults.invalidNumber('TotalAmt', obj.TotalAmt);
  obj.TotalAmt = centsToNumber(toCents(obj.TotalAmt));
  obj.Line = normaliseLinkLines(obj.Line, ['Invoice', 'CreditMemo']);
  obj.ProcessPayment = obj.ProcessPayment === true;
  return obj;
}

function buildBillPayment(obj: Json): Json {
  if (!refValue(obj.VendorRef)) throw faults.requiredMissing('VendorRef');
  if (typeof obj.PayType !== 'string') throw faults.requiredMissing('PayType');
  if (obj.PayType !== 'Check' && obj.PayType !== 'CreditCard') throw faults.invalidEnum('PayType', obj.PayType);
  if (obj.TotalAmt === undefined) throw faults.requiredMissing('TotalAmt');
  if (!isDecimal(obj.TotalAmt)) throw faults.invalidNumber('TotalAmt', obj.TotalAmt);
  obj.TotalAmt = centsToNumber(toCents(obj.TotalAmt));
  if (obj.PayType === 'Check') {
    if (!isObj(obj.CheckPayment) || !refValue(obj.CheckPayment.BankAccountRef)) throw faults.requiredMissing('CheckPayment.BankAccountRef');
    obj.CheckPayment = { PrintStatus: 'NotSet', ...obj.CheckPayment };
  } else if (!isObj(obj.CreditCardPayment) || !refValue(obj.CreditCardPayment.CCAccountRef)) {
    throw faults.requiredMissing('CreditCardPayment.CCAccountRef');
  }
  obj.Line = normaliseLinkLines(obj.Line, ['Bill', 'VendorCredit']);
  return obj;
}

function normaliseLinkLines(raw: unknown, types: string[]): Json[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw faults.requiredMissing('Line');
  return raw.map((l) => {
    if (!isObj(l)) throw faults.requiredMissing('Line.Amount');
    if (!isDecimal(l.Amount)) throw faults.requiredMissing('Line.Amount');
    const links = Array.isArray(l.LinkedTxn) ? l.LinkedTxn : [];
    if (links.length === 0) throw faults.requiredMissing('Line.LinkedTxn');
    for (const t of links) {
      if (!isObj(t) || typeof t.TxnId !== 'string' || typeof t.TxnType !== 'string') throw faults.requiredMissing('LinkedTxn.TxnId');
      if (!types.includes(t.TxnType)) throw faults.invalidEnum('LinkedTxn.TxnType', t.TxnType);
    }
    return { Amount: centsToNumber(toCents(l.Amount)), LinkedTxn: links.map((t) => ({ TxnId: (t as Json).TxnId, TxnType: (t as Json).TxnType })) };
  });
}
