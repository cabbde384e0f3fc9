import { describe, expect, it } from 'vitest';
import { QboFault, type FaultError } from './faults.js';
import { testCompany } from './testing.js';

function faultOf(fn: () => unknown): FaultError {
  try {
    fn();
  } catch (e) {
    if (e instanceof QboFault) return e.errors[0]!;
    throw e;
  }
  throw new Error('expected a QBO fault');
}

const sales = (item: string, amount: number, extra: Record<string, unknown> = {}) => ({
  Amount: amount,
  DetailType: 'SalesItemLineDetail',
  SalesItemLineDetail: { ItemRef: { value: item }, ...extra },
});

describe('name lists', () => {
  it('6240: DisplayName is unique across customers, vendors and employees, inactive ones included, case-insensitively', () => {
    const { company, basics } = testCompany();
    const f = faultOf(() => company.create('Vendor', { DisplayName: 'ACME PTY' }));
    expect(f).toMatchObject({ code: '6240', Message: 'Duplicate Name Exists Error', Detail: 'The name supplied already exists. : null' });
    const cust = company.read('Customer', basics.customer);
    company.update('Customer', { Id: cust.Id, SyncToken: cust.SyncToken, sparse: true, Active: false });
    expect(faultOf(() => company.create('Employee', { DisplayName: 'Acme Pty' })).code).toBe('6240');
    // Updating a row keeping its own name is fine.
    const v = company.read('Vendor', basics.vendor);
    expect(company.update('Vendor', { ...v, CompanyName: 'Supplies' }).SyncToken).toBe('1');
  });

  it('jobs: unique by FullyQualifiedName among customers (recorded: customer "Jack Doe" beside job "Doe, Jack:Jack Doe"), by leaf against vendors and employees', () => {
    const { company } = testCompany();
    const top = company.create('Customer', { DisplayName: 'Jack Doe' });
    const doe = company.create('Customer', { DisplayName: 'Doe, Jack' });
    const moe = company.create('Customer', { DisplayName: 'Moe, Jack' });
    const job = company.create('Customer', { DisplayName: 'Jack Doe', Job: true, ParentRef: { value: String(doe.Id) } });
    expect(job).toMatchObject({ DisplayName: 'Jack Doe', FullyQualifiedName: 'Doe, Jack:Jack Doe', Job: true });
    expect(company.create('Customer', { DisplayName: 'jack doe', Job: true, ParentRef: { value: String(moe.Id) } }).FullyQualifiedName).toBe('Moe, Jack:jack doe');
    // The same full name twice is refused, whichever the case.
    expect(faultOf(() => company.create('Customer', { DisplayName: 'JACK DOE', Job: true, ParentRef: { value: String(doe.Id) } })).code).toBe('6240');
    expect(faultOf(() => company.create('Customer', { DisplayName: 'jack doe' })).code).toBe('6240');
    // A vendor or an employee may not take a job's leaf name (undocumented: the stricter reading).
    company.update('Customer', { Id: top.Id, SyncToken: top.SyncToken, sparse: true, DisplayName: 'Jack Doe Senior' });
    expect(faultOf(() => company.create('Vendor', { DisplayName: 'Jack Doe' })).code).toBe('6240');
    expect(faultOf(() => company.create('Employee', { DisplayName: 'jack doe' })).code).toBe('6240');
  });

  it('6240 also for duplicate Item names', () => {
    const { company, basics } = testCompany();
    expect(faultOf(() => company.create('Item', { Name: 'services', IncomeAccountRef: { value: basics.income } })).code).toBe('6240');
  });

  it('2040: a colon in a name; 2050: over-long names', () => {
    const { company } = testCompany();
    expect(faultOf(() => company.create('Customer', { DisplayName: 'A:B' }))).toMatchObject({ code: '2040', Message: 'Invalid String', element: 'DisplayName' });
    expect(faultOf(() => company.create('Customer', { DisplayName: 'x'.repeat(501) }))).toMatchObject({ code: '2050', Message: 'Invalid String Length', element: 'DisplayName' });
    expect(faultOf(() => company.create('Term', { Name: 'x'.repeat(32), DueDays: 5 }))).toMatchObject({ code: '2050', element: 'Name' });
  });

  it('6080 when no name part is given; DisplayName is built from the parts', () => {
    const { company } = testCompany();
    expect(faultOf(() => company.create('Customer', { Notes: 'x' }))).toMatchObject({ code: '6080', Message: 'No name provided' });
    expect(company.create('Customer', { Title: 'Dr', GivenName: 'Ann', FamilyName: 'Lee' }).DisplayName).toBe('Dr Ann Lee');
  });

  it("refs carry a name as the recorded pairs do: a vendor's TermRef bare, a sales receipt's DiscountAccountRef named", () => {
    const { company, basics } = testCompany();
    const v = company.create('Vendor', { DisplayName: 'Termed', TermRef: { value: basics.net30 } });
    expect(v.TermRef).toEqual({ value: basics.net30 });
    const r = company.create('SalesReceipt', {
      Line: [sales(basics.item, 10), { Amount: 1, DetailType: 'DiscountLineDetail', DiscountLineDetail: { PercentBased: false, DiscountAccountRef: { value: basics.income } } }],
    });
    const discount = (r.Line as Array<{ DiscountLineDetail?: { DiscountAccountRef: unknown } }>).find((l) => l.DiscountLineDetail)!;
    expect(discount.DiscountLineDetail!.DiscountAccountRef).toEqual({ value: basics.income, name: 'Sales' });
  });

  it('sub-customers: ParentRef makes a Job with Level and a Parent:Child FullyQualifiedName', () => {
    const { company, basics } = testCompany();
    const job = company.create('Customer', { DisplayName: '55 Twin Lane', ParentRef: { value: basics.customer } });
    expect(job).toMatchObject({ Job: true, Level: 1, FullyQualifiedName: 'Acme Pty:55 Twin Lane' });
    // QBO answers a job's ParentRef without a name (recorded all/customers.yml, jobs 8, 9, 23, 64).
    expect(job.ParentRef).toEqual({ value: basics.customer });
    const sub = company.create('Customer', { DisplayName: 'Stage 2', ParentRef: { value: String(job.Id) } });
    expect(sub).toMatchObject({ Level: 2, FullyQualifiedName: 'Acme Pty:55 Twin Lane:Stage 2' });
    expect(faultOf(() => company.create('Customer', { DisplayName: 'Orphan', ParentRef: { value: '999' } })).code).toBe('2500');
  });

  it('deactivation: sparse Active false; inactive rows hidden from default queries; no-op keeps SyncToken', () => {
    const { company, basics } = testCompany();
    const v = company.read('Vendor', basics.vendor);
    const off = company.update('Vendor', { Id: v.Id, SyncToken: v.SyncToken, sparse: true, Active: false });
    expect(off).toMatchObject({ Active: false, SyncToken: '1' });
    const again = company.update('Vendor', { Id: v.Id, SyncToken: '1', sparse: true, Active: false });
    expect(again.SyncToken).toBe('1');
    expect(again.MetaData).toEqual(off.MetaData);
    expect(company.query('select * from Vendor').rows ?? []).toHaveLength(0);
    expect(company.query('select * from Vendor where Active IN (true, false)').rows).toHaveLength(1);
    expect(company.query('select * from Vendor where Active = false').rows).toHaveLength(1);
  });

  it('a made-inactive name reads "Name (deleted)", still reserves its name, and loses the suffix when reactivated', () => {
    const { company, basics } = testCompany();
    const off = company.update('Vendor', { Id: basics.vendor, SyncToken: '0', sparse: true, Active: false });
    expect(off).toMatchObject({ DisplayName: 'Supplies Co (deleted)', PrintOnCheckName: 'Supplies Co' });
    expect(faultOf(() => company.create('Customer', { DisplayName: 'Supplies Co' })).code).toBe('6240');
    expect(company.query("select * from Vendor where DisplayName = 'Supplies Co' and Active = false").rows ?? []).toHaveLength(0);
    expect(company.query("select * from Vendor where DisplayName = 'Supplies Co (deleted)' and Active = false").rows).toHaveLength(1);
    const on = company.update('Vendor', { Id: basics.vendor, SyncToken: '1', sparse: true, Active: true });
    expect(on).toMatchObject({ DisplayName: 'Supplies Co', Active: true, SyncToken: '2' });
    const acct = company.update('Account', { Id: basics.expense, SyncToken: '0', sparse: true, Active: false, Name: 'Office' });
    expect(acct).toMatchObject({ Name: 'Office (deleted)', FullyQualifiedName: 'Office (deleted)' });
    // Sending the shown name back is a no-op (recorded deactivate/account.yml).
    const same = company.update('Account', { Id: basics.expense, SyncToken: '1', sparse: true, Active: false, Name: 'Office (deleted)' });
    expect(same.SyncToken).toBe('1');
  });

  it('6010 for an Account without type; 2020 for an Item without IncomeAccountRef or Name', () => {
    const { company } = testCompany();
    expect(faultOf(() => company.create('Account', { Name: 'X' }))).toMatchObject({ code: '6010', Message: 'AccountType or AccountSubType required' });
    expect(company.create('Account', { Name: 'Undeposited', AccountSubType: 'UndepositedFunds' })).toMatchObject({ AccountType: 'Other Current Asset', Classification: 'Asset' });
    expect(faultOf(() => company.create('Item', { Name: 'Bare', Type: 'Service' }))).toMatchObject({
      code: '2020',
      Message: 'Required param missing, need to supply the required value for the API',
      element: 'IncomeAccountRef',
    });
    expect(faultOf(() => company.create('Item', { Type: 'Service' }))).toMatchObject({ code: '2020', element: 'Name' });
  });

  it('name-list entities cannot be deleted (Unsupported Operation, code 500)', () => {
    const { company, basics } = testCompany();
    expect(faultOf(() => company.remove('Customer', { Id: basics.customer, SyncToken: '0' }))).toMatchObject({ code: '500', Message: 'Unsupported Operation' });
  });
});

