/**
 * The demo practice: a realistic Australian architecture practice (GST 10 %) with a year of
 * documents, dated relative to an injected clock so the current month always has documents.
 * Deterministic for a seed (the record content; internal ids are random). Besides clean examples it
 * carries the problems a preview must catch, listed in `plantedProblems` with their records.
 */
import type { Clock } from '../context.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { getMeta, setMeta } from '../store/meta.js';
import { importDocument, type ImportReport } from './import.js';
import { DEFAULT_PRACTICE_ID } from './practices.js';
import { countRecords } from './store.js';
import type {
  Bill,
  Contact,
  CostCentre,
  CreditNote,
  Discipline,
  ExpenseType,
  Invoice,
  InvoiceLine,
  Office,
  Payment,
  PaymentType,
  Project,
  Staff,
  StaffExpense,
  TaxCode,
} from './schemas.js';

export const demoSizes = ['small', 'medium', 'large'] as const;
export type DemoSize = (typeof demoSizes)[number];

/**
 * The name of a demo CLIENT that a QBO company already uses for a supplier (vendor). QBO display
 * names are unique across customers, vendors and employees, so exporting this client must be caught.
 * Preview tests create a vendor with this name in the emulator.
 */
export const clashingSupplierName = 'Meridian Surveying Pty Ltd';

export interface PlantedProblem {
  /** The reason code the preview should raise. */
  code: string;
  /** The practice record at fault. */
  kind: string;
  key: string;
  field: string;
  /** The document that brings the record into the export window, when the record is not a document. */
  via?: { kind: string; key: string };
  what: string;
}

/**
 * In every size, dated in the current month (inside the default export window, from the 1st of the
 * current month). The codes are the names the preview is expected to use.
 */
export const plantedProblems: readonly PlantedProblem[] = [
  { code: 'contact.missing-unique-id', kind: 'contact', key: 'C9001', field: 'uniqueId', via: { kind: 'invoice', key: 'INV-90001' }, what: 'a client with no unique ID' },
  { code: 'contact.name-has-colon', kind: 'contact', key: 'C9002', field: 'name', via: { kind: 'invoice', key: 'INV-90002' }, what: 'a client name with a colon' },
  {
    code: 'contact.name-used-by-supplier',
    kind: 'contact',
    key: 'C9003',
    field: 'name',
    via: { kind: 'invoice', key: 'INV-90003' },
    what: `a client named "${clashingSupplierName}", a name the QBO company uses for a supplier`,
  },
  { code: 'invoice.number-too-long', kind: 'invoice', key: 'INV-2026-HARBOURVIEW-000077', field: 'number', what: 'an invoice number longer than 21 characters' },
  {
    code: 'tax.unmapped',
    kind: 'bill',
    key: 'B-90005',
    field: 'lines[0].taxCode',
    what: 'a bill using tax code GST-CAP (GST on capital purchases), which has no default QBO mapping',
  },
  { code: 'invoice.zero-value', kind: 'invoice', key: 'INV-90006', field: 'totalCents', what: 'a zero-value invoice' },
  {
    code: 'payment.invoice-before-export-from',
    kind: 'payment',
    key: 'RCT-90007',
    field: 'allocations[0].invoiceNumber',
    via: { kind: 'invoice', key: 'INV-90070' },
    what: 'a payment for an invoice dated in the previous month',
  },
];

export interface DemoDocument {
  offices: Office[];
  staff: Staff[];
  contacts: Contact[];
  costCentres: CostCentre[];
  disciplines: Discipline[];
  expenseTypes: ExpenseType[];
  taxCodes: TaxCode[];
  paymentTypes: PaymentType[];
  projects: Project[];
  invoices: Invoice[];
  creditNotes: CreditNote[];
  payments: Payment[];
  bills: Bill[];
  staffExpenses: StaffExpense[];
}

const sizing: Record<DemoSize, { documents: number; offices: number; staff: number; clients: number; suppliers: number; projects: number }> = {
  small: { documents: 60, offices: 2, staff: 8, clients: 10, suppliers: 6, projects: 8 },
  medium: { documents: 2_000, offices: 3, staff: 40, clients: 150, suppliers: 60, projects: 200 },
  large: { documents: 50_000, offices: 5, staff: 300, clients: 3_000, suppliers: 600, projects: 4_000 },
};

