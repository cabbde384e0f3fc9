import { describe, expect, it } from 'vitest';
import { QboFault, type FaultError } from '../faults.js';
import { testCompany } from '../testing.js';
import { parseQuery } from './parse.js';

function faultOf(fn: () => unknown): FaultError {
  try {
    fn();
  } catch (e) {
    if (e instanceof QboFault) return e.errors[0]!;
    throw e;
  }
  throw new Error('expected a QBO fault');
}

describe('parseQuery', () => {
  it('reads the whole grammar, keywords and entity in any case', () => {
    expect(parseQuery("select *, Sku from item where Name LIKE 'Ser%' and Active IN (true, false) order by Name desc, Id startposition 3 maxresults 7")).toEqual({
      entity: 'item',
      count: false,
      fields: ['*', 'Sku'],
      where: [
        { field: 'Name', op: 'LIKE', values: ['Ser%'] },
        { field: 'Active', op: 'IN', values: [true, false] },
      ],
      orderBy: [
        { field: 'Name', desc: true },
        { field: 'Id', desc: false },
      ],
      startPosition: 3,
      maxResults: 7,
    });
    expect(parseQuery('SELECT COUNT(*) FROM Vendor')).toMatchObject({ count: true, entity: 'Vendor' });
    expect(parseQuery('SELECT * FROM Customer MAXRESULTS 2 STARTPOSITION 5')).toMatchObject({ maxResults: 2, startPosition: 5 });
    expect(
      parseQuery("SELECT * FROM Invoice WHERE TotalAmt >= '300.00' AND TxnDate < '2026-01-01' AND Balance > 0 AND Id <= '9' ORDERBY TxnDate ASC").where.map((w) => w.op),
    ).toEqual(['>=', '<', '>', '<=']);
  });

  it('unescapes backslash-escaped quotes and backslashes', () => {
    expect(parseQuery("SELECT * FROM Customer WHERE DisplayName = 'Amy\\'s Bird \\\\ Co'").where[0]!.values).toEqual(["Amy's Bird \\ Co"]);
  });

  it('4000 QueryParserError for OR, with the expected-token list', () => {
    const f = faultOf(() => parseQuery("SELECT * FROM Customer WHERE DisplayName = 'A' OR DisplayName = 'B'"));
    expect(f.code).toBe('4000');
    expect(f.Message).toBe('Error parsing query');
    expect(f.Detail).toMatch(/^QueryParserError: Encountered " <OR> "OR "" at line 1, column 48\.\nWas expecting one of:/);
    expect(f.Detail).toContain('"maxresults"');
  });

  it('4000 for syntax errors and the empty query', () => {
    expect(faultOf(() => parseQuery('')).Detail).toBe('QueryParserError: Encountered "<EOF>" at line 0, column 0.\nWas expecting:\n    "select" ...');
    expect(faultOf(() => parseQuery('SELECT * Customer')).code).toBe('4000');
    expect(faultOf(() => parseQuery("SELECT * FROM Customer WHERE DisplayName != 'x'")).code).toBe('4000');
    expect(faultOf(() => parseQuery("SELECT * FROM Customer WHERE DisplayName = 'open")).code).toBe('4000');
    expect(faultOf(() => parseQuery('SELECT * FROM Customer WHERE DisplayName = ’x’')).Detail).toContain('Lexical error');
  });
});