describe('common write rules', () => {
  it('2010 for an unknown property, naming it', () => {
    const { company } = testCompany();
    const f = faultOf(() => company.create('Invoice', { BadJson: true }));
    expect(f).toMatchObject({ code: '2010', Message: 'Request has invalid or unsupported property' });
    expect(f.Detail).toContain('Unrecognized field "BadJson" (class com.intuit.schema.finance.v3.Invoice)');
    expect(f.Detail).toMatch(/not marked as ignorable \(\d+ known properties: "Id", .* \[truncated\]\]\)\n specified is unsupported or invalid$/);
  });

  it('2010 for an unknown property inside a line or its detail', () => {
    const { company, basics } = testCompany();
    const f = faultOf(() => company.create('Invoice', { CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 1, { TaxCode: 'TAX' })] }));
    expect(f).toMatchObject({ code: '2010', Message: 'Request has invalid or unsupported property' });
    expect(f.Detail).toContain('Unrecognized field "TaxCode" (class com.intuit.schema.finance.v3.SalesItemLineDetail)');
    expect(faultOf(() => company.create('Invoice', { CustomerRef: { value: basics.customer }, Line: [{ ...sales(basics.item, 1), Memo: 'x' }] })).code).toBe('2010');
  });

  it('2020 for a missing required field', () => {
    const { company, basics } = testCompany();
    expect(faultOf(() => company.create('Invoice', { CustomerRef: { value: basics.customer } }))).toMatchObject({
      code: '2020',
      element: 'Line',
      Detail: 'Required parameter Line is missing in the request',
    });
    expect(faultOf(() => company.create('Invoice', { Line: [sales(basics.item, 1)] }))).toMatchObject({ code: '2020', element: 'CustomerRef' });
    expect(faultOf(() => company.create('Bill', { Line: [] }))).toMatchObject({ code: '2020', element: 'VendorRef' });
  });

  it('2500 for a reference to nothing; 610 for a reference to an inactive row', () => {
    const { company, basics } = testCompany();
    expect(faultOf(() => company.create('Invoice', { CustomerRef: { value: '999' }, Line: [sales(basics.item, 1)] }))).toMatchObject({
      code: '2500',
      Message: 'Invalid Reference Id',
      element: 'CustomerRef',
    });
    const c = company.read('Customer', basics.customer);
    company.update('Customer', { Id: c.Id, SyncToken: c.SyncToken, sparse: true, Active: false });
    const f = faultOf(() => company.create('Invoice', { CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 1)] }));
    expect(f).toMatchObject({ code: '610', Message: 'Object Not Found' });
    expect(f.Detail).toContain("Something you're trying to use has been made inactive");
  });

  it('5010 for a stale SyncToken, on update, delete and void', () => {
    const { company, basics } = testCompany();
    const inv = company.create('Invoice', { CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 10)] });
    company.update('Invoice', { Id: inv.Id, SyncToken: '0', sparse: true, PrivateNote: 'a' });
    const stale = { Id: inv.Id, SyncToken: '0', sparse: true, PrivateNote: 'b' };
    expect(faultOf(() => company.update('Invoice', stale))).toMatchObject({ code: '5010', Message: 'Stale Object Error' });
    expect(faultOf(() => company.remove('Invoice', { Id: inv.Id, SyncToken: '0' })).code).toBe('5010');
    expect(faultOf(() => company.voidTxn('Invoice', { Id: inv.Id, SyncToken: '0' })).code).toBe('5010');
  });

  it('full update clears omitted fields but keeps DocNumber; sparse update changes only what is sent', () => {
    const { company, basics } = testCompany();
    const inv = company.create('Invoice', { CustomerRef: { value: basics.customer }, PrivateNote: 'keep?', Line: [sales(basics.item, 10)] });
    const sparse = company.update('Invoice', { Id: inv.Id, SyncToken: '0', sparse: true, CustomerMemo: { value: 'Thanks' } });
    expect(sparse).toMatchObject({ PrivateNote: 'keep?', CustomerMemo: { value: 'Thanks' }, SyncToken: '1', DocNumber: inv.DocNumber });
    const full = company.update('Invoice', { Id: inv.Id, SyncToken: '1', CustomerRef: { value: basics.customer }, Line: [{ ...sales(basics.item, 20), Id: '1' }] });
    expect(full).not.toHaveProperty('PrivateNote');
    expect(full).toMatchObject({ DocNumber: inv.DocNumber, TotalAmt: 20, Balance: 20, SyncToken: '2' });
    expect((full.Line as { Id?: string }[])[0]!.Id).toBe('1');
    // A line sent without its Id is a new line with a fresh Id.
    const relined = company.update('Invoice', { Id: inv.Id, SyncToken: '2', sparse: true, Line: [sales(basics.item, 5)] });
    expect((relined.Line as { Id?: string }[])[0]!.Id).toBe('2');
  });

  it('2060/2070 for bad dates and 2110 for amounts that are not decimals', () => {
    const { company, basics } = testCompany();
    const mk =
      (extra: Record<string, unknown>, amount: unknown = 1) =>
      () =>
        company.create('Invoice', { CustomerRef: { value: basics.customer }, Line: [{ Amount: amount, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }], ...extra });
    expect(faultOf(mk({ TxnDate: '03/02/2026' }))).toMatchObject({ code: '2060', Message: 'Invalid Date Format', element: 'TxnDate' });
    expect(faultOf(mk({ TxnDate: '2026-02-30' }))).toMatchObject({ code: '2070', Message: 'Invalid Date', element: 'TxnDate' });
    expect(faultOf(mk({}, 'ten'))).toMatchObject({ code: '2110', Message: 'Invalid Decimal', element: 'Line.Amount' });
  });

  it('MetaData.LastUpdatedTime moves with the clock on update', () => {
    const t = testCompany();
    const inv = t.company.create('Invoice', { CustomerRef: { value: t.basics.customer }, Line: [sales(t.basics.item, 10)] });
    t.advance(65_000);
    const up = t.company.update('Invoice', { Id: inv.Id, SyncToken: '0', sparse: true, PrivateNote: 'x' });
    expect(up.MetaData).toEqual({ CreateTime: '2026-03-02T04:00:00-08:00', LastUpdatedTime: '2026-03-02T04:01:05-08:00' });
  });
});

