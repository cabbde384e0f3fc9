/**
 * Integrity on the way in: the schema of each record, then what needs other records — references
 * exist (in the store or in the same input), totals add up, allocations fit the payment, due dates
 * follow dates. Collects every problem up to MAX_ISSUES, so an import can report them at once; past
 * that it stops (a file of a million broken records would otherwise keep a million issues, and the
 * answer listing them could not even be built), and says how many more it found or left unchecked.
 */
import type { z } from 'zod';
import { kindInfo, kinds, type Kind, type RecordOf } from './kinds.js';
import { issue, reasonCodes, say, type PracticeIssue } from './reasons.js';
import type { Bill, Contact, CreditNote, Invoice, Payment, Project, StaffExpense, TaxCode } from './schemas.js';
import { noPause, type Pause } from './time-slice.js';

/** What reference checks need to know about records that exist (stored, or earlier in the input). */
export class ReferenceIndex {
  private readonly byKind = new Map<Kind, Map<string, unknown>>();

  set(kind: Kind, key: string, content: unknown): void {
    let m = this.byKind.get(kind);
    if (!m) this.byKind.set(kind, (m = new Map()));
    m.set(key, content);
  }
  has(kind: Kind, key: string): boolean {
    return this.byKind.get(kind)?.has(key) ?? false;
  }
  get<K extends Kind>(kind: K, key: string): Partial<RecordOf[K]> | undefined {
    return this.byKind.get(kind)?.get(key) as Partial<RecordOf[K]> | undefined;
  }
}

export interface InputRecord {
  kind: Kind;
  value: unknown;
  /** Where it came from, for the report: `invoices[3]`, `invoices.csv row 7`. */
  at?: string;
  /** Set by a reader that already checked `value` against its kind's schema (it passed): not checked twice. */
  schemaOk?: true;
}

/** The most problems an import collects and answers; past it, it stops checking (see the head of this file). */
export const MAX_ISSUES = 1000;

export interface ValidRecord<K extends Kind = Kind> {
  kind: K;
  key: string;
  record: RecordOf[K];
}

/** `['lines', 2, 'taxCode']` → `lines[2].taxCode`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function rawKey(kind: Kind, value: unknown, fallback: string): string {
  const k = value && typeof value === 'object' ? (value as Record<string, unknown>)[kindInfo[kind].keyField] : undefined;
  return typeof k === 'string' && k.length > 0 && k.length <= 50 ? k : fallback;
}

/** The value at a path, or undefined (zod 4 issues do not carry the input unless asked to). */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const p of path) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function zodIssues(kind: Kind, key: string, value: unknown, error: z.ZodError, at: string | undefined): PracticeIssue[] {
  return error.issues.map((i) => {
    let text = i.message;
    if (i.code === 'unrecognized_keys')
      text = `${i.keys.length === 1 ? 'is an unknown field' : 'are unknown fields'}: remove ${i.keys.length === 1 ? 'it' : 'them'} (see docs/practice-import.schema.json)`;
    else if (i.code === 'invalid_type' && i.path.length > 0 && valueAt(value, i.path) === undefined) text = 'is required';
    else if (i.code === 'invalid_type' && i.path.length === 0) text = 'must be a JSON object';
    else if (i.code === 'invalid_type' && text.startsWith('Invalid input'))
      text = i.expected === 'object' ? 'must be a JSON object' : i.expected === 'array' ? 'must be a list' : `must be of type ${i.expected}`;
    // An unknown field is named by its own path, so API clients see which one (not the record's root).
    const field = i.code === 'unrecognized_keys' ? i.keys.map((k) => fieldPath([...i.path, k])).join(', ') : fieldPath(i.path);
    return issue(reasonCodes.invalid, kind, key, field, text, at);
  });
}

/** The record with `state` defaulted, so equal content always hashes equal. */
function normalise<K extends Kind>(record: RecordOf[K]): RecordOf[K] {
  return { ...record, state: record.state ?? 'active' };
}

/** The schema pass over an input: records that passed, records refused (with the fields at fault), every issue. */
export interface SchemaChecked {
  parsed: Array<ValidRecord & { at?: string }>;
  refused: Array<{ input: InputRecord; key: string; fields: Set<string> }>;
  issues: PracticeIssue[];
  /** Records not schema-checked because MAX_ISSUES problems were found first. */
  unchecked: number;
}

