// TaxService: the one way the API creates a tax code (TaxCode and TaxRate are read-only). Shape from
// Intuit's schema (QuickBooks-V3-Java-SDK ipp-v3-java-data/src/main/xsd/SalesTax.xsd: TaxService has
// TaxCode, TaxCodeId "output only", TaxRateDetails[] of TaxRateName, TaxRateId, RateValue,
// TaxAgencyId, TaxApplicableOn ∈ Sales|Purchase|Adjustment|Other "Default is Sales") and Intuit's
// reference text (quoted in ej2/python-quickbooks quickbooks/objects/taxservice.py): "Create a new tax
// code and specify a list of existing tax rates to be associated to that tax code … Create a new tax
// rate dynamically … Tax agency entities on tax rates created via the TaxService endpoint are
// referenced by id only. That is, you cannot create new tax agencies". The answer is the TaxService
// itself, unwrapped (the SDK's TaxServiceDeserializer reads TaxCode, TaxCodeId, TaxRateDetails and
// Fault at the top level).

import { isObj, type Json } from './context.js';
import type { EntityName } from './entities.js';
import { faults, QboFault } from './faults.js';
import { isDecimal } from './money.js';

const TOP = new Set(['TaxCode', 'TaxCodeId', 'TaxRateDetails']);
const DETAIL = new Set(['TaxRateName', 'TaxRateId', 'RateValue', 'TaxAgencyId', 'TaxApplicableOn']);
const APPLICABLE = ['Sales', 'Purchase', 'Adjustment', 'Other'];

export interface TaxServiceDeps {
  region: string;
  rows(entity: EntityName): Json[];
  get(entity: EntityName, id: string): Json | undefined;
  insert(entity: EntityName, body: Json): Json;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined);
const sameName = (a: unknown, b: string) => typeof a === 'string' && a.replace(/ \(deleted\)$/, '').toLowerCase() === b.toLowerCase();

export function createTaxService(deps: TaxServiceDeps, body: unknown): Json {
  if (!isObj(body)) throw faults.requiredMissing('TaxService');
  for (const k of Object.keys(body)) if (!TOP.has(k)) throw faults.unknownProperty('TaxService', k, [...TOP]);
  const name = text(body.TaxCode);
  if (!name) throw faults.requiredMissing('TaxCode');
  if (name.includes(':')) throw new QboFault([{ Message: 'Invalid String', Detail: 'TaxCode cannot contain a colon (:).', code: '2040', element: 'TaxCode' }]);
  // A second code of one name: "Duplicate Name Exists Error", also when a TaxCodeId is sent hoping to
  // update (TaxService creates only; ej2/python-quickbooks#225, the maintainer reproduced it in the API Explorer).
  if (deps.rows('TaxCode').some((c) => sameName(c.Name, name))) throw faults.duplicateName();
  const details = body.TaxRateDetails;
  if (!Array.isArray(details) || details.length === 0) throw faults.requiredMissing('TaxRateDetails');

  // Check every detail before writing anything: a refused request leaves no rate behind.
  type Planned = { existing?: Json; make?: { name: string; value: number | string; agency: string; on: string } };
  const planned: Planned[] = details.map((d: unknown, i: number) => {
    const where = `TaxRateDetails[${i}]`;
    if (!isObj(d)) throw faults.requiredMissing(where);
    for (const k of Object.keys(d)) if (!DETAIL.has(k)) throw faults.unknownProperty(where, k, [...DETAIL]);
    const on = text(d.TaxApplicableOn) ?? 'Sales';
    if (!APPLICABLE.includes(on)) throw faults.invalidEnum(`${where}.TaxApplicableOn`, on);
    // US sales tax is charged on sales only; purchases carry no sales tax (Intuit, "Manage sales tax
    // for US locales": the US model is sales tax codes on sales transactions).
    if (deps.region === 'US' && on !== 'Sales') throw faults.invalidEnum(`${where}.TaxApplicableOn`, on);
    const rateId = text(d.TaxRateId);
    if (rateId) {
      const existing = deps.get('TaxRate', rateId);
      if (!existing) throw faults.invalidReference(`${where}.TaxRateId`, 'TaxRate', rateId);
      return { existing };
    }
    const rateName = text(d.TaxRateName);
    if (!rateName) throw faults.requiredMissing(`${where}.TaxRateName`);
    if (deps.rows('TaxRate').some((r) => sameName(r.Name, rateName))) throw faults.duplicateName();
    if (d.RateValue === undefined || d.RateValue === null || d.RateValue === '') throw faults.requiredMissing(`${where}.RateValue`);
    if (!isDecimal(d.RateValue) || Number(d.RateValue) < 0 || Number(d.RateValue) > 100) throw faults.invalidNumber(`${where}.RateValue`, d.RateValue);
    const agency = text(d.TaxAgencyId);
    if (!agency) throw faults.requiredMissing(`${where}.TaxAgencyId`);
    if (!deps.get('TaxAgency', agency)) throw faults.invalidReference(`${where}.TaxAgencyId`, 'TaxAgency', agency);
    return { make: { name: rateName, value: d.RateValue as number | string, agency, on } };
  });
  const names = planned.flatMap((p) => (p.make ? [p.make.name.toLowerCase()] : []));
  if (new Set(names).size !== names.length) throw faults.duplicateName();

  const sales: Json[] = [];
  const purchases: Json[] = [];
  const out: Json[] = [];
  for (const p of planned) {
    const rate =
      p.existing ??
      deps.insert('TaxRate', {
        Name: p.make!.name,
        Description: p.make!.name,
        RateValue: Number(p.make!.value),
        AgencyRef: { value: p.make!.agency },
        Active: true,
        SpecialTaxType: 'NONE',
        DisplayType: 'ReadOnly',
      });
    const on = p.make?.on ?? 'Sales';
    const list = on === 'Purchase' ? purchases : sales;
    list.push({ TaxRateRef: { value: String(rate.Id) }, TaxTypeApplicable: 'TaxOnAmount', TaxOrder: list.length });
    out.push({
      TaxRateName: String(rate.Name),
      TaxRateId: String(rate.Id),
      RateValue: rate.RateValue,
      ...(isObj(rate.AgencyRef) ? { TaxAgencyId: String(rate.AgencyRef.value) } : {}),
      TaxApplicableOn: on,
    });
  }
  const code = deps.insert('TaxCode', {
    Name: name,
    Description: name,
    Active: true,
    Hidden: false,
    Taxable: true,
    TaxGroup: sales.length + purchases.length > 1,
    SalesTaxRateList: { TaxRateDetail: sales },
    PurchaseTaxRateList: { TaxRateDetail: purchases },
    TaxCodeConfigType: 'USER_DEFINED',
  });
  return { TaxCode: name, TaxCodeId: String(code.Id), TaxRateDetails: out };
}