describe('DocNumber', () => {
  it('auto-numbers sales forms unless custom transaction numbers are on; continues from the last number entered', () => {
    const { company, basics } = testCompany();
    const mk = (extra: Record<string, unknown> = {}) => company.create('Invoice', { CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 1)], ...extra });
    expect(mk().DocNumber).toBe('1001');
    expect(mk({ DocNumber: '2000' }).DocNumber).toBe('2000');
    expect(mk().DocNumber).toBe('2001');
    company.setPreferences({ SalesFormsPrefs: { CustomTxnNumbers: true } });
    expect(mk()).not.toHaveProperty('DocNumber');
    expect(mk({ DocNumber: 'AUTO_GENERATE' }).DocNumber).toBe('2002');
  });

  it('6140 for a duplicate DocNumber unless allowDuplicateDocNum; a deleted document frees its number', () => {
    const { company, basics } = testCompany();
    const first = company.create('Invoice', { DocNumber: 'INV-7', CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 1)] });
    const dup = () => company.create('Invoice', { DocNumber: 'inv-7', CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 1)] });
    expect(faultOf(dup)).toEqual({
      code: '6140',
      Message: 'Duplicate Document Number Error',
      element: '',
      Detail: `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=inv-7 is assigned to TxnType=Invoice with TxnId=${String(first.Id)}`,
    });
    expect(
      company.create('Invoice', { DocNumber: 'INV-7', CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 1)] }, { allowDuplicateDocNum: true }).DocNumber,
    ).toBe('INV-7');
    const all = company.query("select * from Invoice where DocNumber = 'INV-7'").rows!;
    for (const r of all) company.remove('Invoice', { Id: r.Id, SyncToken: r.SyncToken });
    expect(dup().DocNumber).toBe('inv-7');
  });

  it('bills: the same DocNumber is fine for different vendors, 6140 for the same vendor', () => {
    const { company, basics } = testCompany();
    const other = String(company.create('Vendor', { DisplayName: 'Other' }).Id);
    const bill = (vendor: string) =>
      company.create('Bill', {
        VendorRef: { value: vendor },
        DocNumber: 'B1',
        Line: [{ Amount: 5, DetailType: 'AccountBasedExpenseLineDetail', AccountBasedExpenseLineDetail: { AccountRef: { value: basics.expense } } }],
      });
    bill(basics.vendor);
    expect(bill(other).DocNumber).toBe('B1');
    expect(faultOf(() => bill(basics.vendor)).code).toBe('6140');
  });

  it('2050 for a DocNumber over 21 characters', () => {
    const { company, basics } = testCompany();
    expect(faultOf(() => company.create('Invoice', { DocNumber: 'x'.repeat(22), CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 1)] }))).toMatchObject({
      code: '2050',
      element: 'DocNumber',
      Detail: 'String length is either shorter or longer than supported by specification. DocNumber Min: 0, Max: 21, Supplied length: 22',
    });
  });
});

