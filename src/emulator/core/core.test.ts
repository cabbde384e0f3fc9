import { describe, expect, it } from 'vitest';
import { createCore } from './index.js';
import { QboFault } from './faults.js';
import { testCompany } from './testing.js';

function faultOf(fn: () => unknown): { code: string; Message: string; Detail: string; element?: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof QboFault) return e.errors[0]!;
    throw e;
  }
  throw new Error('expected a QBO fault');
}

describe('createCore', () => {
  it('creates companies with CompanyInfo and Preferences and finds them by realm', () => {
    const core = createCore({ clock: () => new Date('2026-01-01T00:00:00Z'), seed: 3 });
    const a = core.createCompany({ name: 'A', region: 'AU' });
    const b = core.createCompany({ name: 'B', region: 'US', realmId: '123' });
    expect(core.company(a.realmId)).toBe(a);
    expect(core.company('123')).toBe(b);
    expect(core.companies()).toHaveLength(2);
    expect(a.companyInfo()).toMatchObject({ CompanyName: 'A', Country: 'AU', Id: '1', SyncToken: '0', domain: 'QBO' });
    expect(b.preferences()).toMatchObject({ SalesFormsPrefs: { CustomTxnNumbers: false }, CurrencyPrefs: { HomeCurrency: { value: 'USD' } } });
    expect(b.read('TaxCode', 'TAX')).toMatchObject({ Id: 'TAX', Name: 'TAX' });
    core.reset();
    expect(core.companies()).toHaveLength(0);
  });

  it('gives the same realm ids for the same seed', () => {
    const mk = () => createCore({ clock: () => new Date(0), seed: 42 }).createCompany({ name: 'X', region: 'US' }).realmId;
    expect(mk()).toBe(mk());
  });

  it('round-trips through toJSON/fromJSON with indexes and links rebuilt', () => {
    const t = testCompany('US');
    const inv = t.company.create('Invoice', {
      CustomerRef: { value: t.basics.customer },
      Line: [{ Amount: 50, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: t.basics.item } } }],
    });
    t.company.create('Payment', { CustomerRef: { value: t.basics.customer }, TotalAmt: 20, Line: [{ Amount: 20, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] });
    const snap = JSON.parse(JSON.stringify(t.core.toJSON()));
    const other = createCore({ clock: () => t.now(), seed: 1 });
    other.fromJSON(snap);
    const c = other.company(t.company.realmId)!;
    expect(c.read('Invoice', String(inv.Id))).toMatchObject({ Balance: 30, SyncToken: '1' });
    expect(c.query(`select * from Invoice where DocNumber = '${String(inv.DocNumber)}'`).rows).toHaveLength(1);
    expect(faultOf(() => c.create('Vendor', { DisplayName: 'Acme Pty' })).code).toBe('6240');
    // A second payment over the open balance is refused: the link map was rebuilt.
    expect(
      faultOf(() => c.create('Payment', { CustomerRef: { value: t.basics.customer }, TotalAmt: 40, Line: [{ Amount: 40, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] }))
        .code,
    ).toBe('6000');
  });
});

describe('entities: create and read', () => {
  it('assigns numeric-string Ids from shared sequences, SyncToken "0" and MetaData', () => {
    const { company, basics } = testCompany('US');
    const v = company.create('Vendor', { DisplayName: 'New Vendor' });
    const e = company.create('Employee', { GivenName: 'Emily', FamilyName: 'Platt' });
    // Customers, vendors and employees share one sequence.
    expect(Number(v.Id)).toBe(Number(basics.vendor) + 1);
    expect(Number(e.Id)).toBe(Number(v.Id) + 1);
    expect(e).toMatchObject({ DisplayName: 'Emily Platt', PrintOnCheckName: 'Emily Platt', Active: true, BillableTime: false, SyncToken: '0', domain: 'QBO', sparse: false });
    // 2 March is before US daylight saving time: Pacific Standard Time, -08:00.
    expect(e.MetaData).toEqual({ CreateTime: '2026-03-02T04:00:00-08:00', LastUpdatedTime: '2026-03-02T04:00:00-08:00' });
    expect(company.read('Employee', String(e.Id))).toEqual(e);
  });

  it('creates an invoice the way the recorded one looks: line Ids, SubTotal line, NON, DocNumber, DueDate, Balance', () => {
    const { company, basics } = testCompany('US');
    const inv = company.create('Invoice', {
      Line: [{ Amount: 100.0, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: basics.item, name: 'Services' } } }],
      CustomerRef: { value: basics.customer },
      SalesTermRef: { value: basics.net30 },
    });
    expect(inv).toMatchObject({
      DocNumber: '1001',
      TxnDate: '2026-03-02',
      DueDate: '2026-04-01',
      TotalAmt: 100,
      Balance: 100,
      CurrencyRef: { value: 'USD', name: 'United States Dollar' },
      LinkedTxn: [],
      TxnTaxDetail: { TotalTax: 0 },
      CustomerRef: { value: basics.customer, name: 'Acme Pty' },
      BillAddr: { Line1: '1 Main St', City: 'Town' },
      AllowIPNPayment: false,
      AllowOnlinePayment: false,
      AllowOnlineCreditCardPayment: false,
      AllowOnlineACHPayment: false,
    });
    expect(inv.Line).toEqual([
      {
        Id: '1',
        LineNum: 1,
        Amount: 100,
        DetailType: 'SalesItemLineDetail',
        SalesItemLineDetail: { ItemRef: { value: basics.item, name: 'Services' }, TaxCodeRef: { value: 'NON' } },
      },
      { Amount: 100, DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} },
    ]);
    expect(inv).not.toHaveProperty('PrivateNote');
    expect(
      company.create('Invoice', { CustomerRef: { value: basics.customer }, Line: [{ Amount: 1, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }] }).DocNumber,
    ).toBe('1002');
  });

  it('reads a missing row as 610 and a non-numeric Id as 2030', () => {
    const { company } = testCompany('US');
    expect(faultOf(() => company.read('Invoice', '999'))).toMatchObject({ code: '610', Message: 'Object Not Found' });
    expect(faultOf(() => company.read('Customer', '1.5'))).toEqual({
      code: '2030',
      Message: 'Invalid ID',
      Detail: 'Id should be a valid number. Supplied value:1.5',
      element: 'Id',
    });
  });
});

describe('query basics', () => {
  it('selects, counts and pages', () => {
    const { company } = testCompany('US');
    for (let i = 0; i < 5; i++) company.create('Customer', { DisplayName: `C${i}` });
    expect(company.query('SELECT count(*) FROM Customer').count).toBe(6);
    const page = company.query('select * from customer ORDERBY DisplayName DESC STARTPOSITION 2 MAXRESULTS 2');
    expect(page.rows!.map((r) => r.DisplayName)).toEqual(['C3', 'C2']);
    expect(page.startPosition).toBe(2);
  });
});
