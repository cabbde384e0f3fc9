/**
 * A contact held as diverged shows QBO's structured fields as people read them, not JSON (issue 19):
 * an email as its address, a phone as its number, an address as its lines joined, a reference by its
 * name (or value) — in the warning, the terminal's side-by-side table and the preview page's.
 */
import { describe, expect, it } from 'vitest';
import { renderPlanText } from '../src/connect/plan/render.js';
import { compareFields, conflictText, nextBase, shownValue } from '../src/connect/plan/sent-fields.js';
import type { Plan, PlanRow } from '../src/connect/plan/types.js';
import { DivergedFields } from '../src/server/pages/preview.js';

const sent = {
  DisplayName: 'Harbour Trust',
  PrimaryEmailAddr: { Address: 'old@harbour.example' },
  PrimaryPhone: { FreeFormNumber: '02 9000 0000' },
  BillAddr: { Line1: '1 Quay St', City: 'Sydney', CountrySubDivisionCode: 'NSW', PostalCode: '2000' },
};
const qboNow = {
  Id: '7',
  SyncToken: '2',
  ...sent,
  PrimaryEmailAddr: { Address: 'accounts@harbour.example' },
  PrimaryPhone: { FreeFormNumber: '02 9111 1111' },
  BillAddr: { Id: '31', Line1: 'Level 2', Line2: '5 Pier Rd', City: 'Sydney', CountrySubDivisionCode: 'NSW', PostalCode: '2000' },
};
const practice = {
  ...sent,
  PrimaryEmailAddr: { Address: 'ap@harbour.example' },
  PrimaryPhone: { FreeFormNumber: '02 9222 2222' },
  BillAddr: { Line1: '9 Wharf Ln', City: 'Sydney', CountrySubDivisionCode: 'NSW', PostalCode: '2000' },
};

function heldRow(): PlanRow {
  const fields = compareFields('Customer', practice, qboNow, nextBase('Customer', sent, { ...sent, Id: '7', SyncToken: '1' }));
  return {
    key: 'customers:C0001',
    group: 'customers',
    record: { kind: 'contact', id: 'C0001', label: 'Customer C0001 — Harbour Trust' },
    action: 'none',
    qbo: { entity: 'Customer', id: '7', syncToken: '2' },
    payload: null,
    payloadHash: null,
    dependsOn: [],
    practiceTotalCents: null,
    qboTotalCents: null,
    issues: [{ code: 'contact.diverged', severity: 'warning', message: conflictText(fields.conflicts) }],
    fields,
  } as unknown as PlanRow;
}

describe('diverged contact fields, as people read them', () => {
  it('formats emails, phones, addresses and references', () => {
    expect(shownValue({ Address: 'a@b.example' })).toBe('a@b.example');
    expect(shownValue({ FreeFormNumber: '02 9000 0000' })).toBe('02 9000 0000');
    expect(shownValue({ Line1: 'Level 2', Line2: '5 Pier Rd', City: 'Sydney', CountrySubDivisionCode: 'NSW', PostalCode: '2000' })).toBe('Level 2, 5 Pier Rd, Sydney, NSW, 2000');
    expect(shownValue({ value: '7', name: 'Harbour Trust' })).toBe('Harbour Trust (7)');
    expect(shownValue({ value: '7' })).toBe('7');
    expect(shownValue({ Address: '' })).toBe('(empty)');
    // Shapes that are none of these still show, as JSON, rather than vanish.
    expect(shownValue({ Other: 1 })).toBe('{"Other":1}');
  });

  it('shows a held contact without JSON in the warning, the text table and the preview page', () => {
    const row = heldRow();
    expect(row.fields!.conflicts.map((c) => c.field).sort()).toEqual(['BillAddr', 'PrimaryEmailAddr', 'PrimaryPhone']);
    const warning = row.issues[0]!.message;
    expect(warning).toContain('PrimaryEmailAddr: last sent "old@harbour.example", QBO now "accounts@harbour.example", practice now "ap@harbour.example"');
    expect(warning).toContain('QBO now "Level 2, 5 Pier Rd, Sydney, NSW, 2000"');
    const plan = {
      realmId: '4620',
      builtAt: '2026-11-26T01:00:00.000Z',
      settingsHash: 'x',
      qboRequests: 0,
      errors: 0,
      warnings: 1,
      groups: [{ kind: 'customers', rows: [row], records: 1, errors: 0, warnings: 1, totalCents: 0 }],
    } as unknown as Plan;
    const text = renderPlanText(plan);
    const table = text.slice(text.indexOf('Held as diverged'));
    expect(table).not.toMatch(/[{}"]/);
    expect(
      table
        .split('\n')
        .find((l) => l.trim().startsWith('PrimaryPhone'))!
        .trim()
        .split(/\s{2,}/),
    ).toEqual(['PrimaryPhone', '02 9000 0000', '02 9111 1111', '02 9222 2222']);
    expect(table).toContain('1 Quay St, Sydney, NSW, 2…');
    expect(table).toContain('9 Wharf Ln, Sydney, NSW, 2000');
    const html = String(DivergedFields({ row }));
    expect(html).toContain('<td>Level 2, 5 Pier Rd, Sydney, NSW, 2000</td>');
    expect(html).toContain('<td>ap@harbour.example</td>');
    expect(html).not.toContain('{&quot;');
    expect(html).not.toContain('Address');
  });
});