describe('amounts and tax', () => {
  it('6070 when Amount differs from Qty × UnitPrice (rounded half-up to cents)', () => {
    const { company, basics } = testCompany();
    const ok = company.create('Invoice', {
      CustomerRef: { value: basics.customer },
      Line: [sales(basics.item, 337.5, { Qty: 4.5, UnitPrice: 75 }), sales(basics.item, 0.34, { Qty: 3, UnitPrice: 0.1125 })],
    });
    expect(ok.TotalAmt).toBe(337.84);
    const f = faultOf(() => company.create('Invoice', { CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 100, { Qty: 3, UnitPrice: 33.33 })] }));
    expect(f).toMatchObject({ code: '6070', Message: 'Amount calculation incorrect in the request', element: 'Amount' });
  });

  it('US: TAX/NON line codes, TxnTaxCodeRef rates, tax per line rounded then summed; 6100 for other codes', () => {
    const { company, basics } = testCompany('US');
    const inv = company.create('Invoice', {
      CustomerRef: { value: basics.customer },
      Line: [sales(basics.item, 10.05, { TaxCodeRef: { value: 'TAX' } }), sales(basics.item, 10.05, { TaxCodeRef: { value: 'TAX' } }), sales(basics.item, 50)],
      TxnTaxDetail: { TxnTaxCodeRef: { value: basics.taxCode } },
    });
    // 8 % of 10.05 = 0.804 → 0.80 per line; 1.60 total (not 1.61 from the 20.10 sum).
    expect(inv.TxnTaxDetail).toEqual({
      TxnTaxCodeRef: { value: basics.taxCode },
      TotalTax: 1.6,
      TaxLine: [
        { Amount: 1.6, DetailType: 'TaxLineDetail', TaxLineDetail: { TaxRateRef: { value: expect.any(String) }, PercentBased: true, TaxPercent: 8, NetAmountTaxable: 20.1 } },
      ],
    });
    expect(inv.TotalAmt).toBe(71.7);
    // A sparse update that does not touch tax keeps the transaction tax code and the tax.
    const up = company.update('Invoice', { Id: inv.Id, SyncToken: '0', sparse: true, PrivateNote: 'note' });
    expect(up).toMatchObject({ TotalAmt: 71.7, TxnTaxDetail: { TxnTaxCodeRef: { value: basics.taxCode }, TotalTax: 1.6 } });
    expect(faultOf(() => company.create('Invoice', { CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 1, { TaxCodeRef: { value: '5' } })] }))).toMatchObject({
      code: '6100',
      Detail: 'Valid Line TaxCodes for US should be TAX or NON. Supplied value:5',
    });
  });

  it('non-US: 6000 when a line has no tax code, with the region word', () => {
    const au = testCompany('AU');
    const f = faultOf(() => au.company.create('Invoice', { CustomerRef: { value: au.basics.customer }, Line: [sales(au.basics.item, 10)] }));
    expect(f).toMatchObject({
      code: '6000',
      Message: 'A business validation error has occurred while processing your request',
      Detail: 'Business Validation Error: Make sure all your transactions have a GST rate before you save.',
    });
    const uk = testCompany('UK');
    expect(faultOf(() => uk.company.create('Invoice', { CustomerRef: { value: uk.basics.customer }, Line: [sales(uk.basics.item, 10)] })).Detail).toContain('VAT rate');
    // NotApplicable needs no codes.
    expect(au.company.create('Invoice', { GlobalTaxCalculation: 'NotApplicable', CustomerRef: { value: au.basics.customer }, Line: [sales(au.basics.item, 10)] }).TotalAmt).toBe(
      10,
    );
  });

  it('non-US TaxExcluded: tax added on top, per line, per rate', () => {
    const { company, basics } = testCompany('AU');
    const inv = company.create('Invoice', {
      CustomerRef: { value: basics.customer },
      Line: [
        sales(basics.item, 10.05, { TaxCodeRef: { value: basics.taxCode } }),
        sales(basics.item, 10.05, { TaxCodeRef: { value: basics.taxCode } }),
        sales(basics.item, 7, { TaxCodeRef: { value: basics.freeCode } }),
      ],
    });
    expect(inv.GlobalTaxCalculation).toBe('TaxExcluded');
    // 10 % of 10.05 = 1.005 → 1.01 per line (half-up): 2.02.
    expect((inv.TxnTaxDetail as { TotalTax: number }).TotalTax).toBe(2.02);
    expect(inv.TotalAmt).toBe(29.12);
    expect(inv.Balance).toBe(29.12);
  });

  it('non-US TaxInclusive: tax is inside the line amounts (generous echoes the gross line; strict answers net, as QBO does)', () => {
    const { company, basics, core } = testCompany('AU');
    core.setFidelity('generous');
    const inv = company.create('Invoice', {
      GlobalTaxCalculation: 'TaxInclusive',
      CustomerRef: { value: basics.customer },
      Line: [sales(basics.item, 110, { TaxCodeRef: { value: basics.taxCode } })],
    });
    expect((inv.TxnTaxDetail as { TotalTax: number }).TotalTax).toBe(10);
    expect(inv.TotalAmt).toBe(110);
    expect((inv.Line as Record<string, unknown>[])[0]).toMatchObject({ Amount: 110, SalesItemLineDetail: { TaxInclusiveAmt: 110 } });
    core.setFidelity('strict');
    const net = company.create('Invoice', {
      GlobalTaxCalculation: 'TaxInclusive',
      CustomerRef: { value: basics.customer },
      Line: [sales(basics.item, 110, { TaxCodeRef: { value: basics.taxCode } })],
    });
    expect(net.TotalAmt).toBe(110);
    expect((net.Line as Record<string, unknown>[])[0]).toMatchObject({ Amount: 100 });
  });

  it('TxnTaxDetail.TotalTax overrides the computed tax and survives a sparse update that does not send it', () => {
    const { company, basics } = testCompany('AU');
    const inv = company.create('Invoice', {
      CustomerRef: { value: basics.customer },
      Line: [sales(basics.item, 74.25, { TaxCodeRef: { value: basics.taxCode } })],
      TxnTaxDetail: { TotalTax: 7.42 },
    });
    expect((inv.TxnTaxDetail as { TotalTax: number }).TotalTax).toBe(7.42);
    expect(inv.TotalAmt).toBe(81.67);
    const up = company.update('Invoice', { Id: inv.Id, SyncToken: '0', sparse: true, PrivateNote: 'n' });
    expect((up.TxnTaxDetail as { TotalTax: number }).TotalTax).toBe(7.42);
  });

  it('6170 when TxnTaxDetail is sent with NotApplicable', () => {
    const { company, basics } = testCompany('UK');
    expect(
      faultOf(() =>
        company.create('Invoice', {
          GlobalTaxCalculation: 'NotApplicable',
          TxnTaxDetail: { TotalTax: 1 },
          CustomerRef: { value: basics.customer },
          Line: [sales(basics.item, 10)],
        }),
      ).code,
    ).toBe('6170');
  });

  it('purchases use the purchase rate list', () => {
    const { company, basics } = testCompany('CA');
    const bill = company.create('Bill', {
      VendorRef: { value: basics.vendor },
      Line: [
        {
          Amount: 200,
          DetailType: 'AccountBasedExpenseLineDetail',
          AccountBasedExpenseLineDetail: { AccountRef: { value: basics.expense }, TaxCodeRef: { value: basics.taxCode } },
        },
      ],
    });
    expect(bill).toMatchObject({ TotalAmt: 220, Balance: 220, TxnTaxDetail: { TotalTax: 20 } });
    expect(
      faultOf(() =>
        company.create('Purchase', {
          PaymentType: 'Cash',
          AccountRef: { value: basics.bank },
          Line: [{ Amount: 5, DetailType: 'AccountBasedExpenseLineDetail', AccountBasedExpenseLineDetail: { AccountRef: { value: basics.expense } } }],
        }),
      ).Detail,
    ).toContain('GST/HST rate');
  });
});