/**
 * Each record against its kind's schema, and keys unique within the input. Needs nothing stored, so
 * an import runs it before opening its transaction. `pause` is awaited after each record.
 */
export async function checkSchemas(inputs: InputRecord[], pause: Pause = noPause): Promise<SchemaChecked> {
  const issues: PracticeIssue[] = [];
  const parsed: SchemaChecked['parsed'] = [];
  const refused: SchemaChecked['refused'] = [];
  const seen = new Map<Kind, Set<string>>();
  const counters = new Map<Kind, number>();
  let done = 0;
  for (const input of inputs) {
    if (issues.length >= MAX_ISSUES) break;
    done++;
    await pause();
    const n = (counters.get(input.kind) ?? 0) + 1;
    counters.set(input.kind, n);
    const info = kindInfo[input.kind];
    const key = rawKey(input.kind, input.value, `#${n}`);
    const r = input.schemaOk ? undefined : info.schema.safeParse(input.value);
    if (r && !r.success) {
      const found = zodIssues(input.kind, key, input.value, r.error, input.at);
      issues.push(...found);
      if (input.value && typeof input.value === 'object' && !Array.isArray(input.value)) refused.push({ input, key, fields: new Set(found.map((i) => i.field)) });
      continue;
    }
    let keys = seen.get(input.kind);
    if (!keys) seen.set(input.kind, (keys = new Set()));
    if (keys.has(key)) {
      issues.push(issue(reasonCodes.duplicateKey, input.kind, key, info.keyField, say.duplicateInFile(key), input.at));
      continue;
    }
    keys.add(key);
    // The input itself, not zod's copy of it: the schemas do not transform (schemas.ts), so the two are
    // equal, and a large import then holds its records once rather than twice.
    parsed.push({ kind: input.kind, key, record: normalise(input.value as RecordOf[Kind]), ...(input.at ? { at: input.at } : {}) });
  }
  return { parsed, refused, issues: issues.slice(0, MAX_ISSUES), unchecked: inputs.length - done };
}

/**
 * What needs other records: references exist (in `index`, what is stored, or in the same input),
 * totals add up, allocations fit. Valid records of the input are added to `index` first, so a file
 * may hold a contact and its invoices in any order. Answers the valid records and the new issues.
 */
export async function checkReferencesOf(
  checked: SchemaChecked,
  index: ReferenceIndex,
  pause: Pause = noPause,
): Promise<{ valid: ValidRecord[]; issues: PracticeIssue[]; more: number }> {
  // Records left unchecked are not in the index either: every reference to them would be a false alarm.
  if (checked.unchecked > 0) return { valid: [], issues: [], more: 0 };
  // Past the cap, problems are counted, not kept.
  const room = Math.max(0, MAX_ISSUES - checked.issues.length);
  let more = 0;
  const issues = {
    length: 0,
    list: [] as PracticeIssue[],
    push(...found: PracticeIssue[]) {
      for (const i of found) {
        if (this.list.length < room) this.list.push(i);
        else more++;
      }
      this.length = this.list.length + more;
    },
  };
  // A record with a readable key still "exists" for references, so one bad contact does not also
  // fail every invoice that names it.
  for (const r of checked.refused) if (!r.key.startsWith('#')) index.set(r.input.kind, r.key, r.input.value);
  // Index the input's own records first, so references within the input resolve in any order; and
  // check them in kind order (a kind only refers to kinds before it), keeping the input's order within a kind.
  const byKind = new Map<Kind, SchemaChecked['parsed']>(kinds.map((k) => [k, []]));
  for (const p of checked.parsed) {
    await pause();
    index.set(p.kind, p.key, p.record);
    byKind.get(p.kind)!.push(p);
  }
  const valid: ValidRecord[] = [];
  for (const p of kinds.flatMap((k) => byKind.get(k)!)) {
    await pause();
    const found = checkReferences(p, index, p.at);
    if (found.length) issues.push(...found);
    else valid.push({ kind: p.kind, key: p.key, record: p.record });
  }
  // Records that failed their schema are refused already; their references are still checked, best
  // effort, so one report names every bad field. Only reference problems count here: sums over
  // malformed numbers would only repeat the schema's complaint.
  for (const r of checked.refused) {
    await pause();
    try {
      const found = checkReferences({ kind: r.input.kind, key: r.key, record: r.input.value as RecordOf[Kind] }, index, r.input.at);
      issues.push(...found.filter((i) => (i.code === reasonCodes.unknownReference || i.code === reasonCodes.wrongReference) && !r.fields.has(i.field)));
    } catch {
      // A shape the checks cannot walk (e.g. lines that are not a list): its schema issues say it all.
    }
  }
  return { valid, issues: issues.list, more };
}

