/**
 * A small, valid practice ledger with one or more records of every kind (references all resolve),
 * and a snapshot of the practice table to prove that a refused write changed nothing.
 */
import type { Db } from '../../src/store/db.js';
import type { Kind } from '../../src/practice/kinds.js';
import type { DemoDocument } from '../../src/practice/demo.js';

export function sampleLedger(): DemoDocument {
  return {
    offices: [{ code: 'SYD', name: 'Sydney studio' }],
    staff: [{ uniqueId: 'EMP1', name: 'Ann Lee', email: 'ann@example.com', officeCode: 'SYD' }],
    contacts: [
      {
        code: 'C1',
        uniqueId: 'CL1',
        name: 'Harbour Trust',
        legalName: 'Harbour Trust Pty Ltd',
        email: 'ap@harbour.example',
        phone: '02 9000 0000',
        postalAddress: 'PO Box 1, Sydney NSW 2001',
        streetAddress: '1 Quay St, Sydney NSW 2000',
        taxNumber: '12 345 678 901',
        isClient: true,
        isSupplier: false,
      },
      { code: 'S1', uniqueId: 'SU1', name: 'Rock Engineers', isClient: false, isSupplier: true },
    ],
    costCentres: [{ code: 'RES', name: 'Residential', incomeAccountCode: '4100' }],
    disciplines: [{ code: 'ARCH', name: 'Architecture', incomeAccountCode: '4010' }],
    expenseTypes: [
      { code: 'CONS', name: 'Sub-consultants', expenseAccountCode: '5100' },
      { code: 'TAXI', name: 'Taxis', expenseAccountCode: '6310' },
    ],
    taxCodes: [
      { code: 'GST', name: 'GST 10%', rateBasisPoints: 1000, forSales: true, forPurchases: true },
      { code: 'FRE', name: 'GST free', rateBasisPoints: 0, forSales: true, forPurchases: true },
    ],
    paymentTypes: [{ code: 'EFT', name: 'Direct deposit' }],
    projects: [
      {
        number: 'P1',
        name: 'Boathouse',
        clientCode: 'C1',
        officeCode: 'SYD',
        managerUniqueId: 'EMP1',
        clientReference: 'PO-1',
        status: 'active',
        stages: [
          { code: 'CD', name: 'Concept design', costCentreCode: 'RES', disciplineCode: 'ARCH', feeCents: 1_000_000 },
          { code: 'DD', name: 'Design development', costCentreCode: 'RES', disciplineCode: 'ARCH', feeCents: 2_000_000 },
        ],
      },
    ],
    invoices: [
      {
        number: 'INV-1',
        date: '2026-11-03',
        dueDate: '2026-12-03',
        contactCode: 'C1',
        projectNumber: 'P1',
        clientReference: 'PO-1',
        text: 'Fees',
        lines: [
          { stageCode: 'CD', description: 'Concept design 50%', amountCents: 500_000, taxCode: 'GST', taxCents: 50_000 },
          { stageCode: 'DD', description: 'Design development 10%', amountCents: 200_000, taxCode: 'GST', taxCents: 20_000 },
        ],
        taxCents: 70_000,
        totalCents: 770_000,
      },
    ],
    creditNotes: [
      {
        number: 'CN-1',
        date: '2026-11-05',
        contactCode: 'C1',
        projectNumber: 'P1',
        invoiceNumber: 'INV-1',
        kind: 'discount',
        text: 'Discount',
        lines: [{ stageCode: 'CD', description: 'Discount', amountCents: 10_000, taxCode: 'GST', taxCents: 1_000 }],
        taxCents: 1_000,
        totalCents: 11_000,
      },
    ],
    payments: [
      {
        number: 'RCT-1',
        date: '2026-11-10',
        contactCode: 'C1',
        paymentTypeCode: 'EFT',
        reference: 'remit',
        amountCents: 759_000,
        allocations: [{ invoiceNumber: 'INV-1', amountCents: 759_000 }],
      },
    ],
    bills: [
      {
        number: 'B-1',
        supplierCode: 'S1',
        supplierReference: '8841',
        date: '2026-11-04',
        dueDate: '2026-12-04',
        lines: [{ projectNumber: 'P1', stageCode: 'CD', expenseTypeCode: 'CONS', description: 'Structural advice', amountCents: 120_000, taxCode: 'GST', taxCents: 12_000 }],
        taxCents: 12_000,
        totalCents: 132_000,
      },
    ],
    staffExpenses: [
      {
        number: 'EXP-1',
        staffUniqueId: 'EMP1',
        date: '2026-11-06',
        kind: 'travel',
        expenseTypeCode: 'TAXI',
        projectNumber: 'P1',
        stageCode: 'CD',
        description: 'Taxi to site',
        amountCents: 4_500,
        taxCode: 'GST',
        taxCents: 450,
        totalCents: 4_950,
      },
    ],
  };
}

/** One record of each kind from the sample, by kind. */
export function sampleOf(kind: Kind): Record<string, unknown> {
  const l = sampleLedger();
  const map: Record<Kind, unknown> = {
    office: l.offices[0],
    staff: l.staff[0],
    contact: l.contacts[0],
    'cost-centre': l.costCentres[0],
    discipline: l.disciplines[0],
    'expense-type': l.expenseTypes[0],
    'tax-code': l.taxCodes[0],
    'payment-type': l.paymentTypes[0],
    project: l.projects[0],
    invoice: l.invoices[0],
    'credit-note': l.creditNotes[0],
    payment: l.payments[0],
    bill: l.bills[0],
    'staff-expense': l.staffExpenses[0],
  };
  return structuredClone(map[kind]) as Record<string, unknown>;
}

/** A text field of each kind whose change is a content change and nothing else. */
export const editableField: Record<Kind, string> = {
  office: 'name',
  staff: 'name',
  contact: 'name',
  'cost-centre': 'name',
  discipline: 'name',
  'expense-type': 'name',
  'tax-code': 'name',
  'payment-type': 'name',
  project: 'name',
  invoice: 'text',
  'credit-note': 'text',
  payment: 'reference',
  bill: 'supplierReference',
  'staff-expense': 'description',
};

/** Every practice row, in a fixed order: equal snapshots mean nothing changed, not even versions or times. */
export async function practiceSnapshot(db: Db): Promise<string> {
  const rows = await db.selectFrom('practice_records').selectAll().orderBy('kind').orderBy('key').execute();
  return JSON.stringify(rows.map((r) => ({ ...r, version: Number(r.version), total_cents: r.total_cents === null ? null : Number(r.total_cents) })));
}