describe('payments and balances', () => {
  const setup = () => {
    const t = testCompany();
    const inv = t.company.create('Invoice', { CustomerRef: { value: t.basics.customer }, Line: [sales(t.basics.item, 100)] });
    return { ...t, inv };
  };

  it('a payment reduces the invoice Balance, links both ways, and moves the invoice SyncToken', () => {
    const { company, basics, inv } = setup();
    const pay = company.create('Payment', { CustomerRef: { value: basics.customer }, TotalAmt: 150, Line: [{ Amount: 60, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] });
    expect(pay).toMatchObject({ TotalAmt: 150, UnappliedAmt: 90 });
    const after = company.read('Invoice', String(inv.Id));
    expect(after).toMatchObject({ Balance: 40, SyncToken: '1', LinkedTxn: [{ TxnId: pay.Id, TxnType: 'Payment' }] });
    // Changing the payment re-applies it.
    const up = company.update('Payment', { Id: pay.Id, SyncToken: '0', sparse: true, Line: [{ Amount: 100, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] });
    expect(up.UnappliedAmt).toBe(50);
    expect(company.read('Invoice', String(inv.Id)).Balance).toBe(0);
    // Deleting the payment restores the balance.
    company.remove('Payment', { Id: pay.Id, SyncToken: up.SyncToken });
    expect(company.read('Invoice', String(inv.Id))).toMatchObject({ Balance: 100, LinkedTxn: [] });
  });

  it('customer Balance follows open invoices, credits and unapplied payments; BalanceWithJobs includes jobs', () => {
    const { company, basics, inv } = setup();
    const bal = () => company.read('Customer', basics.customer);
    expect(bal()).toMatchObject({ Balance: 100, BalanceWithJobs: 100, SyncToken: '0' });
    const pay = company.create('Payment', { CustomerRef: { value: basics.customer }, TotalAmt: 70, Line: [{ Amount: 60, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] });
    expect(bal().Balance).toBe(30); // 40 open − 10 unapplied
    const job = company.create('Customer', { DisplayName: 'Job 1', ParentRef: { value: basics.customer } });
    company.create('Invoice', { CustomerRef: { value: String(job.Id) }, Line: [sales(basics.item, 25)] });
    expect(bal()).toMatchObject({ Balance: 30, BalanceWithJobs: 55 });
    expect(company.read('Customer', String(job.Id))).toMatchObject({ Balance: 25, BalanceWithJobs: 25 });
    company.remove('Payment', { Id: pay.Id, SyncToken: '0' });
    expect(bal().Balance).toBe(100);
    // A full update of the customer does not reset the balance.
    const c = bal();
    expect(company.update('Customer', { Id: c.Id, SyncToken: c.SyncToken, DisplayName: 'Acme Pty' }).Balance).toBe(100);
  });

  it('refuses applying more than the open balance or more than the payment total (6000)', () => {
    const { company, basics, inv } = setup();
    expect(
      faultOf(() =>
        company.create('Payment', { CustomerRef: { value: basics.customer }, TotalAmt: 500, Line: [{ Amount: 101, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] }),
      ).code,
    ).toBe('6000');
    expect(
      faultOf(() =>
        company.create('Payment', { CustomerRef: { value: basics.customer }, TotalAmt: 10, Line: [{ Amount: 20, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] }),
      ).code,
    ).toBe('6000');
    expect(
      faultOf(() => company.create('Payment', { CustomerRef: { value: basics.customer }, TotalAmt: 10, Line: [{ Amount: 10, LinkedTxn: [{ TxnId: '999', TxnType: 'Invoice' }] }] }))
        .code,
    ).toBe('2500');
  });

  it('a credit memo applied through a zero payment reduces the invoice balance and the credit', () => {
    const { company, basics, inv } = setup();
    const cm = company.create('CreditMemo', { CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 30)] });
    expect(cm).toMatchObject({ Balance: 30, RemainingCredit: 30 });
    company.create('Payment', {
      CustomerRef: { value: basics.customer },
      TotalAmt: 0,
      Line: [
        { Amount: 30, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] },
        { Amount: 30, LinkedTxn: [{ TxnId: cm.Id, TxnType: 'CreditMemo' }] },
      ],
    });
    expect(company.read('Invoice', String(inv.Id)).Balance).toBe(70);
    expect(company.read('CreditMemo', String(cm.Id))).toMatchObject({ Balance: 0, RemainingCredit: 0 });
  });

  it('a credit memo cannot be voided: 500 Unsupported Operation, the memo and its application unchanged', () => {
    const { company, basics, inv } = setup();
    const cm = company.create('CreditMemo', { CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 30)] });
    const pay = company.create('Payment', {
      CustomerRef: { value: basics.customer },
      TotalAmt: 0,
      Line: [
        { Amount: 30, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] },
        { Amount: 30, LinkedTxn: [{ TxnId: cm.Id, TxnType: 'CreditMemo' }] },
      ],
    });
    const cur = company.read('CreditMemo', String(cm.Id));
    // QBO: "The Operation Void for CreditMemo is not supported" (intuit/QuickBooks-V3-PHP-SDK#133).
    const f = faultOf(() => company.voidTxn('CreditMemo', { Id: cm.Id, SyncToken: cur.SyncToken }));
    expect(f).toMatchObject({ code: '500', Message: 'Unsupported Operation', Detail: 'Operation Void on CreditMemo is not supported.' });
    expect(company.read('CreditMemo', String(cm.Id))).toEqual(cur);
    expect(company.read('Invoice', String(inv.Id)).Balance).toBe(70);
    expect(company.read('Payment', String(pay.Id)).Line).toHaveLength(2);
  });

  it('a full update of a bill keeps the links made by its bill payments', () => {
    const { company, basics } = testCompany();
    const line = { Amount: 50, DetailType: 'AccountBasedExpenseLineDetail', AccountBasedExpenseLineDetail: { AccountRef: { value: basics.expense } } };
    const bill = company.create('Bill', { VendorRef: { value: basics.vendor }, Line: [line] });
    const bp = company.create('BillPayment', {
      VendorRef: { value: basics.vendor },
      PayType: 'Check',
      TotalAmt: 20,
      CheckPayment: { BankAccountRef: { value: basics.bank } },
      Line: [{ Amount: 20, LinkedTxn: [{ TxnId: bill.Id, TxnType: 'Bill' }] }],
    });
    const up = company.update('Bill', { Id: bill.Id, SyncToken: '1', VendorRef: { value: basics.vendor }, Line: [{ ...line, Amount: 60 }] });
    expect(up).toMatchObject({ TotalAmt: 60, Balance: 40, LinkedTxn: [{ TxnId: bp.Id, TxnType: 'BillPayment' }] });
  });

  it('voiding a paid invoice zeroes it and leaves the payment unapplied', () => {
    const { company, basics, inv } = setup();
    const pay = company.create('Payment', { CustomerRef: { value: basics.customer }, TotalAmt: 100, Line: [{ Amount: 100, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] });
    const cur = company.read('Invoice', String(inv.Id));
    const v = company.voidTxn('Invoice', { Id: inv.Id, SyncToken: cur.SyncToken });
    expect(v).toMatchObject({ TotalAmt: 0, Balance: 0, PrivateNote: 'Voided', SyncToken: String(Number(cur.SyncToken) + 1) });
    expect((v.Line as { Amount: number }[]).every((l) => l.Amount === 0)).toBe(true);
    expect(company.read('Payment', String(pay.Id))).toMatchObject({ UnappliedAmt: 100, SyncToken: '1', Line: [] });
  });

  it('bill payments reduce bill balances', () => {
    const { company, basics } = testCompany();
    const bill = company.create('Bill', {
      VendorRef: { value: basics.vendor },
      Line: [{ Amount: 200, DetailType: 'AccountBasedExpenseLineDetail', AccountBasedExpenseLineDetail: { AccountRef: { value: basics.expense } } }],
    });
    const bp = company.create('BillPayment', {
      VendorRef: { value: basics.vendor },
      PayType: 'Check',
      TotalAmt: 150,
      CheckPayment: { BankAccountRef: { value: basics.bank } },
      Line: [{ Amount: 150, LinkedTxn: [{ TxnId: bill.Id, TxnType: 'Bill' }] }],
    });
    expect(company.read('Bill', String(bill.Id))).toMatchObject({ Balance: 50, SyncToken: '1', LinkedTxn: [{ TxnId: bp.Id, TxnType: 'BillPayment' }] });
    expect(company.read('Vendor', basics.vendor).Balance).toBe(50);
    company.voidTxn('BillPayment', { Id: bp.Id, SyncToken: '0' });
    expect(company.read('Bill', String(bill.Id)).Balance).toBe(200);
    expect(company.read('Vendor', basics.vendor).Balance).toBe(200);
    expect(faultOf(() => company.create('BillPayment', { VendorRef: { value: basics.vendor }, PayType: 'Check', TotalAmt: 1 })).element).toBe('CheckPayment.BankAccountRef');
  });

  it('a payment defaults DepositToAccountRef to Undeposited Funds', () => {
    const { company, basics } = setup();
    const uf = company.create('Account', { Name: 'Undeposited Funds', AccountSubType: 'UndepositedFunds' });
    expect(company.create('Payment', { CustomerRef: { value: basics.customer }, TotalAmt: 5 }).DepositToAccountRef).toEqual({ value: uf.Id });
  });

  it('2020 when a sparse update of Bill or Purchase lines omits VendorRef / PaymentType / AccountRef', () => {
    const { company, basics } = testCompany();
    const line = { Amount: 5, DetailType: 'AccountBasedExpenseLineDetail', AccountBasedExpenseLineDetail: { AccountRef: { value: basics.expense } } };
    const bill = company.create('Bill', { VendorRef: { value: basics.vendor }, Line: [line] });
    expect(faultOf(() => company.update('Bill', { Id: bill.Id, SyncToken: '0', sparse: true, Line: [line] }))).toMatchObject({ code: '2020', element: 'VendorRef' });
    expect(company.update('Bill', { Id: bill.Id, SyncToken: '0', sparse: true, VendorRef: { value: basics.vendor }, Line: [{ ...line, Amount: 7 }] }).TotalAmt).toBe(7);
    const p = company.create('Purchase', { PaymentType: 'Cash', AccountRef: { value: basics.bank }, Line: [line] });
    expect(faultOf(() => company.update('Purchase', { Id: p.Id, SyncToken: '0', sparse: true, Line: [line] })).element).toBe('PaymentType');
    expect(company.update('Purchase', { Id: p.Id, SyncToken: '0', sparse: true, PrivateNote: 'ok' }).SyncToken).toBe('1');
  });

  it('6540: a deposited payment cannot be changed, deleted or voided', () => {
    const { company, basics } = setup();
    const pay = company.create('Payment', { CustomerRef: { value: basics.customer }, TotalAmt: 10 });
    company.markDeposited('Payment', String(pay.Id));
    const f = faultOf(() => company.update('Payment', { Id: pay.Id, SyncToken: '0', sparse: true, PrivateNote: 'x' }));
    expect(f).toMatchObject({ code: '6540', Message: 'Deposited Transaction cannot be changed' });
    expect(faultOf(() => company.remove('Payment', { Id: pay.Id, SyncToken: '0' })).code).toBe('6540');
    expect(faultOf(() => company.voidTxn('Payment', { Id: pay.Id, SyncToken: '0' })).code).toBe('6540');
  });
});