/**
 * Validates records against their schema and against `index` (what exists already): every problem,
 * schema problems first. Valid records of the input are added to the index.
 */
export async function validateRecords(
  inputs: InputRecord[],
  index: ReferenceIndex,
  pause: Pause = noPause,
): Promise<{ valid: ValidRecord[]; issues: PracticeIssue[]; omitted: Omitted }> {
  const checked = await checkSchemas(inputs, pause);
  const { valid, issues, more } = await checkReferencesOf(checked, index, pause);
  return { valid, issues: [...checked.issues, ...issues], omitted: { issues: more, records: checked.unchecked } };
}

/** What a capped report leaves out: problems found but not listed, and records not checked at all. */
export interface Omitted {
  issues: number;
  records: number;
}

function checkReferences(v: ValidRecord, index: ReferenceIndex, at: string | undefined): PracticeIssue[] {
  const out: PracticeIssue[] = [];
  const bad = (code: (typeof reasonCodes)[keyof typeof reasonCodes], field: string, text: string) => out.push(issue(code, v.kind, v.key, field, text, at));
  const ref = (kind: Kind, value: string | null | undefined, field: string): boolean => {
    if (typeof value !== 'string') return false;
    if (index.has(kind, value)) return true;
    bad(reasonCodes.unknownReference, field, say.unknown(value, kindInfo[kind].label));
    return false;
  };
  const client = (value: string, field: string) => {
    if (ref('contact', value, field) && (index.get('contact', value) as Partial<Contact>).isClient === false) bad(reasonCodes.wrongReference, field, say.notClient(value));
  };
  const supplier = (value: string, field: string) => {
    if (ref('contact', value, field) && (index.get('contact', value) as Partial<Contact>).isSupplier === false) bad(reasonCodes.wrongReference, field, say.notSupplier(value));
  };
  const tax = (value: string, field: string, use: 'sales' | 'purchases') => {
    if (!ref('tax-code', value, field)) return;
    const t = index.get('tax-code', value) as Partial<TaxCode>;
    if ((use === 'sales' ? t.forSales : t.forPurchases) === false) bad(reasonCodes.wrongReference, field, say.taxNotFor(value, use));
  };
  const stage = (projectNumber: string | null | undefined, stageCode: string | null | undefined, field: string) => {
    if (stageCode === undefined || stageCode === null) return;
    if (projectNumber === undefined || projectNumber === null) return bad(reasonCodes.unknownReference, field, say.stageNeedsProject(stageCode));
    const p = index.get('project', projectNumber) as Partial<Project> | undefined;
    if (!p) return; // the project itself is reported
    if (!Array.isArray(p.stages) || !p.stages.some((s) => s && s.code === stageCode)) bad(reasonCodes.unknownReference, field, say.unknownStage(stageCode, projectNumber));
  };
  const dueAfter = (date: string, dueDate: string) => {
    if (dueDate < date) bad(reasonCodes.dateOrder, 'dueDate', say.dueBeforeDate());
  };
  const totals = (lines: Array<{ amountCents: number; taxCents: number }>, taxCents: number, totalCents: number) => {
    const tax = lines.reduce((s, l) => s + l.taxCents, 0);
    const amount = lines.reduce((s, l) => s + l.amountCents, 0);
    if (tax !== taxCents) bad(reasonCodes.totalMismatch, 'taxCents', say.sumMismatch(tax, taxCents, 'the sum of lines[].taxCents'));
    if (amount + tax !== totalCents)
      bad(reasonCodes.totalMismatch, 'totalCents', say.sumMismatch(amount + tax, totalCents, 'the sum of lines[].amountCents plus lines[].taxCents'));
  };

  switch (v.kind) {
    case 'staff': {
      const r = v.record as RecordOf['staff'];
      ref('office', r.officeCode, 'officeCode');
      break;
    }
    case 'project': {
      const r = v.record as Project;
      client(r.clientCode, 'clientCode');
      ref('office', r.officeCode, 'officeCode');
      ref('staff', r.managerUniqueId, 'managerUniqueId');
      const codes = new Set<string>();
      r.stages.forEach((s, i) => {
        if (codes.has(s.code)) bad(reasonCodes.duplicateKey, `stages[${i}].code`, say.duplicateStage(s.code));
        codes.add(s.code);
        ref('cost-centre', s.costCentreCode, `stages[${i}].costCentreCode`);
        ref('discipline', s.disciplineCode, `stages[${i}].disciplineCode`);
      });
      break;
    }
    case 'invoice':
    case 'credit-note': {
      const r = v.record as Invoice | CreditNote;
      if ('dueDate' in r) dueAfter(r.date, r.dueDate);
      client(r.contactCode, 'contactCode');
      ref('project', r.projectNumber, 'projectNumber');
      if ('invoiceNumber' in r && r.invoiceNumber && ref('invoice', r.invoiceNumber, 'invoiceNumber')) {
        const inv = index.get('invoice', r.invoiceNumber) as Partial<Invoice>;
        if (inv.contactCode !== undefined && inv.contactCode !== r.contactCode)
          bad(reasonCodes.wrongReference, 'invoiceNumber', say.creditOtherContact(r.invoiceNumber, String(inv.contactCode)));
        if (typeof inv.totalCents === 'number' && r.totalCents > inv.totalCents)
          bad(reasonCodes.overAllocated, 'totalCents', say.creditOverInvoice(r.totalCents, r.invoiceNumber, inv.totalCents));
      }
      r.lines.forEach((l, i) => {
        stage(r.projectNumber, l.stageCode, `lines[${i}].stageCode`);
        tax(l.taxCode, `lines[${i}].taxCode`, 'sales');
      });
      totals(r.lines, r.taxCents, r.totalCents);
      break;
    }
    case 'payment': {
      const r = v.record as Payment;
      client(r.contactCode, 'contactCode');
      ref('payment-type', r.paymentTypeCode, 'paymentTypeCode');
      const invoices = new Set<string>();
      r.allocations.forEach((a, i) => {
        const field = `allocations[${i}].invoiceNumber`;
        if (invoices.has(a.invoiceNumber)) bad(reasonCodes.duplicateKey, field, say.duplicateInFile(a.invoiceNumber));
        invoices.add(a.invoiceNumber);
        if (!ref('invoice', a.invoiceNumber, field)) return;
        const inv = index.get('invoice', a.invoiceNumber) as Partial<Invoice>;
        if (inv.contactCode !== undefined && inv.contactCode !== r.contactCode) bad(reasonCodes.wrongReference, field, say.otherContact(a.invoiceNumber, String(inv.contactCode)));
        if (typeof inv.totalCents === 'number' && a.amountCents > inv.totalCents)
          bad(reasonCodes.overAllocated, `allocations[${i}].amountCents`, say.allocationOverInvoice(a.amountCents, a.invoiceNumber, inv.totalCents));
      });
      const allocated = r.allocations.reduce((s, a) => s + a.amountCents, 0);
      if (allocated > r.amountCents) bad(reasonCodes.overAllocated, 'allocations', say.overAllocated(allocated, r.amountCents));
      break;
    }
    case 'bill': {
      const r = v.record as Bill;
      dueAfter(r.date, r.dueDate);
      supplier(r.supplierCode, 'supplierCode');
      r.lines.forEach((l, i) => {
        ref('project', l.projectNumber, `lines[${i}].projectNumber`);
        stage(l.projectNumber, l.stageCode, `lines[${i}].stageCode`);
        ref('expense-type', l.expenseTypeCode, `lines[${i}].expenseTypeCode`);
        tax(l.taxCode, `lines[${i}].taxCode`, 'purchases');
      });
      totals(r.lines, r.taxCents, r.totalCents);
      break;
    }
    case 'staff-expense': {
      const r = v.record as StaffExpense;
      ref('staff', r.staffUniqueId, 'staffUniqueId');
      ref('expense-type', r.expenseTypeCode, 'expenseTypeCode');
      ref('project', r.projectNumber, 'projectNumber');
      stage(r.projectNumber, r.stageCode, 'stageCode');
      tax(r.taxCode, 'taxCode', 'purchases');
      if (r.amountCents + r.taxCents !== r.totalCents)
        bad(reasonCodes.totalMismatch, 'totalCents', say.sumMismatch(r.amountCents + r.taxCents, r.totalCents, 'amountCents plus taxCents'));
      break;
    }
    default:
      break;
  }
  return out;
}
