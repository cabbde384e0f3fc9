/** A document's offices (office-routing.ts): the project's office, and each fallback the README names. */
import { describe, expect, it } from 'vitest';
import type { ExportDocument, StoredRecord } from '../../practice/store.js';
import { officesOfDocument } from './office-routing.js';

const project = (key: string, officeCode: string | null) => ({ key, record: { number: key, officeCode } }) as unknown as StoredRecord<'project'>;
const projects = new Map([project('P1', 'SYD'), project('P2', 'MEL'), project('P0', null)].map((p) => [p.key, p]));
const doc = (d: Partial<ExportDocument>) => ({ stored: { key: 'X' }, lines: [], allocations: [], ...d }) as unknown as ExportDocument;
const invoice = (projectNumber: string | null) => ({ record: { projectNumber } }) as unknown as StoredRecord<'invoice'>;

describe('officesOfDocument', () => {
  it("an invoice takes its project's office; none when its project has none or it names none", () => {
    expect(officesOfDocument({ kind: 'invoice', doc: doc({ project: projects.get('P1')! }) }, projects)).toEqual(['SYD']);
    expect(officesOfDocument({ kind: 'invoice', doc: doc({ project: projects.get('P0')! }) }, projects)).toEqual([null]);
    expect(officesOfDocument({ kind: 'invoice', doc: doc({}) }, projects)).toEqual([null]);
  });

  it("a credit note without a project takes its invoice's project's office", () => {
    expect(officesOfDocument({ kind: 'credit-note', doc: doc({ invoice: invoice('P2') }) }, projects)).toEqual(['MEL']);
  });

  it('a bill takes the offices of the projects its lines name, each once', () => {
    const lines = [{ project: projects.get('P1')! }, {}, { project: projects.get('P1')! }, { project: projects.get('P2')! }];
    expect(officesOfDocument({ kind: 'bill', doc: doc({ lines }) }, projects)).toEqual(['SYD', 'MEL']);
    expect(officesOfDocument({ kind: 'bill', doc: doc({ lines: [{}] }) }, projects)).toEqual([null]);
  });

  it('a payment takes the offices of the invoices it pays', () => {
    const allocations = [{ invoice: invoice('P2') }, { invoice: invoice('P2') }];
    expect(officesOfDocument({ kind: 'payment', doc: doc({ allocations }) }, projects)).toEqual(['MEL']);
    expect(officesOfDocument({ kind: 'payment', doc: doc({ allocations: [...allocations, {}] }) }, projects)).toEqual(['MEL', null]);
  });

  it("a staff expense without a project takes its staff member's office", () => {
    const staff = { record: { officeCode: 'MEL' } } as unknown as StoredRecord<'staff'>;
    expect(officesOfDocument({ kind: 'staff-expense', doc: doc({ staff }) }, projects)).toEqual(['MEL']);
    expect(officesOfDocument({ kind: 'staff-expense', doc: doc({ staff, project: projects.get('P1')! }) }, projects)).toEqual(['SYD']);
  });
});
