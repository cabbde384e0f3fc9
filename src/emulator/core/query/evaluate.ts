// Runs a parsed query over a company's rows. Validation mirrors QBO: only filterable properties in
// WHERE/ORDERBY (4001), MAXRESULTS ≤ 1000 (4001), inactive name-list rows hidden unless the WHERE
// constrains Active (docs/qbo-api.md §query, §filterable). Indexed fields (Id, DocNumber, names) skip the full scan.

import { ENTITIES, entityByName, type EntityName } from '../entities.js';
import { faults } from '../faults.js';
import { isDecimalText, toScaled } from '../money.js';
import type { Condition, Literal, Query } from './parse.js';
import { STRICT_FILTERABLE } from '../fidelity.js';

export type Json = Record<string, unknown>;

export interface QuerySource {
  /** Strict fidelity: only fields an Intuit source documents as filterable (fidelity.ts). */
  strict?: boolean;
  /** Every live row of an entity. */
  rows(entity: EntityName): Iterable<Json>;
  /** Candidate rows for an equality/IN condition when the field is indexed (a superset is fine). */
  lookup(entity: EntityName, field: string, values: Literal[]): Json[] | undefined;
}

export interface QueryResult {
  entity: EntityName;
  count?: number;
  rows?: Json[];
  startPosition?: number;
}

export const DEFAULT_MAX_RESULTS = 100;
export const MAX_MAX_RESULTS = 1000;

export function fieldValue(row: Json, path: string): unknown {
  let cur: unknown = row;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[part];
  }
  if (cur !== null && typeof cur === 'object' && !Array.isArray(cur) && 'value' in (cur as Json)) {
    return (cur as Json).value;
  }
  return cur;
}

const NUMERIC = { test: isDecimalText };
const isTime = (field: string) => field.startsWith('MetaData.');

/** -1/0/1, or undefined when the two cannot be compared (the row then does not match). */
function compare(field: string, a: unknown, b: Literal): number | undefined {
  if (a === undefined || a === null) return undefined;
  if (typeof a === 'boolean') {
    const bb = typeof b === 'boolean' ? b : String(b).toLowerCase() === 'true';
    return a === bb ? 0 : a ? 1 : -1;
  }
  if (isTime(field) && typeof a === 'string') {
    const ta = Date.parse(a);
    const tb = Date.parse(normaliseTime(String(b)));
    if (Number.isNaN(ta) || Number.isNaN(tb)) return undefined;
    return Math.sign(ta - tb);
  }
  const as = String(a);
  const bs = String(b);
  if ((typeof a === 'number' || NUMERIC.test(as)) && NUMERIC.test(bs) && NUMERIC.test(as)) {
    const x = toScaled(as, 7);
    const y = toScaled(bs, 7);
    return x === y ? 0 : x < y ? -1 : 1;
  }
  const x = as.toLowerCase();
  const y = bs.toLowerCase();
  return x === y ? 0 : x < y ? -1 : 1;
}

/** QBO accepts `2011-08-10T10:20:30-0700` (no colon in the offset) and plain dates. */
function normaliseTime(v: string): string {
  if (/[+-]\d{4}$/.test(v) && v.includes('T')) return `${v.slice(0, -2)}:${v.slice(-2)}`;
  return /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;
}

/** A key equal for two values exactly when compare() says they are equal. */
function inKey(field: string, v: Literal): string {
  if (typeof v === 'boolean') return v ? 'b:true' : 'b:false';
  const s = String(v);
  if (isTime(field)) {
    const t = Date.parse(normaliseTime(s));
    return Number.isNaN(t) ? `s:${s.toLowerCase()}` : `t:${t}`;
  }
  if (NUMERIC.test(s)) return `n:${toScaled(s, 7)}`;
  if (s === 'true' || s === 'false') return `b:${s}`;
  return `s:${s.toLowerCase()}`;
}

function likeRegex(pattern: string): RegExp {
  const body = pattern
    .split('%')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  // eslint-disable-next-line security/detect-non-literal-regexp -- built from an escaped pattern
  return new RegExp(`^${body}$`, 'is');
}