describe('runQuery through a company', () => {
  const setup = () => {
    const t = testCompany('US');
    const c = t.company;
    const mk = (doc: string, amount: number, date: string) =>
      c.create('Invoice', {
        DocNumber: doc,
        TxnDate: date,
        CustomerRef: { value: t.basics.customer },
        Line: [{ Amount: amount, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: t.basics.item } } }],
      });
    const a = mk('A-1', 100, '2026-01-05');
    t.advance(1000);
    const b = mk('A-2', 350.5, '2026-02-01');
    t.advance(1000);
    const d = mk('B-1', 20, '2026-02-20');
    return { ...t, c, a, b, d };
  };

  it('= and IN on DocNumber, Id and references', () => {
    const { c, a, d, basics } = setup();
    expect(c.query("select * from Invoice where DocNumber = 'a-1'").rows!.map((r) => r.Id)).toEqual([a.Id]);
    expect(c.query("select * from Invoice where DocNumber IN ('A-1', 'B-1', 'nope')").rows!.map((r) => r.Id)).toEqual([a.Id, d.Id]);
    expect(c.query(`select count(*) from Invoice where Id IN ('${String(a.Id)}', '${String(d.Id)}')`).count).toBe(2);
    expect(c.query(`select count(*) from Invoice where CustomerRef = '${basics.customer}'`).count).toBe(3);
  });

  it('< > <= >= on numbers (quoted or not) and dates', () => {
    const { c, b } = setup();
    expect(c.query("select * from Invoice where TotalAmt > '300.00'").rows!.map((r) => r.Id)).toEqual([b.Id]);
    expect(c.query('select count(*) from Invoice where TotalAmt <= 100').count).toBe(2);
    expect(c.query("select count(*) from Invoice where TxnDate >= '2026-02-01'").count).toBe(2);
    expect(c.query("select count(*) from Invoice where TxnDate < '2026-02-01'").count).toBe(1);
  });

  it('MetaData.LastUpdatedTime with QBO offsets', () => {
    const { c } = setup();
    // Invoices were written at 12:00:00Z, :01 and :02 (05:00:0x-07:00).
    expect(c.query("select count(*) from Invoice where MetaData.LastUpdatedTime > '2026-03-02T05:00:00-0700'").count).toBe(2);
    expect(c.query("select count(*) from Invoice where MetaData.LastUpdatedTime >= '2026-03-02T12:00:02Z'").count).toBe(1);
  });

  it('LIKE with % wildcards, case-insensitive', () => {
    const { c } = setup();
    expect(c.query("select count(*) from Invoice where DocNumber LIKE 'a-%'").count).toBe(2);
    expect(c.query("select count(*) from Invoice where DocNumber LIKE '%1'").count).toBe(2);
    expect(c.query("select count(*) from Customer where DisplayName LIKE '%cme%'").count).toBe(1);
  });

  it('ORDERBY ASC/DESC, STARTPOSITION (1-based), MAXRESULTS (default 100)', () => {
    const { c, a, b, d } = setup();
    expect(c.query('select * from Invoice orderby TotalAmt desc').rows!.map((r) => r.Id)).toEqual([b.Id, a.Id, d.Id]);
    expect(c.query('select * from Invoice order by TxnDate').rows!.map((r) => r.Id)).toEqual([a.Id, b.Id, d.Id]);
    const page = c.query('select * from Invoice orderby Id startposition 2 maxresults 1');
    expect(page).toMatchObject({ startPosition: 2 });
    expect(page.rows!.map((r) => r.Id)).toEqual([b.Id]);
    for (let i = 0; i < 120; i++) c.create('Class', { Name: `Class ${i}` });
    expect(c.query('select * from Class').rows).toHaveLength(100);
    expect(c.query('select * from Class startposition 101').rows).toHaveLength(20);
    expect(c.query('select * from Class maxresults 1000').rows).toHaveLength(120);
  });

  it('4001 for a non-filterable property and for MAXRESULTS over 1000', () => {
    const { c } = setup();
    expect(faultOf(() => c.query("select * from Vendor where PrimaryEmailAddr = 'a@b.c'"))).toEqual({
      code: '4001',
      Message: 'Invalid query',
      Detail: "QueryValidationError: property 'PrimaryEmailAddr' is not queryable",
    });
    expect(faultOf(() => c.query('select * from Payment where DocNumber = 1')).code).toBe('4001');
    expect(faultOf(() => c.query('select * from Invoice orderby PrivateNote')).code).toBe('4001');
    expect(faultOf(() => c.query('select * from Invoice maxresults 1500')).Detail).toBe('QueryValidationError: value 1500 is too large. Max allowed value is 1000');
  });

  it('escaped quotes match stored names; Preferences and CompanyInfo are queryable', () => {
    const { c } = setup();
    c.create('Customer', { DisplayName: "Amy's Bird Sanctuary" });
    expect(c.query("select * from Customer where DisplayName = 'Amy\\'s Bird Sanctuary'").rows).toHaveLength(1);
    expect(c.query('select * from Preferences').rows).toHaveLength(1);
    expect(c.query('select * from companyinfo').rows![0]).toMatchObject({ CompanyName: 'Test Co' });
  });

  it('an unknown entity is 4001 "invalid context declaration" (recorded error/400.yml)', () => {
    const { c } = setup();
    expect(faultOf(() => c.query('SELECT * FROM Custmoer'))).toMatchObject({
      code: '4001',
      Message: 'Invalid query',
      Detail: 'QueryValidationError: invalid context declaration: Custmoer',
    });
  });
});
