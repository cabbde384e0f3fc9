import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { QueryBuilder, QueryBuildError, chunkedIn, literal, quote } from './query.js';
import { numRuns } from '../../test/helpers/seed.js';

/** An independent reader of one QBO string literal: `\x` means x, the first bare quote ends it. */
function readLiteral(text: string): { value: string; rest: string } {
  if (text[0] !== "'") throw new Error('not a literal');
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\') {
      out += text[i + 1] ?? '';
      i++;
    } else if (ch === "'") {
      return { value: out, rest: text.slice(i + 1) };
    } else {
      out += ch;
    }
  }
  throw new Error('unterminated literal');
}

describe('query builder', () => {
  it('quotes any string so that it reads back exactly and ends where it should', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const q = quote(s);
        const { value, rest } = readLiteral(q + ' AND');
        expect(value).toBe(s);
        expect(rest).toBe(' AND');
      }),
      { numRuns: numRuns(3000) },
    );
  });

  it('escapes the cases that broke other libraries', () => {
    expect(quote("Amy's Bird Sanctuary")).toBe("'Amy\\'s Bird Sanctuary'");
    expect(quote('C:\\temp\\')).toBe("'C:\\\\temp\\\\'");
    expect(quote("\\'")).toBe("'\\\\\\''");
    expect(literal(true)).toBe('true');
    expect(literal(300)).toBe("'300'");
    expect(literal(12.5)).toBe("'12.5'");
  });

  it('builds SELECT, count and paging text', () => {
    const q = QueryBuilder.from('Customer').where('DisplayName', '=', "O'Keefe").where('Active', '=', true).orderBy('Id');
    expect(q.text()).toBe("SELECT * FROM Customer WHERE DisplayName = 'O\\'Keefe' AND Active = true ORDERBY Id ASC");
    expect(q.page(1001, 1000)).toBe(`${q.text()} STARTPOSITION 1001 MAXRESULTS 1000`);
    expect(q.count()).toBe("SELECT count(*) FROM Customer WHERE DisplayName = 'O\\'Keefe' AND Active = true");
    expect(QueryBuilder.from('Invoice').whereIn('DocNumber', ['1', "2'"]).text()).toBe("SELECT * FROM Invoice WHERE DocNumber IN ('1', '2\\'')");
  });

  it('refuses names that could smuggle query text, empty IN lists and bad paging', () => {
    expect(() => QueryBuilder.from('Customer; DROP')).toThrow(QueryBuildError);
    expect(() => QueryBuilder.from('Customer').where("Name' OR", '=', 1)).toThrow(QueryBuildError);
    expect(() => QueryBuilder.from('Customer').whereIn('Id', [])).toThrowError(expect.objectContaining({ code: 'query.empty-in' }));
    expect(() => QueryBuilder.from('Customer').page(0, 10)).toThrow(QueryBuildError);
    expect(() => QueryBuilder.from('Customer').page(1, 1001)).toThrow(QueryBuildError);
    expect(() => literal(Number.NaN)).toThrow(QueryBuildError);
  });

  it('chunks long IN lists by count and by length, keeping every value exactly once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 40 }), { maxLength: 400 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 50, max: 2000 }),
        (values, maxValues, maxChars) => {
          const chunks = chunkedIn(QueryBuilder.from('Invoice'), 'DocNumber', values, { maxValues, maxChars });
          const seen: string[] = [];
          for (const c of chunks) {
            const text = c.text();
            const inner = text.slice(text.indexOf('IN (') + 4, -1);
            let rest = inner;
            let n = 0;
            while (rest.length) {
              const r = readLiteral(rest);
              seen.push(r.value);
              n++;
              rest = r.rest.startsWith(', ') ? r.rest.slice(2) : r.rest;
            }
            expect(n).toBeLessThanOrEqual(maxValues);
            // A single over-long value still gets its own chunk rather than being dropped.
            if (n > 1) expect(inner.length).toBeLessThanOrEqual(maxChars);
          }
          expect(seen.sort()).toEqual([...new Set(values)].sort());
        },
      ),
    );
  });
});
