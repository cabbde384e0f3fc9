import { describe, expect, it } from 'vitest';
import { QboFault } from './faults.js';
import { runReport } from './reports.js';
import { testCompany } from './testing.js';
import { createApiApp } from '../wire/testing.js';

type Report = {
  Header: { ReportName: string; Option: Array<{ Name: string; Value: string }>; Currency: string };
  Columns: { Column: Array<{ ColTitle: string; ColType: string }> };
  Rows: { Row: Array<{ ColData?: Array<{ value: string; id?: string }>; group?: string; type?: string; Summary?: { ColData: Array<{ value: string }> } }> };
};

function faultOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof QboFault) return e.errors[0]!;
    throw e;
  }
  throw new Error('expected a QBO fault');
}

/** An AU company: an invoice of 110.00 due 2026-03-31 (dated 03-01), a payment of 40.00 on 03-05, a bill of 55.00. */
function company() {
  const t = testCompany('AU', '2026-05-15T12:00:00Z');
  const { customer, vendor, item, taxCode, expense } = t.basics;
  const inv = t.company.create('Invoice', {
    CustomerRef: { value: customer },
    TxnDate: '2026-03-01',
    DueDate: '2026-03-31',
    Line: [{ Amount: 100, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: item }, TaxCodeRef: { value: taxCode } } }],
  });
  t.company.create('Payment', {
    CustomerRef: { value: customer },
    TotalAmt: 40,
    TxnDate: '2026-03-05',
    Line: [{ Amount: 40, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }],
  });
  t.company.create('Bill', {
    VendorRef: { value: vendor },
    TxnDate: '2026-03-02',
    Line: [{ Amount: 50, DetailType: 'AccountBasedExpenseLineDetail', AccountBasedExpenseLineDetail: { AccountRef: { value: expense }, TaxCodeRef: { value: taxCode } } }],
  });
  return { ...t, invoiceTotal: inv.TotalAmt as number };
}

describe('Reports API (core/reports.ts)', () => {
  it('CustomerBalance: a row per customer with a balance, the GrandTotal section, in QBO’s shape; as of report_date', () => {
    const t = company();
    expect(t.invoiceTotal).toBe(110);
    const r = runReport(t.company, 'CustomerBalance', { report_date: '2026-04-01' }) as Report;
    expect(r.Header).toMatchObject({ ReportName: 'CustomerBalance', Currency: 'AUD' });
    expect(r.Header.Option).toEqual([
      { Name: 'report_date', Value: '2026-04-01' },
      { Name: 'NoReportData', Value: 'false' },
    ]);
    expect(r.Columns.Column).toEqual([
      { ColTitle: '', ColType: 'Customer' },
      { ColTitle: 'Total', ColType: 'Money' },
    ]);
    expect(r.Rows.Row).toEqual([
      { ColData: [{ value: 'Acme Pty', id: t.basics.customer }, { value: '70.00' }] },
      { group: 'GrandTotal', type: 'Section', Summary: { ColData: [{ value: 'TOTAL' }, { value: '70.00' }] } },
    ]);
    // Before the payment: the whole invoice is open; before the invoice: nothing, and NoReportData.
    expect((runReport(t.company, 'CustomerBalance', { report_date: '2026-03-02' }) as Report).Rows.Row[0]!.ColData![1]!.value).toBe('110.00');
    const none = runReport(t.company, 'CustomerBalance', { report_date: '2026-02-01' }) as Report;
    expect(none.Header.Option[1]).toEqual({ Name: 'NoReportData', Value: 'true' });
    expect(none.Rows.Row).toHaveLength(1);
    // The default date is the company's today; the customer filter leaves others out.
    expect((runReport(t.company, 'CustomerBalance', {}) as Report).Header.Option[0]).toEqual({ Name: 'report_date', Value: '2026-05-15' });
    expect((runReport(t.company, 'CustomerBalance', { customer: '999' }) as Report).Rows.Row).toHaveLength(1);
  });

  it('VendorBalance and AgedReceivables', () => {
    const t = company();
    const v = runReport(t.company, 'VendorBalance', { report_date: '2026-04-01', accounting_method: 'Accrual' }) as Report;
    expect(v.Columns.Column[0]).toEqual({ ColTitle: '', ColType: 'Vendor' });
    expect(v.Rows.Row[0]!.ColData).toEqual([{ value: 'Supplies Co', id: t.basics.vendor }, { value: '55.00' }]);
    // 70.00 open, due 2026-03-31: at 2026-05-15 it is 45 days past due.
    const a = runReport(t.company, 'AgedReceivables', { report_date: '2026-05-15' }) as Report;
    expect(a.Columns.Column.map((c) => c.ColTitle)).toEqual(['', 'Current', '1 - 30', '31 - 60', '61 - 90', '91 and over', 'Total']);
    expect(a.Rows.Row[0]!.ColData!.map((c) => c.value)).toEqual(['Acme Pty', '', '', '70.00', '', '', '70.00']);
    expect((runReport(t.company, 'AgedReceivables', { report_date: '2026-03-20' }) as Report).Rows.Row[0]!.ColData!.map((c) => c.value)).toEqual([
      'Acme Pty',
      '70.00',
      '',
      '',
      '',
      '',
      '70.00',
    ]);
  });

  it('strict: an unknown report, an unknown or uncomputed parameter, a bad value are QBO faults naming them', () => {
    const t = company();
    expect(faultOf(() => runReport(t.company, 'ProfitAndLossish', {}))).toMatchObject({ Message: 'Unsupported Operation' });
    expect(faultOf(() => runReport(t.company, 'CustomerBalance', { report_date: '2026-02-30' }))).toMatchObject({ code: '2010', element: 'report_date' });
    expect(faultOf(() => runReport(t.company, 'CustomerBalance', { start_date: '2026-01-01' }))).toMatchObject({ code: '2010', element: 'start_date' });
    expect(faultOf(() => runReport(t.company, 'CustomerBalance', { summarize_column_by: 'Month' })).Detail).toContain('does not compute summarize_column_by');
    expect(faultOf(() => runReport(t.company, 'VendorBalance', { accounting_method: 'Cash' })).element).toBe('accounting_method');
    expect(faultOf(() => runReport(t.company, 'AgedReceivables', { customer: '1;2' })).element).toBe('customer');
  });

  it('on the wire: GET /v3/company/{realmId}/reports/{name}; a fault in the Fault envelope, HTTP 400', async () => {
    const t = company();
    const app = createApiApp(t.core);
    const base = `http://x/v3/company/${t.company.realmId}/reports`;
    const ok = await app.request(`${base}/CustomerBalance?report_date=2026-04-01&minorversion=75`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Report).Header.ReportName).toBe('CustomerBalance');
    for (const path of ['/NoSuchReport', '/CustomerBalance?report_date=tomorrow']) {
      const bad = await app.request(`${base}${path}`);
      expect(bad.status, path).toBe(400);
      expect(((await bad.json()) as { Fault: { type: string; Error: unknown[] } }).Fault).toMatchObject({
        type: 'ValidationFault',
        Error: [expect.objectContaining({ code: expect.any(String) })],
      });
    }
  });
});
