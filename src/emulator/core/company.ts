// One emulated QBO company: rows per entity, shared Id sequences, SyncTokens and MetaData, indexes
// (DocNumber, DisplayName, Name) so lookups and IN queries skip full scans, links between payments
// and the documents they settle, the change log behind CDC, and the requestid memory.

import { ENTITIES, REF_TARGETS, entityByName, refName, type EntityName } from './entities.js';
import { QboFault, faults } from './faults.js';
import { centsToNumber, toCents, isDecimal } from './money.js';
import { localDate, pacificEnvelopeTime, pacificMetaTime } from './time.js';
import { isObj, refValue, prune, type BuildContext, type Json, type Region } from './context.js';
import { buildName } from './names.js';
import { buildTxn, type TxnState } from './txns.js';
import { astDestination, astRecords } from './ast.js';
import { createTaxService } from './taxservice.js';
import { parseQuery } from './query/parse.js';
import { runQuery, type QueryResult } from './query/evaluate.js';
import type { Literal } from './query/parse.js';
import { CDC_MAX_OBJECTS, DEFAULT_REQUESTID_RETENTION_MS, type Fidelity } from './fidelity.js';

export interface RowMeta {
  createdMs: number;
  updatedMs: number;
  lineSeq: number;
  taxOverride: boolean;
  deposited: boolean;
}

export interface ChangeEntry {
  seq: number;
  at: string;
  entity: EntityName;
  id: string;
  operation: 'Create' | 'Update' | 'Delete' | 'Void';
}

export interface WriteOptions {
  /** `include=allowduplicatedocnum`. */
  allowDuplicateDocNum?: boolean;
}

export interface CdcEntityResult {
  entity: EntityName;
  rows: Json[];
}

export interface CompanySnapshot {
  realmId: string;
  name: string;
  region: Region;
  offsetMinutes: number;
  seqs: Record<string, number>;
  docCounters: Record<string, number>;
  rows: Record<string, [string, Json, RowMeta][]>;
  tombstones: Record<string, [string, number][]>;
  changeLog: ChangeEntry[];
  changeSeq: number;
  requestIds: [string, RememberedRequest | unknown][];
}

const OFFSETS: Record<Region, number> = { US: -7 * 60, AU: 10 * 60, UK: 0, CA: -5 * 60 };
const COUNTRY: Record<Region, string> = { US: 'US', AU: 'AU', UK: 'GB', CA: 'CA' };
const PEOPLE: EntityName[] = ['Customer', 'Vendor', 'Employee'];
const DOC_UNIQUE: Partial<Record<EntityName, 'type' | 'vendor'>> = {
  Invoice: 'type',
  CreditMemo: 'type',
  SalesReceipt: 'type',
  Estimate: 'type',
  Purchase: 'type',
  BillPayment: 'type',
  Bill: 'vendor',
  VendorCredit: 'vendor',
};
const AUTO_NUMBERED = new Set<EntityName>(['Invoice', 'CreditMemo', 'SalesReceipt', 'Estimate']);
const INDEXED = ['DocNumber', 'DisplayName', 'Name'] as const;
const DAY_MS = 86_400_000;
const DELETED = ' (deleted)';
/** Index key: case-insensitive, and an inactive name's " (deleted)" suffix still reserves the name. */
const indexKey = (field: string, v: string): string => (field !== 'DocNumber' && v.endsWith(DELETED) ? v.slice(0, -DELETED.length) : v).toLowerCase();

export interface CompanyDeps {
  clock: () => Date;
  requestIdMemory: () => number;
  fidelity?: () => Fidelity;
  requestIdRetentionMs?: () => number;
}

/** What a company remembers of an answered write sent with a requestid. */
export interface RememberedRequest {
  answer: unknown;
  /** Method, path, query (without requestid) and body of the request, to tell a replay from a reuse. */
  fingerprint: string;
  /** When it was answered (emulated ms). */
  atMs: number;
}

export class Company {
  readonly realmId: string;
  readonly region: Region;
  name: string;
  offsetMinutes: number;
  private rows = new Map<EntityName, Map<string, Json>>();
  private meta = new Map<EntityName, Map<string, RowMeta>>();
  private tombstones = new Map<EntityName, Map<string, number>>();
  private index = new Map<string, Map<string, Set<string>>>(); // `${entity}.${field}` → lower value → ids
  /** target document Id → (payment Id → cents applied). Derived from payments; rebuilt on restore. */
  private applied = new Map<string, Map<string, bigint>>();
  private seqs: Record<string, number> = {};
  private docCounters: Record<string, number> = {};
  private changeLog: ChangeEntry[] = [];
  private changeSeq = 0;
  private requestIds = new Map<string, RememberedRequest>();

  constructor(
    private readonly deps: CompanyDeps,
    init: { realmId: string; name: string; region: Region; offsetMinutes?: number },
  ) {
    this.realmId = init.realmId;
    this.name = init.name;
    this.region = init.region;
    this.offsetMinutes = init.offsetMinutes ?? OFFSETS[init.region];
  }

  fidelity(): Fidelity {
    return this.deps.fidelity?.() ?? 'generous';
  }

  // ---------- time ----------
  private nowMs(): number {
    return this.deps.clock().getTime();
  }
  today(): string {
    return localDate(this.deps.clock(), this.offsetMinutes);
  }
  /** The envelope `time` value for a response produced now (US Pacific, as QBO). */
  time(): string {
    return pacificEnvelopeTime(this.deps.clock());
  }

