import { describe, expect, it } from 'vitest';
import { Account, PaymentMethod, TaxCode, TaxRate } from '../../qbo/wire-types.js';
import { suggestTaxMappings } from './prefill.js';
import { accountInfoFromQbo, paymentMethodInfoFromQbo, taxCodeInfoFromQbo } from './prefill-from-qbo.js';

const meta = { SyncToken: '0', MetaData: { CreateTime: '2026-01-01T00:00:00-08:00', LastUpdatedTime: '2026-01-01T00:00:00-08:00' } };

// Shaped as QBO answers a query (and parsed with the client's own wire schemas).
const rates = [
  { Id: '1', Name: 'GST (sales)', RateValue: 10 },
  { Id: '2', Name: 'GST (purchases)', RateValue: 10 },
  { Id: '3', Name: 'GST free', RateValue: 0 },
  { Id: '4', Name: 'GST', RateValue: 5 },
  { Id: '5', Name: 'PST', RateValue: 7 },
].map((r) => TaxRate.parse(r));

const codes = [
  { Id: '10', Name: 'GST', SalesTaxRateList: { TaxRateDetail: [{ TaxRateRef: { value: '1' } }] }, PurchaseTaxRateList: { TaxRateDetail: [{ TaxRateRef: { value: '2' } }] } },
  {
    Id: '11',
    Name: 'FRE',
    Description: 'GST free',
    Active: true,
    SalesTaxRateList: { TaxRateDetail: [{ TaxRateRef: { value: '3' } }] },
    PurchaseTaxRateList: { TaxRateDetail: [{ TaxRateRef: { value: '3' } }] },
  },
  { Id: '12', Name: 'GST+PST', TaxGroup: true, SalesTaxRateList: { TaxRateDetail: [{ TaxRateRef: { value: '4' } }, { TaxRateRef: { value: '5' } }] } },
  { Id: '13', Name: 'Mystery', SalesTaxRateList: { TaxRateDetail: [{ TaxRateRef: { value: '99' } }] } },
  { Id: 'NON', Name: 'NON', Active: false },
].map((c) => TaxCode.parse(c));

describe('QBO lists as pre-fill data', () => {
  it('reads each tax code with its summed sales and purchase rates', () => {
    const info = taxCodeInfoFromQbo(codes, rates);
    expect(info).toEqual([
      { id: '10', name: 'GST', description: undefined, active: undefined, salesRatePercent: 10, purchaseRatePercent: 10 },
      { id: '11', name: 'FRE', description: 'GST free', active: true, salesRatePercent: 0, purchaseRatePercent: 0 },
      { id: '12', name: 'GST+PST', description: undefined, active: undefined, salesRatePercent: 12, purchaseRatePercent: null },
      // A rate that is not in the list leaves the code's rate unknown rather than guessed.
      { id: '13', name: 'Mystery', description: undefined, active: undefined, salesRatePercent: null, purchaseRatePercent: null },
      { id: 'NON', name: 'NON', description: undefined, active: false, salesRatePercent: null, purchaseRatePercent: null },
    ]);
    const m = suggestTaxMappings({ region: 'CA', qboTaxCodes: info, practiceTaxCodes: [{ code: 'GSTPST', ratePercent: 12 }] });
    expect(m.sales).toEqual({ GSTPST: '12' });
  });

  it('reads accounts and payment methods', () => {
    const accounts = [Account.parse({ ...meta, Id: '79', Name: 'Fees', AccountType: 'Income', AccountSubType: 'ServiceFeeIncome', AcctNum: '200', Active: true })];
    expect(accountInfoFromQbo(accounts)).toEqual([{ id: '79', name: 'Fees', accountType: 'Income', accountSubType: 'ServiceFeeIncome', acctNum: '200', active: true }]);
    const methods = [PaymentMethod.parse({ ...meta, Id: '1', Name: 'EFT', Active: true })];
    expect(paymentMethodInfoFromQbo(methods)).toEqual([{ id: '1', name: 'EFT', active: true }]);
  });
});
