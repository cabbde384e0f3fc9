import { describe, expect, it } from 'vitest';
import { companyToday } from './build.js';
import { renderReportText } from './render.js';
import { pair, type ReconciliationReport } from './types.js';

const report = (over: Partial<ReconciliationReport> = {}): ReconciliationReport => ({
  realmId: '1',
  companyName: 'Acme',
  from: '2026-12-02',
  to: '2026-12-02',
  generatedAt: '2026-12-02T00:00:00.000Z',
  today: { date: '2026-12-02', zone: 'UTC', known: false },
  qboRequests: 3,
  elapsedMs: 10,
  summary: { differences: 0, leftOut: 0, agrees: true },
  customers: [],
  suppliers: [],
  tax: [],
  differences: [],
  months: [],
  totals: {
    customers: { invoiced: pair(0, 0), credited: pair(0, 0), received: pair(0, 0), openBalance: pair(0, 0), overdueInQbo: 0 },
    suppliers: { billed: pair(0, 0), openInQbo: 0 },
    tax: { sales: { taxable: pair(0, 0), tax: pair(0, 0) }, purchases: { taxable: pair(0, 0), tax: pair(0, 0) } },
    differencesCents: 0,
  },
  ...over,
});

describe('renderReportText', () => {
  it('never says "0 differences" when the books do not agree', () => {
    const text = renderReportText(
      report({
        summary: { differences: 0, leftOut: 0, agrees: false },
        customers: [
          { code: 'C1', name: 'One', qboId: '6', invoiced: pair(0, 0), credited: pair(0, 0), received: pair(0, 0), openBalance: pair(100, 0), overdueInQbo: 0, differences: [] },
        ],
      }),
    );
    expect(text).not.toContain('0 differences');
    expect(text).toContain('widen --from');
    expect(text).toContain('Customers: 1, 1 differ');
  });

  it('shows control characters from QBO names as visible escapes, never raw', () => {
    const name = 'Evil\u001b[2J\rCo\u0007';
    const text = renderReportText(
      report({
        summary: { differences: 0, leftOut: 0, agrees: false },
        customers: [
          { code: 'qbo:9', name, qboId: '9', invoiced: pair(0, 5), credited: pair(0, 0), received: pair(0, 0), openBalance: pair(0, 0), overdueInQbo: 0, differences: [] },
        ],
      }),
    );
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(text.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(text).toContain('Evil\\u001b[2J\\u000dCo\\u0007');
  });
});

describe('companyToday', () => {
  it("is the company's day in its time zone, and UTC (said so) when the zone is missing or unknown", () => {
    const now = new Date('2026-12-04T20:30:00Z');
    expect(companyToday(now, 'Australia/Sydney')).toEqual({ date: '2026-12-05', zone: 'Australia/Sydney' });
    expect(companyToday(now, 'America/Los_Angeles')).toEqual({ date: '2026-12-04', zone: 'America/Los_Angeles' });
    expect(companyToday(now, 'Mars/Olympus')).toEqual({ date: '2026-12-04', zone: null });
    expect(companyToday(now, undefined)).toEqual({ date: '2026-12-04', zone: null });
    expect(renderReportText(report())).toContain('The period ends today, 2026-12-02 in UTC (QuickBooks gave no time zone');
  });
});