/** mulberry32: small, fast, good enough for demo data, and the same everywhere for a seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof prng>;

// ---- dates (UTC calendar arithmetic on YYYY-MM-DD) ---------------------------------------------------

const dayMs = 86_400_000;
const iso = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (date: string, n: number) => iso(new Date(Date.parse(`${date}T00:00:00Z`) + n * dayMs));
const minDate = (a: string, b: string) => (a < b ? a : b);

// ---- names ------------------------------------------------------------------------------------------

const officeNames = [
  ['SYD', 'Sydney'],
  ['MEL', 'Melbourne'],
  ['BNE', 'Brisbane'],
  ['PER', 'Perth'],
  ['ADL', 'Adelaide'],
] as const;
const firstNames = [
  'Olivia',
  'Jack',
  'Charlotte',
  'William',
  'Amelia',
  'Noah',
  'Isla',
  'Thomas',
  'Mia',
  'James',
  'Grace',
  'Lucas',
  'Chloe',
  'Henry',
  'Zoe',
  'Oliver',
  'Ruby',
  'Ethan',
  'Sophie',
  'Liam',
  'Harper',
  'Leo',
  'Ava',
  'Max',
  'Ella',
  'Archie',
  'Matilda',
  'Hugo',
  'Evie',
  'Samuel',
  'Ivy',
  'Finn',
  'Lily',
  'Oscar',
  'Willow',
  'Harrison',
  'Sienna',
  'Riley',
  'Poppy',
  'Xavier',
];
const lastNames = [
  'Nguyen',
  'Smith',
  'Chen',
  'Williams',
  'Brown',
  'Patel',
  'Jones',
  'Wilson',
  'Taylor',
  'Kelly',
  'Murphy',
  'Martin',
  'Anderson',
  'Walker',
  "O'Brien",
  'Ryan',
  'Lee',
  'Harris',
  'Clarke',
  'Thompson',
  'White',
  'Wright',
  'Green',
  'Hall',
  'Wood',
  'King',
  'Singh',
  'Campbell',
  'Mitchell',
  'Edwards',
  'Robinson',
  'Young',
  'Scott',
  'Evans',
  'Hill',
  'Baker',
  'Cooper',
  'Ward',
  'Morris',
  'Turner',
];
const placeWords = [
  'Harbour',
  'Coastal',
  'Southern',
  'Northside',
  'Parkview',
  'Riverbend',
  'Bayside',
  'Eastern',
  'Highland',
  'Westgate',
  'Ridgeline',
  'Lakeside',
  'Greenfield',
  'Ironbark',
  'Wattle',
  'Banksia',
  'Jacaranda',
  'Kookaburra',
  'Sandstone',
  'Bluestone',
  'Seaview',
  'Hillcrest',
  'Redgum',
  'Silverwater',
  'Gumtree',
  'Coral',
  'Saltbush',
  'Waratah',
  'Yarra',
  'Derwent',
];
const clientKinds = ['Developments Pty Ltd', 'Property Group', 'Homes Pty Ltd', 'Holdings', 'Investments Pty Ltd', 'Grammar School', 'Health Trust', 'Apartments Pty Ltd'];
const supplierTrades = [
  ['Structural Engineers', 'CONS'],
  ['Surveying', 'CONS'],
  ['Quantity Surveyors', 'CONS'],
  ['Landscape Architects', 'CONS'],
  ['Printing & Plotting', 'PRINT'],
  ['Software Pty Ltd', 'SOFT'],
  ['Couriers', 'COUR'],
  ['Hydraulic Consultants', 'CONS'],
  ['Model Makers', 'MODEL'],
  ['Town Planning', 'CONS'],
] as const;
const projectTypes = [
  'Residence',
  'Apartments',
  'School Library',
  'Community Centre',
  'Medical Centre',
  'Office Fitout',
  'Townhouses',
  'Boathouse',
  'Aquatic Centre',
  'Warehouse Conversion',
  'Pavilion',
  'Childcare Centre',
];
const stages = [
  ['CD', 'Concept design', 0.15],
  ['DD', 'Design development', 0.2],
  ['DOC', 'Documentation', 0.4],
  ['CA', 'Contract administration', 0.25],
] as const;

/** Unique combinations, drawn without replacement in a seeded order. */
function uniqueNames(rng: Rng, n: number, make: (i: number) => string, space: number): string[] {
  const out: string[] = [];
  const used = new Set<string>([clashingSupplierName]);
  for (let tries = 0; out.length < n && tries < n * 50; tries++) {
    const name = make(rng.int(0, space - 1));
    if (!used.has(name)) {
      used.add(name);
      out.push(name);
    }
  }
  // Beyond the combinations: a number makes names unique (only the large demo gets here).
  for (let i = 2; out.length < n; i++) out.push(`${make(out.length % space)} ${i}`);
  return out;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** GST at 10 % on an amount in cents, rounded half up, in integers only. */
const gst = (cents: number) => Math.floor((cents + 5) / 10);

// ---- the generator --------------------------------------------------------------------------------------

export interface DemoOptions {
  size: DemoSize;
  seed?: number;
  /** Today, from the injected clock. */
  today: Date;
}

export function generateDemoPractice(opts: DemoOptions): DemoDocument {
  const rng = prng(opts.seed ?? 1);
  const size = sizing[opts.size];
  const today = iso(opts.today);
  const monthStart = `${today.slice(0, 8)}01`;
  const lastMonthEnd = addDays(monthStart, -1);
  const yearAgo = addDays(today, -365);
  const daysInYear = Math.round((Date.parse(today) - Date.parse(yearAgo)) / dayMs);
  const currentDay = () => addDays(monthStart, rng.int(0, Math.round((Date.parse(today) - Date.parse(monthStart)) / dayMs)));

  const doc: DemoDocument = {
    offices: [],
    staff: [],
    contacts: [],
    costCentres: [],
    disciplines: [],
    expenseTypes: [],
    taxCodes: [],
    paymentTypes: [],
    projects: [],
    invoices: [],
    creditNotes: [],
    payments: [],
    bills: [],
    staffExpenses: [],
  };

  // Lists: what an Australian practice sets up once.
  doc.taxCodes.push(
    { code: 'GST', name: 'GST 10%', rateBasisPoints: 1000, forSales: true, forPurchases: true },
    { code: 'FRE', name: 'GST free', rateBasisPoints: 0, forSales: true, forPurchases: true },
    { code: 'N-T', name: 'Not reportable', rateBasisPoints: 0, forSales: true, forPurchases: true },
    { code: 'GST-CAP', name: 'GST on capital purchases', rateBasisPoints: 1000, forSales: false, forPurchases: true },
  );
  doc.paymentTypes.push({ code: 'EFT', name: 'Direct deposit' }, { code: 'BPAY', name: 'BPAY' }, { code: 'CHQ', name: 'Cheque' }, { code: 'CARD', name: 'Credit card' });
  doc.costCentres.push(
    { code: 'RES', name: 'Residential', incomeAccountCode: '4100' },
    { code: 'COM', name: 'Commercial', incomeAccountCode: '4200' },
    { code: 'EDU', name: 'Education', incomeAccountCode: '4300' },
  );
  doc.disciplines.push(
    { code: 'ARCH', name: 'Architecture', incomeAccountCode: '4010' },
    { code: 'INT', name: 'Interior design', incomeAccountCode: '4020' },
    { code: 'URB', name: 'Urban design', incomeAccountCode: '4030' },
  );
  doc.expenseTypes.push(
    { code: 'CONS', name: 'Sub-consultants', expenseAccountCode: '5100' },
    { code: 'PRINT', name: 'Printing and plotting', expenseAccountCode: '6100' },
    { code: 'SOFT', name: 'Software subscriptions', expenseAccountCode: '6200' },
    { code: 'COUR', name: 'Couriers', expenseAccountCode: '6110' },
    { code: 'MODEL', name: 'Models and renders', expenseAccountCode: '5200' },
    { code: 'EQUIP', name: 'Office equipment', expenseAccountCode: '1500' },
    { code: 'TRAVEL', name: 'Travel and accommodation', expenseAccountCode: '6300' },
    { code: 'TAXI', name: 'Taxis and rideshare', expenseAccountCode: '6310' },
    { code: 'PARK', name: 'Parking and tolls', expenseAccountCode: '6320' },
    { code: 'MEALS', name: 'Client meals', expenseAccountCode: '6400' },
    { code: 'KMS', name: 'Mileage allowance', expenseAccountCode: '6330' },
  );
  for (const [code, name] of officeNames.slice(0, size.offices)) doc.offices.push({ code, name: `${name} studio` });

  const staffNames = uniqueNames(
    rng,
    size.staff,
    (i) => `${firstNames[i % firstNames.length]} ${lastNames[Math.floor(i / firstNames.length) % lastNames.length]}`,
    firstNames.length * lastNames.length,
  );
  staffNames.forEach((name, i) => {
    const [first, last] = [name.split(' ')[0]!, name.split(' ').slice(1).join(' ')];
    doc.staff.push({
      uniqueId: `EMP${pad(i + 1, 4)}`,
      name,
      email: `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '') + `@studio-demo.com.au`,
      officeCode: doc.offices[i % doc.offices.length]!.code,
    });
  });

  const clientNames = uniqueNames(
    rng,
    size.clients,
    (i) => `${placeWords[i % placeWords.length]} ${clientKinds[Math.floor(i / placeWords.length) % clientKinds.length]}`,
    placeWords.length * clientKinds.length,
  );
  clientNames.forEach((name, i) => {
    const code = `C${pad(i + 1, 4)}`;
    doc.contacts.push({
      code,
      uniqueId: `CL${pad(i + 1, 5)}`,
      name,
      legalName: name.endsWith('Pty Ltd') ? name : `${name} Pty Ltd`,
      email: `accounts@${name
        .toLowerCase()
        .replace(/[^a-z]/g, '')
        .slice(0, 20)}.com.au`,
      phone: `02 9${pad(rng.int(0, 9_999_999), 7)}`,
      postalAddress: `PO Box ${rng.int(100, 9999)}, Sydney NSW 2001`,
      streetAddress: `${rng.int(1, 400)} ${rng.pick(placeWords)} Street, Sydney NSW 2000`,
      taxNumber: `${rng.int(10, 99)} ${pad(rng.int(0, 999), 3)} ${pad(rng.int(0, 999), 3)} ${pad(rng.int(0, 999), 3)}`,
      isClient: true,
      isSupplier: false,
    });
  });
  const supplierNames = uniqueNames(
    rng,
    size.suppliers,
    (i) => `${placeWords[i % placeWords.length]} ${supplierTrades[Math.floor(i / placeWords.length) % supplierTrades.length]![0]}`,
    placeWords.length * supplierTrades.length,
  );
  const supplierType = new Map<string, string>();
  supplierNames.forEach((name, i) => {
    const code = `S${pad(i + 1, 4)}`;
    supplierType.set(code, supplierTrades.find(([t]) => name.includes(t))?.[1] ?? 'CONS');
    doc.contacts.push({
      code,
      uniqueId: `SU${pad(i + 1, 5)}`,
      name,
      email: `accounts@${name
        .toLowerCase()
        .replace(/[^a-z]/g, '')
        .slice(0, 20)}.com.au`,
      isClient: false,
      isSupplier: true,
    });
  });

  for (let i = 0; i < size.projects; i++) {
    const client = doc.contacts[i % size.clients]!;
    const fee = rng.int(40, 900) * 100_000; // $40k – $900k
    const cc = rng.pick(doc.costCentres).code;
    doc.projects.push({
      number: `P${pad(2000 + i, 5)}`,
      name: `${rng.pick(placeWords)} ${rng.pick(projectTypes)}`,
      clientCode: client.code,
      officeCode: doc.offices[i % doc.offices.length]!.code,
      managerUniqueId: doc.staff[i % doc.staff.length]!.uniqueId,
      clientReference: rng.chance(0.7) ? `PO-${rng.int(10000, 99999)}` : null,
      status: 'active',
      stages: stages.map(([code, name, share]) => ({
        code,
        name,
        costCentreCode: cc,
        disciplineCode: rng.chance(0.8) ? 'ARCH' : 'INT',
        feeCents: Math.round((fee * share) / 100) * 100,
      })),
    });
  }

  let invoiceNo = 10_001;
  let creditNo = 5_001;
  let receiptNo = 20_001;
  let billNo = 30_001;
  let claimNo = 40_001;

  const invoiceFor = (project: Project, date: string, lineCount: number, number = `INV-${pad(invoiceNo++, 5)}`): Invoice => {
    const picked = [...project.stages].sort(() => rng.next() - 0.5).slice(0, lineCount);
    const lines: InvoiceLine[] = picked.map((s) => {
      const amountCents = Math.max(100, Math.round((s.feeCents * rng.int(5, 25)) / 100 / 100) * 100);
      return { stageCode: s.code, description: `${s.name}: ${rng.int(5, 25)}% of fee`, amountCents, taxCode: 'GST', taxCents: gst(amountCents) };
    });
    const taxCents = lines.reduce((t, l) => t + l.taxCents, 0);
    return {
      number,
      date,
      dueDate: addDays(date, 30),
      contactCode: project.clientCode,
      projectNumber: project.number,
      clientReference: project.clientReference ?? null,
      text: `Professional services for ${project.name}`,
      lines,
      taxCents,
      totalCents: lines.reduce((t, l) => t + l.amountCents, 0) + taxCents,
    };
  };
  const paymentFor = (inv: Invoice, date: string, amountCents = inv.totalCents, number = `RCT-${pad(receiptNo++, 5)}`): Payment => ({
    number,
    date,
    contactCode: inv.contactCode,
    paymentTypeCode: rng.pick(doc.paymentTypes).code,
    reference: `Remittance ${inv.number}`,
    amountCents,
    allocations: [{ invoiceNumber: inv.number, amountCents }],
  });
  const creditFor = (inv: Invoice, date: string, kind: CreditNote['kind']): CreditNote => {
    const line = inv.lines[0]!;
    const amountCents = kind === 'cancellation' ? line.amountCents : kind === 'discount' ? Math.max(100, Math.round(line.amountCents / 1000) * 100) : rng.int(1, 50) * 100;
    const taxCents = gst(amountCents);
    return {
      number: `CN-${pad(creditNo++, 5)}`,
      date,
      contactCode: inv.contactCode,
      projectNumber: inv.projectNumber ?? null,
      invoiceNumber: inv.number,
      kind,
      text: kind === 'write-off' ? `Write-off of underpayment on ${inv.number}` : `${kind === 'discount' ? 'Discount' : 'Cancellation'} on ${inv.number}`,
      lines: [{ stageCode: line.stageCode ?? null, description: `${line.description} (${kind})`, amountCents, taxCode: 'GST', taxCents }],
      taxCents,
      totalCents: amountCents + taxCents,
    };
  };
  const billFrom = (supplierCode: string, date: string, project: Project | undefined, taxCode = 'GST', number = `B-${pad(billNo++, 5)}`): Bill => {
    const type = supplierType.get(supplierCode) ?? 'CONS';
    const amountCents = rng.int(type === 'CONS' ? 1_000 : 50, type === 'CONS' ? 25_000 : 2_000) * 100;
    const stage = project && type === 'CONS' ? rng.pick(project.stages) : undefined;
    const taxCents = taxCode === 'FRE' || taxCode === 'N-T' ? 0 : gst(amountCents);
    return {
      number,
      supplierCode,
      supplierReference: `${rng.int(100000, 999999)}`,
      date,
      dueDate: addDays(date, 30),
      lines: [
        {
          projectNumber: project?.number ?? null,
          stageCode: stage?.code ?? null,
          expenseTypeCode: type,
          description: `${doc.expenseTypes.find((e) => e.code === type)!.name}${project ? ` for ${project.number}` : ''}`,
          amountCents,
          taxCode,
          taxCents,
        },
      ],
      taxCents,
      totalCents: amountCents + taxCents,
    };
  };
  const claim = (staff: Staff, date: string, kind: StaffExpense['kind'], project: Project | undefined): StaffExpense => {
    const type = kind === 'travel' ? rng.pick(['TRAVEL', 'TAXI', 'PARK', 'KMS'] as const) : rng.pick(['MEALS', 'PRINT', 'COUR'] as const);
    const amountCents = rng.int(10, type === 'TRAVEL' ? 900 : 150) * 100 + rng.int(0, 99);
    const taxCode = type === 'KMS' ? 'FRE' : 'GST';
    const taxCents = taxCode === 'GST' ? gst(amountCents) : 0;
    const stage = project ? rng.pick(project.stages) : undefined;
    return {
      number: `EXP-${pad(claimNo++, 5)}`,
      staffUniqueId: staff.uniqueId,
      date,
      kind,
      expenseTypeCode: type,
      projectNumber: project?.number ?? null,
      stageCode: stage?.code ?? null,
      description: `${doc.expenseTypes.find((e) => e.code === type)!.name}${project ? ` – ${project.name}` : ''}`,
      amountCents,
      taxCode,
      taxCents,
      totalCents: amountCents + taxCents,
    };
  };
  const suppliers = doc.contacts.filter((c) => c.isSupplier);
  // Payments and credit notes of earlier months stay in those months, so the only document in the
  // export window that refers to an older one is the planted payment.
  const follow = (from: string, days: number) => {
    const d = addDays(from, days);
    return from < monthStart ? minDate(d, lastMonthEnd) : minDate(d, today);
  };

  // The current month's clean examples, in every size.
  const cm = doc.projects.slice(0, 3).map((p) => invoiceFor(p, currentDay(), 3));
  doc.invoices.push(...cm);
  doc.creditNotes.push(creditFor(cm[0]!, follow(cm[0]!.date, 0), 'discount'));
  doc.payments.push(paymentFor(cm[1]!, follow(cm[1]!.date, 0)), paymentFor(cm[2]!, follow(cm[2]!.date, 0), Math.floor(cm[2]!.totalCents / 2)));
  doc.bills.push(billFrom(suppliers[0]!.code, currentDay(), doc.projects[0]), billFrom(suppliers[1 % suppliers.length]!.code, currentDay(), undefined));
  doc.staffExpenses.push(
    claim(doc.staff[0]!, currentDay(), 'cash', doc.projects[1]),
    claim(doc.staff[1 % doc.staff.length]!, currentDay(), 'travel', doc.projects[2 % doc.projects.length]),
  );

  // A year of ordinary documents; ~45 % invoices, most of them paid, a few credited.
  const planted = 9;
  const ordinary = Math.max(0, size.documents - doc.invoices.length - doc.creditNotes.length - doc.payments.length - doc.bills.length - doc.staffExpenses.length - planted);
  let made = 0;
  while (made < ordinary) {
    const date = addDays(yearAgo, rng.int(0, daysInYear));
    const r = rng.next();
    if (r < 0.45) {
      const inv = invoiceFor(rng.pick(doc.projects), date, rng.int(1, 3));
      doc.invoices.push(inv);
      made++;
      if (made < ordinary && rng.chance(0.75)) {
        const payDate = follow(date, rng.int(7, 45));
        doc.payments.push(paymentFor(inv, payDate));
        made++;
      }
      if (made < ordinary && rng.chance(0.05)) {
        doc.creditNotes.push(creditFor(inv, follow(date, rng.int(3, 30)), rng.pick(['discount', 'cancellation', 'write-off'] as const)));
        made++;
      }
    } else if (r < 0.72) {
      doc.bills.push(billFrom(rng.pick(suppliers).code, date, rng.chance(0.7) ? rng.pick(doc.projects) : undefined, rng.chance(0.9) ? 'GST' : 'FRE'));
      made++;
    } else {
      doc.staffExpenses.push(claim(rng.pick(doc.staff), date, rng.chance(0.5) ? 'cash' : 'travel', rng.chance(0.6) ? rng.pick(doc.projects) : undefined));
      made++;
    }
  }

  // The planted problems (see plantedProblems), all in the current month.
  const project = doc.projects[0]!;
  const plantedContact = (code: string, name: string, uniqueId: string | null): Contact => ({
    code,
    uniqueId,
    name,
    email: `accounts@${code.toLowerCase()}.example.com.au`,
    isClient: true,
    isSupplier: false,
  });
  doc.contacts.push(
    plantedContact('C9001', 'Kestrel Landscapes Pty Ltd', null),
    plantedContact('C9002', 'Bayside Council: Parks & Gardens', 'CL90002'),
    plantedContact('C9003', clashingSupplierName, 'CL90003'),
  );
  for (const [i, code] of ['C9001', 'C9002', 'C9003'].entries()) {
    const p: Project = { ...project, number: `P9000${i + 1}`, name: `${['Kestrel', 'Bayside', 'Meridian'][i]} Pavilion`, clientCode: code };
    doc.projects.push(p);
    doc.invoices.push(invoiceFor(p, currentDay(), 1, `INV-9000${i + 1}`));
  }
  doc.invoices.push(invoiceFor(project, currentDay(), 2, 'INV-2026-HARBOURVIEW-000077'));
  const capital = 480_000; // an A0 plotter: a capital purchase, with its own GST code
  doc.bills.push({
    number: 'B-90005',
    supplierCode: suppliers[0]!.code,
    supplierReference: 'PL-2231',
    date: currentDay(),
    dueDate: addDays(today, 30),
    lines: [
      {
        projectNumber: null,
        stageCode: null,
        expenseTypeCode: 'EQUIP',
        description: 'A0 plotter (capital purchase)',
        amountCents: capital,
        taxCode: 'GST-CAP',
        taxCents: gst(capital),
      },
    ],
    taxCents: gst(capital),
    totalCents: capital + gst(capital),
  });
  doc.invoices.push({
    number: 'INV-90006',
    date: currentDay(),
    dueDate: addDays(today, 30),
    contactCode: project.clientCode,
    projectNumber: project.number,
    clientReference: project.clientReference ?? null,
    text: 'No charge: design review meeting',
    lines: [{ stageCode: 'CA', description: 'Design review meeting (no charge)', amountCents: 0, taxCode: 'GST', taxCents: 0 }],
    taxCents: 0,
    totalCents: 0,
  });
  const old = invoiceFor(project, addDays(monthStart, -12), 1, 'INV-90070');
  doc.invoices.push(old);
  doc.payments.push(paymentFor(old, currentDay(), old.totalCents, 'RCT-90007'));
  return doc;
}

/** Generates the demo practice and imports it into a practice's ledger (idempotent: loading it twice changes nothing). */
export async function loadDemoPractice(db: Db, practiceId: string, opts: DemoOptions & { now?: Date }): Promise<ImportReport> {
  return importDocument(db, practiceId, generateDemoPractice(opts), opts.now ?? opts.today);
}

export const demoLoadedKey = 'demo-loaded';

/** What the first start did about the demo: loaded it, or why not and how to load it (one line). */
export type FirstStartDemo = { loaded: ImportReport } | { hint: string } | undefined;

/**
 * On the first start of an installation: load the small demo once into the default practice (the one
 * an installation starts with, migration 0018), so there is something to see — only
 * with the emulator and only into an empty ledger (issue 19: it overwrote imported records, and reached
 * production and sandbox companies, some demo invoices falling inside the default export window).
 * Otherwise a one-line hint says how to load it on purpose. Undefined once it has been loaded.
 */
/** What the first-start load needs: the ledger, the date, somewhere to say what happened. */
export interface DemoStartDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
}

export async function loadDemoOnFirstStart(ctx: DemoStartDeps, opts: { qboEnv: 'emulator' | 'sandbox' | 'production' }): Promise<FirstStartDemo> {
  if (await getMeta(ctx.db, demoLoadedKey)) return undefined;
  if (opts.qboEnv !== 'emulator') {
    return {
      hint: `Demo practice not loaded: QBO_ENV=${opts.qboEnv} reaches a real QuickBooks company. To try QBO Connect on the demo, start with QBO_ENV=emulator and an empty data folder.`,
    };
  }
  const held = Object.values(await countRecords(ctx.db, DEFAULT_PRACTICE_ID)).reduce((a, b) => a + (b ?? 0), 0);
  if (held > 0) {
    return {
      hint: `Demo practice not loaded: the practice ledger already holds ${held} record${held === 1 ? '' : 's'}. To load it anyway, run \`qbo-connect practice demo\` (it writes into this ledger).`,
    };
  }
  const now = ctx.clock();
  const report = await loadDemoPractice(ctx.db, DEFAULT_PRACTICE_ID, { size: 'small', seed: 1, today: now });
  if (!report.ok) {
    ctx.logger.error({ issues: report.issues.slice(0, 5) }, 'the demo practice did not load');
    return { loaded: report };
  }
  await setMeta(ctx.db, demoLoadedKey, now.toISOString(), now);
  ctx.logger.info({ created: report.created }, 'loaded the small demo practice');
  return { loaded: report };
}