describe('closed books', () => {
  it('6210: writes dated on or before BookCloseDate are refused, including edits of old documents', () => {
    const { company, basics } = testCompany();
    const old = company.create('Invoice', { TxnDate: '2026-01-15', CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 1)] });
    company.setPreferences({ AccountingInfoPrefs: { BookCloseDate: '2026-01-31' } });
    const f = faultOf(() => company.create('Invoice', { TxnDate: '2026-01-31', CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 1)] }));
    expect(f).toMatchObject({ code: '6210', Message: 'Account Period Closed, Cannot Update Through Services API' });
    expect(faultOf(() => company.update('Invoice', { Id: old.Id, SyncToken: '0', sparse: true, TxnDate: '2026-02-10' })).code).toBe('6210');
    expect(faultOf(() => company.remove('Invoice', { Id: old.Id, SyncToken: '0' })).code).toBe('6210');
    expect(company.create('Invoice', { TxnDate: '2026-02-01', CustomerRef: { value: basics.customer }, Line: [sales(basics.item, 1)] }).TxnDate).toBe('2026-02-01');
    // Preferences keep the rest of their sub-object.
    expect(company.preferences().AccountingInfoPrefs).toMatchObject({ BookCloseDate: '2026-01-31', CustomerTerminology: 'Customers' });
  });
});