function matcher(c: Condition): (row: Json) => boolean {
  if (c.op === 'LIKE') {
    const re = likeRegex(String(c.values[0]));
    return (row) => {
      const v = fieldValue(row, c.field);
      return v !== undefined && v !== null && re.test(String(v));
    };
  }
  if (c.op === 'IN') {
    // Large IN lists (1,000 DocNumbers) must not cost a comparison per value per row.
    const keys = new Set(c.values.map((v) => inKey(c.field, v)));
    return (row) => {
      const v = fieldValue(row, c.field);
      return v !== undefined && v !== null && keys.has(inKey(c.field, v as Literal));
    };
  }
  const lit = c.values[0] as Literal;
  const want: Record<string, (n: number) => boolean> = {
    '=': (n) => n === 0,
    '<': (n) => n < 0,
    '>': (n) => n > 0,
    '<=': (n) => n <= 0,
    '>=': (n) => n >= 0,
  };
  const ok = want[c.op]!;
  return (row) => {
    const n = compare(c.field, fieldValue(row, c.field), lit);
    return n !== undefined && ok(n);
  };
}

function sortKey(field: string, row: Json): unknown {
  return fieldValue(row, field);
}

function cmpRows(a: unknown, b: unknown, field: string): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return compare(field, a, b as Literal) ?? 0;
}

const byId = (a: Json, b: Json) => {
  const x = String(a.Id);
  const y = String(b.Id);
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
};

export function runQuery(q: Query, src: QuerySource): QueryResult {
  const entity = entityByName(q.entity);
  if (!entity) throw faults.queryInvalid(`invalid context declaration: ${q.entity}`);
  const def = ENTITIES[entity];
  const allowed = src.strict ? Object.keys(STRICT_FILTERABLE[entity] ?? {}) : [...def.filterable];
  const resolve = (f: string): string => {
    const known = allowed.find((k) => k.toLowerCase() === f.toLowerCase());
    if (!known) throw faults.queryInvalid(`property '${f}' is not queryable`);
    return known;
  };
  const where = q.where.map((c) => ({ ...c, field: resolve(c.field) }));
  const orderBy = q.orderBy.map((o) => ({ ...o, field: resolve(o.field) }));
  if (q.maxResults !== undefined && q.maxResults > MAX_MAX_RESULTS) {
    throw faults.queryInvalid(`value ${q.maxResults} is too large. Max allowed value is ${MAX_MAX_RESULTS}`);
  }

  // Candidates from an index when one condition allows it; otherwise a full scan.
  let candidates: Iterable<Json> | undefined;
  for (const c of where) {
    if (c.op === '=' || c.op === 'IN') {
      const hit = src.lookup(entity, c.field, c.values);
      if (hit) {
        candidates = new Set(hit); // IN ('a','a') must not return a row twice
        break;
      }
    }
  }
  // The index may return a superset (names are indexed without their " (deleted)" suffix), so every
  // condition is still tested; IN tests are set lookups, so this stays cheap.
  const tests = where.map(matcher);
  const hideInactive = def.kind === 'list' && def.props.has('Active') && !where.some((c) => c.field === 'Active');
  const rows: Json[] = [];
  for (const row of candidates ?? src.rows(entity)) {
    if (hideInactive && row.Active === false) continue;
    if (tests.every((t) => t(row))) rows.push(row);
  }
  if (q.count) return { entity, count: rows.length };

  if (orderBy.length > 0) {
    rows.sort((a, b) => {
      for (const o of orderBy) {
        const n = cmpRows(sortKey(o.field, a), sortKey(o.field, b), o.field);
        if (n !== 0) return o.desc ? -n : n;
      }
      return byId(a, b);
    });
  } else if (def.kind === 'list' && def.nameField) {
    // Observed: name lists come back sorted by FullyQualifiedName / name.
    const key = def.props.has('FullyQualifiedName') ? 'FullyQualifiedName' : def.nameField;
    rows.sort((a, b) => cmpRows(fieldValue(a, key), fieldValue(b, key), key) || byId(a, b));
  } else {
    rows.sort(byId);
  }
  const start = Math.max(1, q.startPosition ?? 1);
  const max = q.maxResults ?? DEFAULT_MAX_RESULTS;
  return { entity, rows: rows.slice(start - 1, start - 1 + max), startPosition: start };
}