  // ---------- setup ----------
  /** Creates CompanyInfo, Preferences and (US) the TAX/NON pseudo tax codes. */
  initialise(): void {
    const now = this.nowMs();
    const country = COUNTRY[this.region];
    const info: Json = {
      CompanyName: this.name,
      LegalName: this.name,
      // A US company has a state: Automated Sales Tax falls back to the company's address.
      CompanyAddr:
        this.region === 'US'
          ? { Id: '1', Line1: '1 Market St', City: 'San Francisco', CountrySubDivisionCode: 'CA', PostalCode: '94105', Country: country }
          : { Id: '1', Country: country },
      Country: country,
      SupportedLanguages: 'en',
      CompanyStartDate: this.today(),
      FiscalYearStartMonth: this.region === 'AU' ? 'July' : this.region === 'UK' ? 'April' : 'January',
      DefaultTimeZone: 'UTC',
      NameValue: [
        { Name: 'OfferingSku', Value: 'QuickBooks Online Plus' },
        { Name: 'SubscriptionStatus', Value: 'PAYING' },
      ],
    };
    this.put('CompanyInfo', '1', info, now, true);
    const prefs: Json = {
      AccountingInfoPrefs: { TrackDepartments: false, ClassTrackingPerTxn: false, ClassTrackingPerTxnLine: false, CustomerTerminology: 'Customers' },
      ProductAndServicesPrefs: { ForSales: true, ForPurchase: true },
      SalesFormsPrefs: { CustomTxnNumbers: false, AllowDeposit: false, AllowDiscount: true, AllowShipping: false, AutoApplyCredit: true, AutoApplyPayments: true },
      VendorAndPurchasesPrefs: { TrackingByCustomer: true, BillableExpenseTracking: true },
      TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: false },
      CurrencyPrefs: { MultiCurrencyEnabled: false, HomeCurrency: { value: this.region === 'US' ? 'USD' : this.region === 'AU' ? 'AUD' : this.region === 'UK' ? 'GBP' : 'CAD' } },
      OtherPrefs: { NameValue: [] },
    };
    this.put('Preferences', '1', prefs, now, true);
    if (this.region === 'US') {
      this.put('TaxCode', 'TAX', { Name: 'TAX', Description: 'TAX', Active: true, Taxable: true, TaxGroup: false }, now, true);
      this.put('TaxCode', 'NON', { Name: 'NON', Description: 'NON', Active: true, Taxable: false, TaxGroup: false }, now, true);
    }
  }

  private put(entity: EntityName, id: string, body: Json, now: number, fresh: boolean): Json {
    const obj: Json = { ...body, domain: 'QBO', sparse: false, Id: id, SyncToken: '0' };
    obj.MetaData = { CreateTime: pacificMetaTime(new Date(now)), LastUpdatedTime: pacificMetaTime(new Date(now)) };
    this.store(entity, id, obj, { createdMs: now, updatedMs: now, lineSeq: 0, taxOverride: false, deposited: false });
    if (fresh) this.log(entity, id, 'Create', now);
    return obj;
  }

  // ---------- storage + indexes ----------
  private table(entity: EntityName): Map<string, Json> {
    let t = this.rows.get(entity);
    if (!t) this.rows.set(entity, (t = new Map()));
    return t;
  }
  private metaTable(entity: EntityName): Map<string, RowMeta> {
    let t = this.meta.get(entity);
    if (!t) this.meta.set(entity, (t = new Map()));
    return t;
  }
  private idx(entity: EntityName, field: string): Map<string, Set<string>> {
    const k = `${entity}.${field}`;
    let m = this.index.get(k);
    if (!m) this.index.set(k, (m = new Map()));
    return m;
  }
  private unindex(entity: EntityName, id: string, obj: Json): void {
    for (const f of INDEXED) {
      const v = obj[f];
      if (typeof v !== 'string') continue;
      const key = indexKey(f, v);
      const set = this.idx(entity, f).get(key);
      set?.delete(id);
      if (set && set.size === 0) this.idx(entity, f).delete(key);
    }
  }
  private addIndex(entity: EntityName, id: string, obj: Json): void {
    for (const f of INDEXED) {
      const v = obj[f];
      if (typeof v !== 'string') continue;
      const m = this.idx(entity, f);
      const key = indexKey(f, v);
      let set = m.get(key);
      if (!set) m.set(key, (set = new Set()));
      set.add(id);
    }
  }
  private store(entity: EntityName, id: string, obj: Json, meta: RowMeta, restoring = false): void {
    const t = this.table(entity);
    const old = t.get(id);
    if (old) this.unindex(entity, id, old);
    t.set(id, obj);
    this.metaTable(entity).set(id, meta);
    this.addIndex(entity, id, obj);
    if (!restoring) this.moveOpenBalance(entity, old, obj);
  }

  /** Customer/Vendor `Balance` (and `BalanceWithJobs` up the job tree) follow their open documents:
   *  invoices and bills add their Balance, credits and unapplied payments take theirs away. QBO does
   *  not move the name's SyncToken for this, so neither does the emulator. */
  private moveOpenBalance(entity: EntityName, before: Json | undefined, after: Json | undefined): void {
    const share = (row: Json | undefined): [string | undefined, bigint] => {
      if (!row) return [undefined, 0n];
      const cents = (v: unknown) => (isDecimal(v) ? toCents(v) : 0n);
      switch (entity) {
        case 'Invoice':
          return [refValue(row.CustomerRef), cents(row.Balance)];
        case 'CreditMemo':
          return [refValue(row.CustomerRef), -cents(row.Balance)];
        case 'Payment':
          return [refValue(row.CustomerRef), -cents(row.UnappliedAmt)];
        case 'Bill':
          return [refValue(row.VendorRef), cents(row.Balance)];
        case 'VendorCredit':
          return [refValue(row.VendorRef), -cents(row.Balance)];
        default:
          return [undefined, 0n];
      }
    };
    const party: EntityName = entity === 'Bill' || entity === 'VendorCredit' ? 'Vendor' : 'Customer';
    const [oldId, oldAmt] = share(before);
    const [newId, newAmt] = share(after);
    if (oldId) this.adjustParty(party, oldId, -oldAmt, true);
    if (newId) this.adjustParty(party, newId, newAmt, true);
  }

  private adjustParty(party: EntityName, id: string, delta: bigint, own: boolean): void {
    if (delta === 0n) return;
    const row = this.get(party, id);
    if (!row) return;
    const next: Json = { ...row };
    const add = (v: unknown) => centsToNumber((isDecimal(v) ? toCents(v) : 0n) + delta);
    if (own) next.Balance = add(row.Balance);
    if (party === 'Customer') next.BalanceWithJobs = add(row.BalanceWithJobs);
    this.table(party).set(id, next);
    const parent = party === 'Customer' ? refValue(row.ParentRef) : undefined;
    if (parent) this.adjustParty(party, parent, delta, false);
  }
  private log(entity: EntityName, id: string, operation: ChangeEntry['operation'], now: number): void {
    this.changeLog.push({ seq: ++this.changeSeq, at: new Date(now).toISOString(), entity, id, operation });
  }
  private nextId(entity: EntityName): string {
    const seq = ENTITIES[entity].seq;
    // Attachable ids are 19 digits in QBO (recorded 5000000000000503624).
    if (seq === 'attachable') {
      this.seqs[seq] = (this.seqs[seq] ?? 0) + 1;
      return String(5_000_000_000_000_000_000n + BigInt(this.seqs[seq]));
    }
    const start = seq === 'people' ? 1 : seq === 'txn' ? 1 : 1;
    this.seqs[seq] = (this.seqs[seq] ?? start - 1) + 1;
    return String(this.seqs[seq]);
  }

  /** The live row (not a copy: callers inside the core must not mutate it). */
  get(entity: EntityName, id: string): Json | undefined {
    return this.rows.get(entity)?.get(id);
  }

  private ctx(): BuildContext {
    return {
      region: this.region,
      get: (e, id) => this.get(e, id),
      today: () => this.today(),
      prefs: () => this.get('Preferences', '1') ?? {},
      strict: this.fidelity() === 'strict',
      ...(this.automatedSalesTax() ? { astCode: (txn: Json) => this.astCode(txn) } : {}),
    };
  }

  /** Automated Sales Tax is on: a US company whose Preferences.TaxPrefs.PartnerTaxEnabled is true
   *  (Intuit: "To determine if the QuickBooks Online company uses automated sales tax, query the
   *  Preferences.TaxPrefs.PartnerTaxEnabled attribute"). */
  automatedSalesTax(): boolean {
    const prefs = this.get('Preferences', '1');
    return this.region === 'US' && isObj(prefs?.TaxPrefs) && prefs.TaxPrefs.PartnerTaxEnabled === true;
  }

  /** `POST /taxservice/taxcode`: a new tax code with existing or new rates (core/taxservice.ts). */
  taxService(body: unknown): Json {
    return createTaxService({ region: this.region, rows: (e) => [...this.table(e).values()], get: (e, id) => this.get(e, id), insert: (e, b) => this.insert(e, b) }, body);
  }

  /** The AST tax code for a sales document's destination state, set up (code and rate) on first use. */
  private astCode(txn: Json): string | undefined {
    const customer = refValue(txn.CustomerRef) ? this.get('Customer', refValue(txn.CustomerRef)!) : undefined;
    const state = astDestination(txn, customer, this.get('CompanyInfo', '1'));
    if (!state) return undefined;
    const { code, rate } = astRecords(state);
    for (const row of this.rows.get('TaxCode')?.values() ?? []) {
      if (row.Name === code.Name && row.TaxCodeConfigType === 'SYSTEM_GENERATED') return String(row.Id);
    }
    const rateId = String(this.insert('TaxRate', rate).Id);
    const detail = { TaxRateDetail: [{ TaxRateRef: { value: rateId, name: rate.Name }, TaxTypeApplicable: 'TaxOnAmount', TaxOrder: 0 }] };
    return String(this.insert('TaxCode', { ...code, SalesTaxRateList: detail, PurchaseTaxRateList: { TaxRateDetail: [] } }).Id);
  }

  // ---------- public read API ----------
  read(entityName: string, id: string): Json {
    const entity = this.entity(entityName);
    if (ENTITIES[entity].kind !== 'singleton' && !/^\d+$/.test(id) && !(entity === 'TaxCode' && this.get(entity, id))) {
      throw faults.invalidId(id);
    }
    const row = this.get(entity, ENTITIES[entity].kind === 'singleton' ? '1' : id);
    if (!row) throw faults.objectNotFound(entity, id);
    return structuredClone(row);
  }

  entity(name: string): EntityName {
    const e = entityByName(name);
    if (!e) throw faults.unsupportedOperation(`on resource ${name}`);
    return e;
  }

  preferences(): Json {
    return structuredClone(this.get('Preferences', '1') ?? {});
  }

  companyInfo(): Json {
    return structuredClone(this.get('CompanyInfo', '1') ?? {});
  }

  /** Sets preference fields directly (for tests and the control surface), merging one level deep. */
  /** Makes the next Id of the entity's sequence `next` (tests that rebuild a recorded company). */
  setNextId(entityName: string, next: number): void {
    const seq = ENTITIES[this.entity(entityName)].seq;
    this.seqs[seq] = next - 1;
  }

  setPreferences(patch: Json): Json {
    const out = this.update('Preferences', { ...patch, Id: '1', SyncToken: String(this.get('Preferences', '1')?.SyncToken ?? '0'), sparse: true });
    // A null clears a field: QBO omits a preference that is not set (a company with open books
    // has no AccountingInfoPrefs.BookCloseDate at all), it never answers null.
    const stored = this.table(this.entity('Preferences')).get('1') as Record<string, unknown> | undefined;
    if (!stored) return out;
    const clear = (o: Record<string, unknown>) => {
      for (const [k, v] of Object.entries(o)) {
        if (v === null) delete o[k];
        else if (v && typeof v === 'object' && !Array.isArray(v)) clear(v as Record<string, unknown>);
      }
    };
    clear(stored);
    return structuredClone(stored) as Json;
  }

  /** Every live row of an entity (copies). */
  list(entityName: string): Json[] {
    return [...this.table(this.entity(entityName)).values()].map((r) => structuredClone(r));
  }

  count(entityName: string): number {
    return this.table(this.entity(entityName)).size;
  }

  changes(sinceSeq = 0): ChangeEntry[] {
    return this.changeLog.filter((c) => c.seq > sinceSeq);
  }

  // ---------- validation helpers ----------
  private checkProps(entity: EntityName, body: Json): void {
    const def = ENTITIES[entity];
    for (const k of Object.keys(body)) {
      if (!def.props.has(k)) throw faults.unknownProperty(entity, k, [...def.props]);
    }
  }

  /** Validates and names every reference in the object (recursively, lines included). */
  private resolveRefs(entity: EntityName, node: unknown, key?: string): void {
    if (Array.isArray(node)) {
      for (const n of node) this.resolveRefs(entity, n, key);
      return;
    }
    if (!isObj(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'LinkedTxn' || k === 'AttachableRef') continue;
      const targets = k === 'ParentRef' ? [entity] : REF_TARGETS[k];
      if (targets && isObj(v)) {
        const id = refValue(v);
        if (id === undefined) {
          delete node[k];
          continue;
        }
        let found: Json | undefined;
        let foundType: EntityName | undefined;
        for (const t of targets) {
          found = this.get(t, id);
          if (found) {
            foundType = t;
            break;
          }
        }
        if (!found || !foundType) throw faults.invalidReference(k, targets[0]!, id);
        if (found.Active === false) throw faults.inactiveReference(k, foundType, id);
        const ref: Json = { value: id };
        const name = found.FullyQualifiedName ?? found.DisplayName ?? found.Name;
        const named = refName(entity, k);
        if (named && typeof name === 'string') ref.name = name;
        if (k === 'EntityRef') ref.type = foundType;
        node[k] = ref;
      } else if (isObj(v) || Array.isArray(v)) {
        this.resolveRefs(entity, v, k);
      }
    }
  }

  private checkName(entity: EntityName, id: string | undefined, obj: Json): void {
    const def = ENTITIES[entity];
    if (def.nameField === 'DisplayName') {
      // Customers among themselves are unique by FullyQualifiedName: a recorded sandbox holds the
      // top-level customer "Jack Doe" (Id 60) and the job "Doe, Jack:Jack Doe" (Id 64) together
      // (test/fixtures/qbo-recorded/all/customers.yml), so a job's leaf name may repeat another
      // customer's, and two jobs of one name under different parents differ too. Across the three
      // lists Intuit documents only "Another customer, vendor or employee is already using this
      // name" (intuit/QuickBooks-V3-PHP-SDK#241); whether a job's leaf clashes with a vendor or an
      // employee is recorded nowhere, so that stays refused (the stricter reading).
      const key = indexKey('DisplayName', String(obj.DisplayName));
      const fqn = (row: Json | undefined) => indexKey('DisplayName', String(row?.FullyQualifiedName ?? row?.DisplayName ?? ''));
      for (const e of PEOPLE) {
        for (const other of this.idx(e, 'DisplayName').get(key) ?? []) {
          if (e === entity && other === id) continue;
          if (e === 'Customer' && entity === 'Customer' && fqn(this.get(e, other)) !== fqn(obj)) continue;
          throw faults.duplicateName();
        }
      }
    } else if (def.nameField === 'Name') {
      const key = indexKey('Name', String(obj.Name));
      const parent = refValue(obj.ParentRef) ?? '';
      for (const other of this.idx(entity, 'Name').get(key) ?? []) {
        if (other === id) continue;
        const row = this.get(entity, other);
        if ((refValue(row?.ParentRef) ?? '') === parent) throw faults.duplicateName();
      }
    }
  }

  private checkDocNumber(entity: EntityName, id: string | undefined, obj: Json, opts: WriteOptions): void {
    const scope = DOC_UNIQUE[entity];
    const doc = obj.DocNumber;
    if (!scope || typeof doc !== 'string' || doc === '' || opts.allowDuplicateDocNum) return;
    for (const other of this.idx(entity, 'DocNumber').get(doc.toLowerCase()) ?? []) {
      if (other === id) continue;
      if (scope === 'vendor' && refValue(this.get(entity, other)?.VendorRef) !== refValue(obj.VendorRef)) continue;
      throw faults.duplicateDocNumber(doc, entity, other);
    }
  }

  private assignDocNumber(entity: EntityName, obj: Json, body: Json, isNew: boolean): void {
    if (!AUTO_NUMBERED.has(entity)) return;
    const prefs = this.get('Preferences', '1');
    const custom = isObj(prefs?.SalesFormsPrefs) && prefs.SalesFormsPrefs.CustomTxnNumbers === true;
    const auto = body.DocNumber === 'AUTO_GENERATE' || (isNew && body.DocNumber === undefined && !custom);
    const counter = this.docCounters[entity] ?? 1001;
    if (auto) {
      let n = counter;
      while (this.idx(entity, 'DocNumber').has(String(n))) n++;
      obj.DocNumber = String(n);
      this.docCounters[entity] = n + 1;
    } else if (typeof obj.DocNumber === 'string' && /^\d{1,15}$/.test(obj.DocNumber)) {
      // QBO continues numbering from the last number entered.
      const n = Number(obj.DocNumber);
      if (n >= counter) this.docCounters[entity] = n + 1;
    }
  }

  private checkClosedBooks(entity: EntityName, ...dates: unknown[]): void {
    if (ENTITIES[entity].kind !== 'txn') return;
    const prefs = this.get('Preferences', '1');
    const close = isObj(prefs?.AccountingInfoPrefs) ? prefs.AccountingInfoPrefs.BookCloseDate : undefined;
    if (typeof close !== 'string') return;
    for (const d of dates) if (typeof d === 'string' && d <= close) throw faults.periodClosed(d, close);
  }

  private checkWritable(entity: EntityName): void {
    if (!ENTITIES[entity].writable) throw faults.unsupportedOperation(`Create/Update on ${entity} (read-only; use taxservice)`);
  }

  // ---------- builders ----------
  private build(entity: EntityName, body: Json, state: TxnState, previous: Json | undefined): Json {
    const def = ENTITIES[entity];
    const input: Json = { ...body };
    for (const k of ['Id', 'SyncToken', 'MetaData', 'domain', 'sparse', 'status']) delete input[k];
    let obj: Json;
    if (entity === 'Attachable') obj = this.buildAttachable(input);
    else if (def.kind === 'txn') obj = buildTxn(entity, input, this.ctx(), state, previous);
    else if (def.kind === 'list') obj = buildName(entity, input, this.ctx(), previous === undefined);
    else obj = input;
    this.resolveRefs(entity, obj);
    return obj;
  }

  /** An attachment's links must name existing records (recorded attachment/error_estimate.yml). */
  private buildAttachable(input: Json): Json {
    const obj: Json = { ...input };
    if (obj.AttachableRef !== undefined) {
      if (!Array.isArray(obj.AttachableRef)) throw faults.invalidEnum('AttachableRef', 'not a list');
      obj.AttachableRef = (obj.AttachableRef as unknown[]).map((r) => {
        const ref = isObj(r) && isObj(r.EntityRef) ? r.EntityRef : undefined;
        const type = entityByName(String(ref?.type ?? ''));
        const value = String(ref?.value ?? '');
        if (!type || !this.get(type, value)) {
          throw faults.business(`The entity ${String(ref?.type ?? '')} ${value} that you are trying to link does not exist. ${String(ref?.type ?? '')} ${value}`, '');
        }
        return { EntityRef: { value, type }, IncludeOnSend: isObj(r) && r.IncludeOnSend === true };
      });
    }
    if (typeof obj.FileName !== 'string' && typeof obj.Note !== 'string') throw faults.requiredMissing('FileName or Note');
    return obj;
  }

  /** `POST /upload`: an attachment with its file (only the name, type and size are kept). */
  upload(meta: unknown, file: { name: string; type: string; size: number }): Json {
    if (!isObj(meta)) throw faults.requiredMissing('file_metadata');
    const row = this.create('Attachable', { ...meta, FileName: meta.FileName ?? file.name, ContentType: meta.ContentType ?? file.type });
    const id = String(row.Id);
    const stored: Json = {
      ...row,
      FileAccessUri: `/v3/company/${this.realmId}/download/${id}`,
      TempDownloadUri: `https://emulator.invalid/${this.realmId}/attachments/${id}/${encodeURIComponent(String(row.FileName))}`,
      Size: file.size,
    };
    const { domain, sparse, Id, SyncToken, MetaData, ...rest } = stored;
    // QBO puts the file fields first, then the usual head (recorded attachment/read_attachment.yml).
    const ordered: Json = {
      FileName: rest.FileName,
      FileAccessUri: rest.FileAccessUri,
      TempDownloadUri: rest.TempDownloadUri,
      Size: rest.Size,
      ContentType: rest.ContentType,
      domain,
      sparse,
      Id,
      SyncToken,
      MetaData,
    };
    for (const [k, v] of Object.entries(rest)) if (!(k in ordered)) ordered[k] = v;
    this.table('Attachable').set(id, ordered);
    return structuredClone(ordered);
  }

  /** Addresses get an Id (two equal addresses on one record share it) and Lat/Long, "INVALID"
   *  when not geocoded — the emulator never geocodes (recorded sandbox customers: BillAddr and
   *  ShipAddr both `"Id":"2"`, `"Lat":"INVALID","Long":"INVALID"`). */
  private addressIds(obj: Json): void {
    const seen = new Map<string, string>();
    for (const [k, v] of Object.entries(obj)) {
      if (!k.endsWith('Addr') || !isObj(v)) continue;
      const { Id: id, Lat: _lat, Long: _long, ...content } = v;
      if (Object.keys(content).length === 0) continue;
      const key = JSON.stringify(sortKeys(content));
      let addrId = typeof id === 'string' && id !== '' ? id : seen.get(key);
      if (!addrId) {
        this.seqs.addr = (this.seqs.addr ?? 0) + 1;
        addrId = String(this.seqs.addr);
      }
      seen.set(key, addrId);
      obj[k] = { Id: addrId, ...content, Lat: v.Lat ?? 'INVALID', Long: v.Long ?? 'INVALID' };
    }
  }

  /** Final shape: QBO's key order (domain/sparse/Id/SyncToken/MetaData first) and no empty fields. */
  private finish(entity: EntityName, id: string, obj: Json, syncToken: string, meta: RowMeta): Json {
    const head: Json = {
      domain: 'QBO',
      sparse: false,
      Id: id,
      SyncToken: syncToken,
      MetaData: {
        CreateTime: pacificMetaTime(new Date(meta.createdMs)),
        LastUpdatedTime: pacificMetaTime(new Date(meta.updatedMs)),
      },
    };
    const keepEmpty = new Set(['SubTotalLineDetail']);
    this.addressIds(obj);
    const rest = prune(obj, keepEmpty);
    for (const k of Object.keys(head)) delete rest[k];
    if (entity === 'Invoice' && !Array.isArray(rest.LinkedTxn)) rest.LinkedTxn = [];
    return { ...head, ...rest };
  }

  // ---------- writes ----------
  create(entityName: string, input: unknown, opts: WriteOptions = {}): Json {
    const entity = this.entity(entityName);
    if (!isObj(input)) throw faults.requiredMissing(entity);
    let body: Json = input;
    this.checkWritable(entity);
    if (ENTITIES[entity].kind === 'singleton') throw faults.unsupportedOperation(`Create on ${entity}`);
    if (entity === 'Estimate' && body.TxnStatus === undefined) body = { ...body, TxnStatus: 'Pending' };
    this.checkProps(entity, body);
    const state: TxnState = { lineSeq: 0, taxOverride: false };
    const obj = this.build(entity, body, state, undefined);
    if ((entity === 'Payment' || entity === 'SalesReceipt') && obj.DepositToAccountRef === undefined) {
      // Payments land in Undeposited Funds unless told otherwise (returned without a name).
      // Sales receipts name it (recorded update/sales_receipt.yml); payments do not.
      const undeposited = this.query("select * from Account where AccountSubType = 'UndepositedFunds'").rows?.[0];
      if (undeposited) obj.DepositToAccountRef = entity === 'SalesReceipt' ? { value: String(undeposited.Id), name: String(undeposited.Name) } : { value: String(undeposited.Id) };
    }
    this.assignDocNumber(entity, obj, body, true);
    this.checkClosedBooks(entity, obj.TxnDate);
    this.checkName(entity, undefined, obj);
    this.checkDocNumber(entity, undefined, obj, opts);
    this.prepareLinks(entity, undefined, obj);
    const now = this.nowMs();
    const id = this.nextId(entity);
    const meta: RowMeta = { createdMs: now, updatedMs: now, lineSeq: state.lineSeq, taxOverride: state.taxOverride, deposited: false };
    this.setBalance(entity, id, obj);
    this.paymentLineEx(entity, id, obj);
    const row = this.finish(entity, id, obj, '0', meta);
    this.store(entity, id, row, meta);
    this.log(entity, id, 'Create', now);
    this.applyLinks(entity, id, row, now);
    return structuredClone(this.get(entity, id)!);
  }

  /** Full update, or sparse when `body.sparse === true`. A no-op update leaves SyncToken unchanged. */
  update(entityName: string, body: unknown, opts: WriteOptions = {}): Json {
    const entity = this.entity(entityName);
    if (!isObj(body)) throw faults.requiredMissing(entity);
    this.checkWritable(entity);
    this.checkProps(entity, body);
    const def = ENTITIES[entity];
    const id = def.kind === 'singleton' ? '1' : body.Id === undefined ? undefined : String(body.Id);
    if (id === undefined) throw faults.requiredMissing('Id');
    if (body.SyncToken === undefined) throw faults.requiredMissing('SyncToken');
    const existing = this.get(entity, id);
    if (!existing) throw faults.objectNotFound(entity, id);
    if (String(body.SyncToken) !== existing.SyncToken) throw faults.stale();
    const meta = this.metaTable(entity).get(id)!;
    if (meta.deposited) throw faults.deposited();

    const sparse = body.sparse === true;
    // QBO quirk (docs/qbo-api.md §sparse-update): a sparse update that replaces lines must still carry the
    // header fields those lines hang on.
    if (sparse && body.Line !== undefined) {
      const needs: Partial<Record<EntityName, string[]>> = { Bill: ['VendorRef'], VendorCredit: ['VendorRef'], Purchase: ['PaymentType', 'AccountRef'] };
      for (const f of needs[entity] ?? []) if (body[f] === undefined) throw faults.requiredMissing(f);
    }
    let merged: Json;
    if (def.kind === 'singleton') {
      // Preferences/CompanyInfo: sub-objects merge so a patch need not repeat every preference.
      merged = { ...existing };
      for (const [k, v] of Object.entries(body)) merged[k] = isObj(v) && isObj(existing[k]) ? { ...(existing[k] as Json), ...v } : v;
    } else if (sparse) {
      merged = { ...existing, ...body };
    } else {
      merged = { ...body };
      // Full update keeps what QBO keeps: DocNumber and the links made by other documents.
      if (def.kind === 'txn' && merged.DocNumber === undefined && existing.DocNumber !== undefined) merged.DocNumber = existing.DocNumber;
    }
    // Computed fields are recomputed, never taken from the request (payments' TotalAmt is input).
    if (def.kind === 'txn') {
      const computed = entity === 'Payment' || entity === 'BillPayment' ? ['UnappliedAmt'] : ['Balance', 'RemainingCredit', 'TotalAmt'];
      for (const k of computed) delete merged[k];
    }
    // Links made by payments belong to the core, whatever the client echoes back.
    if (['Invoice', 'CreditMemo', 'Bill', 'VendorCredit'].includes(entity)) {
      if (existing.LinkedTxn !== undefined) merged.LinkedTxn = existing.LinkedTxn;
      else delete merged.LinkedTxn;
    }
    // Open balances are the core's to keep once the name exists.
    if (entity === 'Customer' || entity === 'Vendor') {
      merged.Balance = existing.Balance;
      if (entity === 'Customer') merged.BalanceWithJobs = existing.BalanceWithJobs;
    }
    const state: TxnState = { lineSeq: meta.lineSeq, taxOverride: meta.taxOverride };
    const bodyForTax: Json = sparse ? body : merged;
    const obj = def.kind === 'singleton' ? this.buildSingleton(merged) : this.buildForUpdate(entity, merged, bodyForTax, state, existing);
    if (def.nameField) markInactiveName(def.nameField, obj);
    this.assignDocNumber(entity, obj, body, false);
    this.checkClosedBooks(entity, existing.TxnDate, obj.TxnDate);
    this.checkName(entity, id, obj);
    this.checkDocNumber(entity, id, obj, opts);
    this.prepareLinks(entity, id, obj);
    this.setBalance(entity, id, obj);
    this.paymentLineEx(entity, id, obj);
    const candidate = this.finish(entity, id, obj, existing.SyncToken as string, meta);
    if (sameContent(candidate, existing)) return structuredClone(existing);
    const now = this.nowMs();
    const newMeta: RowMeta = { ...meta, updatedMs: now, lineSeq: state.lineSeq, taxOverride: state.taxOverride };
    this.unapplyLinks(entity, id, existing, now);
    const row = this.finish(entity, id, obj, String(Number(existing.SyncToken) + 1), newMeta);
    this.store(entity, id, row, newMeta);
    this.log(entity, id, 'Update', now);
    this.applyLinks(entity, id, row, now);
    return structuredClone(this.get(entity, id)!);
  }

  private buildSingleton(merged: Json): Json {
    const out: Json = { ...merged };
    for (const k of ['Id', 'SyncToken', 'MetaData', 'domain', 'sparse']) delete out[k];
    const acct = out.AccountingInfoPrefs;
    if (isObj(acct) && acct.BookCloseDate !== undefined && acct.BookCloseDate !== null && !/^\d{4}-\d{2}-\d{2}$/.test(String(acct.BookCloseDate))) {
      throw faults.invalidDate('BookCloseDate', acct.BookCloseDate);
    }
    return out;
  }

  private buildForUpdate(entity: EntityName, merged: Json, taxBody: Json, state: TxnState, existing: Json): Json {
    // TxnTaxDetail counts as an override only when this request sent it.
    const withTax: Json = { ...merged };
    if (!('TxnTaxDetail' in taxBody)) delete withTax.TxnTaxDetail;
    const obj = this.build(entity, withTax, state, existing);
    return obj;
  }

  /** Delete (transactions only): `{"domain":"QBO","status":"Deleted","Id":…}`. */
  remove(entityName: string, body: unknown): Json {
    const entity = this.entity(entityName);
    if (!isObj(body)) throw faults.requiredMissing('Id');
    if (ENTITIES[entity].kind !== 'txn' && entity !== 'Attachable') throw faults.unsupportedOperation(`Delete on ${entity} (name-list entities are deactivated, not deleted)`);
    const id = body.Id === undefined ? undefined : String(body.Id);
    if (id === undefined) throw faults.requiredMissing('Id');
    // An attachment is deleted by Id alone (recorded attachment/delete_attachment.yml).
    if (body.SyncToken === undefined && entity !== 'Attachable') throw faults.requiredMissing('SyncToken');
    const existing = this.get(entity, id);
    if (!existing) throw faults.objectNotFound(entity, id);
    if (body.SyncToken !== undefined && String(body.SyncToken) !== existing.SyncToken) throw faults.stale();
    if (this.metaTable(entity).get(id)!.deposited) throw faults.deposited();
    this.checkClosedBooks(entity, existing.TxnDate);
    const now = this.nowMs();
    this.unapplyLinks(entity, id, existing, now);
    this.detachPayments(id, now);
    this.unindex(entity, id, existing);
    this.table(entity).delete(id);
    this.moveOpenBalance(entity, existing, undefined);
    this.metaTable(entity).delete(id);
    let tomb = this.tombstones.get(entity);
    if (!tomb) this.tombstones.set(entity, (tomb = new Map()));
    tomb.set(id, now);
    this.log(entity, id, 'Delete', now);
    return { domain: 'QBO', status: 'Deleted', Id: id };
  }

  /** Void: amounts to zero, PrivateNote "Voided", SyncToken +1; links to payments are released. */
  voidTxn(entityName: string, body: unknown): Json {
    const entity = this.entity(entityName);
    if (!isObj(body)) throw faults.requiredMissing('Id');
    if (!ENTITIES[entity].voidable) throw faults.unsupportedOperation(`Void on ${entity}`);
    const id = body.Id === undefined ? undefined : String(body.Id);
    if (id === undefined) throw faults.requiredMissing('Id');
    if (body.SyncToken === undefined) throw faults.requiredMissing('SyncToken');
    const existing = this.get(entity, id);
    if (!existing) throw faults.objectNotFound(entity, id);
    if (String(body.SyncToken) !== existing.SyncToken) throw faults.stale();
    const meta = this.metaTable(entity).get(id)!;
    if (meta.deposited) throw faults.deposited();
    this.checkClosedBooks(entity, existing.TxnDate);
    const now = this.nowMs();
    this.unapplyLinks(entity, id, existing, now);
    this.detachPayments(id, now);
    const fresh = this.get(entity, id)!;
    const row: Json = structuredClone(fresh);
    row.PrivateNote = 'Voided';
    if (Array.isArray(row.Line)) row.Line = (row.Line as Json[]).map((l) => ({ ...l, Amount: 0 }));
    if (isObj(row.TxnTaxDetail)) row.TxnTaxDetail = { ...row.TxnTaxDetail, TotalTax: 0 };
    if (Array.isArray((row.TxnTaxDetail as Json | undefined)?.TaxLine)) delete (row.TxnTaxDetail as Json).TaxLine;
    row.TotalAmt = 0;
    if ('Balance' in row) row.Balance = 0;
    if ('UnappliedAmt' in row) row.UnappliedAmt = 0;
    if ('RemainingCredit' in row) row.RemainingCredit = 0;
    const newMeta: RowMeta = { ...meta, updatedMs: now };
    const out = this.finish(entity, id, row, String(Number(fresh.SyncToken) + 1), newMeta);
    this.store(entity, id, out, newMeta);
    this.log(entity, id, 'Void', now);
    return structuredClone(out);
  }

  /** Marks a payment as included in a bank deposit: later writes to it fail with 6540. */
  markDeposited(entityName: string, id: string, deposited = true): void {
    const entity = this.entity(entityName);
    const meta = this.metaTable(entity).get(id);
    if (!meta) throw faults.objectNotFound(entity, id);
    meta.deposited = deposited;
  }

  /** Inserts a row that the API cannot create (TaxCode, TaxRate) or seeds any entity without checks
   *  beyond the builders; used by presets. */
  insert(entityName: string, body: Json): Json {
    const entity = this.entity(entityName);
    const def = ENTITIES[entity];
    if (def.writable && def.kind !== 'singleton') return this.create(entity, body);
    const id = typeof body.Id === 'string' ? body.Id : this.nextId(entity);
    const input: Json = { ...body };
    delete input.Id;
    if (entity === 'TaxCode' || entity === 'TaxRate') input.Active = input.Active !== false;
    this.resolveRefs(entity, input);
    return structuredClone(this.put(entity, id, prune(input), this.nowMs(), true));
  }

  // ---------- balances and links ----------
  private linkTargets(entity: EntityName): Record<string, EntityName> | undefined {
    if (entity === 'Payment') return { Invoice: 'Invoice', CreditMemo: 'CreditMemo' };
    if (entity === 'BillPayment') return { Bill: 'Bill', VendorCredit: 'VendorCredit' };
    return undefined;
  }

  private appliedTo(targetId: string, exceptSource?: string): bigint {
    let sum = 0n;
    for (const [src, c] of this.applied.get(targetId) ?? []) if (src !== exceptSource) sum += c;
    return sum;
  }

  /** Balance fields that depend on links: invoice/bill Balance, credit RemainingCredit, UnappliedAmt. */
  private setBalance(entity: EntityName, id: string, obj: Json): void {
    const total = isDecimal(obj.TotalAmt) ? toCents(obj.TotalAmt) : 0n;
    if (entity === 'Invoice' || entity === 'Bill' || entity === 'CreditMemo' || entity === 'VendorCredit') {
      const applied = this.appliedTo(id);
      if (total < applied) throw faults.business(`The total of ${entity} ${id} cannot be less than the ${centsToNumber(applied)} already applied to it.`, 'TotalAmt');
      obj.Balance = centsToNumber(total - applied);
      if (entity === 'CreditMemo') obj.RemainingCredit = obj.Balance;
    }
    if (entity === 'SalesReceipt') obj.Balance = 0;
    if (entity === 'Payment') {
      let used = 0n;
      for (const l of obj.Line as Json[]) {
        for (const t of l.LinkedTxn as Json[]) {
          const c = toCents(l.Amount as number);
          used += t.TxnType === 'CreditMemo' ? -c : c;
        }
      }
      if (used > total) throw faults.business(`The amount applied (${centsToNumber(used)}) is more than the payment total (${centsToNumber(total)}).`, 'TotalAmt');
      obj.UnappliedAmt = centsToNumber(total - used);
    }
  }

  /** Strict: payment lines carry QBO's JAXB-style `LineEx` echoing the linked document's id, open
   *  balance and number (docs/qbo-api.md §payment, seen in public fixtures of real answers). */
  private paymentLineEx(entity: EntityName, id: string, obj: Json): void {
    if (entity !== 'Payment' || this.fidelity() !== 'strict' || !Array.isArray(obj.Line)) return;
    const nv = (Name: string, Value: string) => ({
      name: '{http://schema.intuit.com/finance/v3}NameValue',
      declaredType: 'com.intuit.schema.finance.v3.NameValue',
      scope: 'javax.xml.bind.JAXBElement$GlobalScope',
      value: { Name, Value },
      nil: false,
      globalScope: true,
      typeSubstituted: false,
    });
    for (const l of obj.Line as Json[]) {
      const t = (Array.isArray(l.LinkedTxn) ? (l.LinkedTxn as Json[]) : [])[0];
      const target = t ? this.get(this.typeOfTxn(String(t.TxnId)) ?? 'Invoice', String(t.TxnId)) : undefined;
      if (!t || !target) continue;
      const open = toCents(target.TotalAmt as number) - this.appliedTo(String(t.TxnId), id);
      const any = [nv('txnId', String(t.TxnId)), nv('txnOpenBalance', (Number(open) / 100).toFixed(2))];
      if (typeof target.DocNumber === 'string') any.push(nv('txnReferenceNumber', target.DocNumber));
      l.LineEx = { any };
    }
  }

  /** Checks the documents a payment links to before anything is written. */
  private prepareLinks(entity: EntityName, id: string | undefined, obj: Json): void {
    const targets = this.linkTargets(entity);
    if (!targets) return;
    const partyField = entity === 'Payment' ? 'CustomerRef' : 'VendorRef';
    const perTarget = new Map<string, bigint>();
    for (const l of obj.Line as Json[]) {
      for (const t of l.LinkedTxn as Json[]) {
        const type = targets[String(t.TxnType)];
        if (!type) throw faults.invalidEnum('LinkedTxn.TxnType', t.TxnType);
        const target = this.get(type, String(t.TxnId));
        if (!target) throw faults.invalidReference('LinkedTxn.TxnId', type, String(t.TxnId));
        if (refValue(target[partyField]) !== refValue(obj[partyField])) {
          throw faults.business(`${type} ${String(t.TxnId)} belongs to another ${partyField === 'CustomerRef' ? 'customer' : 'vendor'}.`, 'LinkedTxn');
        }
        const k = String(t.TxnId);
        perTarget.set(k, (perTarget.get(k) ?? 0n) + toCents(l.Amount as number));
      }
    }
    for (const [targetId, amt] of perTarget) {
      const type = this.typeOfTxn(targetId)!;
      const target = this.get(type, targetId)!;
      const open = toCents(target.TotalAmt as number) - this.appliedTo(targetId, id);
      if (amt > open) {
        throw faults.business(`The amount applied to ${type} ${targetId} (${centsToNumber(amt)}) is more than its open balance (${centsToNumber(open)}).`, 'Line.Amount');
      }
    }
  }

  private typeOfTxn(id: string): EntityName | undefined {
    for (const e of ['Invoice', 'CreditMemo', 'Bill', 'VendorCredit'] as EntityName[]) if (this.get(e, id)) return e;
    return undefined;
  }

  /** Side effect on a linked document: new Balance, LinkedTxn entry, SyncToken + 1. */
  private touchTarget(targetId: string, sourceId: string, sourceType: EntityName, now: number, link: boolean): void {
    const type = this.typeOfTxn(targetId);
    if (!type) return;
    const row = structuredClone(this.get(type, targetId)!);
    const meta = this.metaTable(type).get(targetId)!;
    const total = toCents(row.TotalAmt as number);
    row.Balance = centsToNumber(total - this.appliedTo(targetId));
    if (type === 'CreditMemo') row.RemainingCredit = row.Balance;
    const links = (Array.isArray(row.LinkedTxn) ? (row.LinkedTxn as Json[]) : []).filter((t) => t.TxnId !== sourceId);
    if (link) links.push({ TxnId: sourceId, TxnType: sourceType });
    if (links.length || type === 'Invoice') row.LinkedTxn = links;
    else delete row.LinkedTxn;
    row.SyncToken = String(Number(row.SyncToken) + 1);
    const newMeta = { ...meta, updatedMs: now };
    (row.MetaData as Json).LastUpdatedTime = pacificMetaTime(new Date(now));
    this.store(type, targetId, row, newMeta);
    this.log(type, targetId, 'Update', now);
  }

  private linksOf(row: Json): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const l of (Array.isArray(row.Line) ? row.Line : []) as Json[]) {
      for (const t of (Array.isArray(l.LinkedTxn) ? l.LinkedTxn : []) as Json[]) {
        const k = String(t.TxnId);
        out.set(k, (out.get(k) ?? 0n) + (isDecimal(l.Amount) ? toCents(l.Amount) : 0n));
      }
    }
    return out;
  }

  private applyLinks(entity: EntityName, id: string, row: Json, now: number): void {
    if (!this.linkTargets(entity)) return;
    for (const [target, amt] of this.linksOf(row)) {
      if (amt === 0n) continue;
      let m = this.applied.get(target);
      if (!m) this.applied.set(target, (m = new Map()));
      m.set(id, amt);
      this.touchTarget(target, id, entity, now, true);
    }
  }

  private unapplyLinks(entity: EntityName, id: string, row: Json, now: number): void {
    if (!this.linkTargets(entity)) return;
    for (const target of this.linksOf(row).keys()) {
      this.applied.get(target)?.delete(id);
      this.touchTarget(target, id, entity, now, false);
    }
  }

  /** A settled document is deleted or voided: the payments that settled it keep their money as
   *  unapplied credit (lines linking it are removed; their SyncToken moves). */
  private detachPayments(targetId: string, now: number): void {
    const sources = this.applied.get(targetId);
    if (!sources || sources.size === 0) return;
    for (const sourceId of [...sources.keys()]) {
      const type: EntityName = this.get('Payment', sourceId) ? 'Payment' : 'BillPayment';
      const row = structuredClone(this.get(type, sourceId)!);
      row.Line = (row.Line as Json[]).filter((l) => !(l.LinkedTxn as Json[]).some((t) => t.TxnId === targetId));
      sources.delete(sourceId);
      if (type === 'Payment') {
        const obj = { ...row };
        try {
          this.setBalance('Payment', sourceId, obj);
        } catch {
          // The released credit memo was funding the rest of this payment: release every link.
          for (const other of this.linksOf(row).keys()) {
            this.applied.get(other)?.delete(sourceId);
            this.touchTarget(other, sourceId, type, now, false);
          }
          row.Line = [];
          obj.Line = [];
          this.setBalance('Payment', sourceId, obj);
        }
        row.UnappliedAmt = obj.UnappliedAmt;
      }
      row.SyncToken = String(Number(row.SyncToken) + 1);
      (row.MetaData as Json).LastUpdatedTime = pacificMetaTime(new Date(now));
      const meta = { ...this.metaTable(type).get(sourceId)!, updatedMs: now };
      this.store(type, sourceId, row, meta);
      this.log(type, sourceId, 'Update', now);
    }
    this.applied.delete(targetId);
  }

  // ---------- query + CDC ----------
  query(sql: string): QueryResult {
    const q = parseQuery(sql);
    const r = runQuery(q, {
      strict: this.fidelity() === 'strict',
      rows: (e) => this.table(e).values(),
      lookup: (e, field, values) => this.lookup(e, field, values),
    });
    if (r.rows) r.rows = r.rows.map((row) => structuredClone(row));
    return r;
  }

  private lookup(entity: EntityName, field: string, values: Literal[]): Json[] | undefined {
    const t = this.table(entity);
    if (field === 'Id') return values.map((v) => t.get(String(v))).filter((r): r is Json => r !== undefined);
    if (!(INDEXED as readonly string[]).includes(field)) return undefined;
    const m = this.idx(entity, field);
    const out: Json[] = [];
    for (const v of values) for (const id of m.get(indexKey(field, String(v))) ?? []) out.push(t.get(id)!);
    return out;
  }

  /** Change data capture: changed rows (full) and deleted rows (`status: "Deleted"`) per entity,
   *  oldest first. Generous: at most `limit` per entity, from any changedSince. Strict: at most 1,000 objects in the whole
   *  answer (Intuit's documented cap), the oldest changes across the requested entities kept. */
  cdc(entityNames: string[], changedSince: Date, limit = CDC_MAX_OBJECTS): CdcEntityResult[] {
    const now = this.nowMs();
    if (Number.isNaN(changedSince.getTime())) throw faults.queryInvalid('changedSince is not a valid date-time');
    // QBO accepts an older changedSince (recorded cdc/basic.yml: 2011, answered 200 with 2015 rows);
    // Intuit documents a 30-day look-back, so strict returns only the last 30 days' changes.
    const since = this.fidelity() === 'strict' ? Math.max(changedSince.getTime(), now - 30 * DAY_MS) : changedSince.getTime();
    const perEntity = entityNames.map((n) => {
      const entity = this.entity(n.trim());
      if (entity === 'TaxCode' || entity === 'TaxRate') throw faults.queryInvalid(`Change data capture is not supported for ${entity}`);
      const items: { ms: number; row: Json }[] = [];
      for (const [id, m] of this.metaTable(entity)) if (m.updatedMs >= since) items.push({ ms: m.updatedMs, row: this.get(entity, id)! });
      for (const [id, ms] of this.tombstones.get(entity) ?? []) {
        if (ms >= since) {
          items.push({ ms, row: { domain: 'QBO', status: 'Deleted', Id: id, MetaData: { LastUpdatedTime: pacificMetaTime(new Date(ms)) } } });
        }
      }
      items.sort((a, b) => a.ms - b.ms);
      return { entity, items };
    });
    if (this.fidelity() === 'strict') {
      // Keep the `limit` oldest changes over all entities: the cut-off time, then ties by entity order.
      const all = perEntity.flatMap((p, i) => p.items.map((it, j) => ({ ms: it.ms, i, j })));
      all.sort((a, b) => a.ms - b.ms || a.i - b.i || a.j - b.j);
      const keep = new Set(all.slice(0, limit).map((x) => `${x.i}:${x.j}`));
      return perEntity.map((p, i) => ({ entity: p.entity, rows: p.items.filter((_, j) => keep.has(`${i}:${j}`)).map((it) => structuredClone(it.row)) }));
    }
    return perEntity.map((p) => ({ entity: p.entity, rows: p.items.slice(0, limit).map((i) => structuredClone(i.row)) }));
  }

  // ---------- requestid memory ----------
  /** The remembered answer for a requestid. Strict: only within the retention time. */
  recallRequest(requestId: string): RememberedRequest | undefined {
    const seen = this.requestIds.get(requestId);
    if (!seen) return undefined;
    if (this.fidelity() === 'strict') {
      const keep = this.deps.requestIdRetentionMs?.() ?? DEFAULT_REQUESTID_RETENTION_MS;
      if (this.nowMs() - seen.atMs > keep) {
        this.requestIds.delete(requestId);
        return undefined;
      }
    }
    return seen;
  }
  rememberRequest(requestId: string, response: unknown, fingerprint = ''): void {
    const size = this.deps.requestIdMemory();
    if (size <= 0) return;
    this.requestIds.delete(requestId);
    this.requestIds.set(requestId, { answer: response, fingerprint, atMs: this.nowMs() });
    while (this.requestIds.size > size) {
      const first = this.requestIds.keys().next().value as string;
      this.requestIds.delete(first);
    }
  }
  forgetRequests(): void {
    this.requestIds.clear();
  }

  // ---------- persistence ----------
  toJSON(): CompanySnapshot {
    const rows: CompanySnapshot['rows'] = {};
    for (const [e, t] of this.rows) rows[e] = [...t].map(([id, r]) => [id, r, this.metaTable(e).get(id)!]);
    const tombstones: CompanySnapshot['tombstones'] = {};
    for (const [e, t] of this.tombstones) tombstones[e] = [...t];
    return {
      realmId: this.realmId,
      name: this.name,
      region: this.region,
      offsetMinutes: this.offsetMinutes,
      seqs: { ...this.seqs },
      docCounters: { ...this.docCounters },
      rows,
      tombstones,
      changeLog: [...this.changeLog],
      changeSeq: this.changeSeq,
      requestIds: [...this.requestIds],
    };
  }

  static fromJSON(deps: CompanyDeps, s: CompanySnapshot): Company {
    const c = new Company(deps, { realmId: s.realmId, name: s.name, region: s.region, offsetMinutes: s.offsetMinutes });
    c.seqs = { ...s.seqs };
    c.docCounters = { ...s.docCounters };
    for (const [e, list] of Object.entries(s.rows)) {
      for (const [id, row, meta] of list) c.store(e as EntityName, id, row, meta, true);
    }
    for (const [e, list] of Object.entries(s.tombstones)) c.tombstones.set(e as EntityName, new Map(list));
    c.changeLog = [...s.changeLog];
    c.changeSeq = s.changeSeq;
    // Snapshots from before issue 13 hold the bare answer.
    c.requestIds = new Map(
      s.requestIds.map(([k, v]) => [k, isObj(v) && 'fingerprint' in v && 'answer' in v ? (v as unknown as RememberedRequest) : { answer: v, fingerprint: '', atMs: 0 }]),
    );
    for (const e of ['Payment', 'BillPayment'] as EntityName[]) {
      for (const [id, row] of c.table(e)) {
        for (const [target, amt] of c.linksOf(row)) {
          if (amt === 0n) continue;
          let m = c.applied.get(target);
          if (!m) c.applied.set(target, (m = new Map()));
          m.set(id, amt);
        }
      }
    }
    return c;
  }
}

/** QBO renames a made-inactive list entry "Name (deleted)" and drops the suffix when it is made
 *  active again (recorded deactivate/account.yml, deactivate/employee.yml). */
function markInactiveName(field: 'DisplayName' | 'Name', obj: Json): void {
  const name = obj[field];
  if (typeof name !== 'string') return;
  const base = name.endsWith(DELETED) ? name.slice(0, -DELETED.length) : name;
  const shown = obj.Active === false ? base + DELETED : base;
  obj[field] = shown;
  const fqn = obj.FullyQualifiedName;
  if (typeof fqn === 'string') {
    const cut = fqn.lastIndexOf(':');
    obj.FullyQualifiedName = cut < 0 ? shown : `${fqn.slice(0, cut + 1)}${shown}`;
  }
}

function sameContent(a: Json, b: Json): boolean {
  const strip = (o: Json) => {
    const { MetaData: _m, SyncToken: _s, ...rest } = o;
    return JSON.stringify(sortKeys(rest));
  };
  return strip(a) === strip(b);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObj(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys(v[k])]),
    );
  return v;
}

export { QboFault };