describe('CDC and the change log', () => {
  it('returns changed rows since a time and deleted rows as status Deleted', () => {
    const t = testCompany();
    const since = new Date(t.now().getTime() + 1000);
    t.advance(2000);
    const inv = t.company.create('Invoice', { CustomerRef: { value: t.basics.customer }, Line: [sales(t.basics.item, 1)] });
    const gone = t.company.create('Invoice', { CustomerRef: { value: t.basics.customer }, Line: [sales(t.basics.item, 2)] });
    t.company.remove('Invoice', { Id: gone.Id, SyncToken: '0' });
    const [invoices, customers] = t.company.cdc(['Invoice', 'customer'], since);
    expect(invoices!.entity).toBe('Invoice');
    expect(invoices!.rows.map((r) => [r.Id, r.status])).toEqual([
      [inv.Id, undefined],
      [gone.Id, 'Deleted'],
    ]);
    expect(invoices!.rows[1]).toEqual({ domain: 'QBO', status: 'Deleted', Id: gone.Id, MetaData: { LastUpdatedTime: expect.any(String) } });
    expect(customers).toEqual({ entity: 'Customer', rows: [] });
    expect(t.company.changes().map((c) => c.operation)).toContain('Delete');
  });

  it('looks back 30 days at most in strict mode (all in generous), and caps at the limit', () => {
    const t = testCompany();
    t.core.setFidelity('generous');
    const old = new Date(t.now().getTime() - 31 * 86_400_000);
    t.advance(31 * 86_400_000);
    t.company.create('Vendor', { DisplayName: 'Recent' });
    expect(t.company.cdc(['Vendor'], old)[0]!.rows.map((r) => r.DisplayName)).toContain('Supplies Co');
    t.core.setFidelity('strict');
    expect(t.company.cdc(['Vendor'], old)[0]!.rows.map((r) => r.DisplayName)).toEqual(['Recent']);
    t.core.setFidelity('generous');
    for (let i = 0; i < 5; i++) t.company.create('Vendor', { DisplayName: `V${i}` });
    expect(t.company.cdc(['Vendor'], new Date(t.now().getTime() - 1000), 3)[0]!.rows).toHaveLength(3);
  });
});

describe('requestid memory', () => {
  it('remembers up to the configured size, and nothing with size 0', () => {
    const t = testCompany();
    t.core.setRequestIdMemory(2);
    t.company.rememberRequest('a', 1);
    t.company.rememberRequest('b', 2);
    t.company.rememberRequest('c', 3);
    expect([t.company.recallRequest('a'), t.company.recallRequest('b'), t.company.recallRequest('c')].map((r) => r?.answer)).toEqual([undefined, 2, 3]);
    t.core.setRequestIdMemory(0);
    t.company.rememberRequest('d', 4);
    expect(t.company.recallRequest('d')).toBeUndefined();
  });
});
