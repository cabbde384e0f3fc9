/**
 * Building QBO query text. Values are the only place user data enters a query, and every value goes
 * through `quote`: QBO reads `\'` as a quote and `\\` as a backslash inside single quotes, so escaping
 * both makes any typed string a literal (O'Keefe, C:\temp, a trailing backslash). Property names and
 * entity names are checked against a strict pattern instead, since they cannot be quoted.
 */

export type QueryOp = '=' | '<' | '>' | '<=' | '>=' | 'LIKE';
export type QueryValue = string | number | boolean;

export class QueryBuildError extends Error {
  override name = 'QueryBuildError';
  constructor(
    readonly code: 'query.bad-name' | 'query.bad-value' | 'query.empty-in' | 'query.bad-paging',
    message: string,
  ) {
    super(message);
  }
}

const namePart = /^[A-Za-z][A-Za-z0-9]*$/;

function checkName(name: string, what: string): string {
  if (!name.split('.').every((part) => namePart.test(part))) throw new QueryBuildError('query.bad-name', `${what} "${name}" is not a QBO property or entity name`);
  return name;
}

/** A string as a QBO query literal: backslashes first, then quotes, so neither escape is doubled. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Any value as query text: strings quoted, numbers in plain decimal, booleans bare. */
export function literal(value: QueryValue): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (!Number.isFinite(value)) throw new QueryBuildError('query.bad-value', `${String(value)} cannot be used in a query`);
  // Quoted, as QBO's own examples do (TotalAmt > '300.00'); avoids exponent notation surprises.
  return quote(Number.isInteger(value) ? value.toFixed(0) : String(value));
}

interface Condition {
  text: string;
}

export interface BuiltQuery {
  entity: string;
  where: string[];
  orderBy: string[];
}

/** An immutable SELECT builder; `text()` gives the query without paging clauses, the client adds them. */
export class QueryBuilder {
  private constructor(
    readonly entity: string,
    private readonly conditions: readonly Condition[],
    private readonly order: readonly string[],
  ) {}

  static from(entity: string): QueryBuilder {
    return new QueryBuilder(checkName(entity, 'Entity'), [], []);
  }

  where(property: string, op: QueryOp, value: QueryValue): QueryBuilder {
    const ops: readonly string[] = ['=', '<', '>', '<=', '>=', 'LIKE'];
    if (!ops.includes(op)) throw new QueryBuildError('query.bad-value', `"${op}" is not a QBO query operator`);
    return new QueryBuilder(this.entity, [...this.conditions, { text: `${checkName(property, 'Property')} ${op} ${literal(value)}` }], this.order);
  }

  whereIn(property: string, values: readonly QueryValue[]): QueryBuilder {
    if (values.length === 0) throw new QueryBuildError('query.empty-in', `An IN list for ${property} needs at least one value`);
    const list = values.map(literal).join(', ');
    return new QueryBuilder(this.entity, [...this.conditions, { text: `${checkName(property, 'Property')} IN (${list})` }], this.order);
  }

  orderBy(property: string, direction: 'ASC' | 'DESC' = 'ASC'): QueryBuilder {
    return new QueryBuilder(this.entity, this.conditions, [...this.order, `${checkName(property, 'Property')} ${direction === 'DESC' ? 'DESC' : 'ASC'}`]);
  }

  private whereText(): string {
    return this.conditions.length ? ` WHERE ${this.conditions.map((c) => c.text).join(' AND ')}` : '';
  }

  /** SELECT * with the conditions and order, no paging. */
  text(): string {
    const order = this.order.length ? ` ORDERBY ${this.order.join(', ')}` : '';
    return `SELECT * FROM ${this.entity}${this.whereText()}${order}`;
  }

  /** One page of rows; STARTPOSITION is 1-based, MAXRESULTS at most 1000 (QBO answers 4001 above). */
  page(startPosition: number, maxResults: number): string {
    if (!Number.isInteger(startPosition) || startPosition < 1 || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) {
      throw new QueryBuildError('query.bad-paging', `Paging must start at 1 or later and ask for 1 to 1000 rows (got ${startPosition}, ${maxResults})`);
    }
    return `${this.text()} STARTPOSITION ${startPosition} MAXRESULTS ${maxResults}`;
  }

  count(): string {
    return `SELECT count(*) FROM ${this.entity}${this.whereText()}`;
  }
}

export interface ChunkOptions {
  /** Most values in one IN list (default 1000). */
  maxValues?: number;
  /** Most characters of the IN list text in one query (default 20,000; long ones go by POST anyway). */
  maxChars?: number;
}

/**
 * Splits a long IN list into several queries that each stay within the value and length limits, so
 * a check of 5,000 document numbers is five requests rather than 5,000 or one that QBO rejects.
 */
export function chunkedIn(base: QueryBuilder, property: string, values: readonly QueryValue[], opts: ChunkOptions = {}): QueryBuilder[] {
  const maxValues = opts.maxValues ?? 1000;
  const maxChars = opts.maxChars ?? 20_000;
  const unique = [...new Set(values)];
  const chunks: QueryBuilder[] = [];
  let current: QueryValue[] = [];
  let chars = 0;
  for (const v of unique) {
    const len = literal(v).length + 2;
    if (current.length > 0 && (current.length >= maxValues || chars + len > maxChars)) {
      chunks.push(base.whereIn(property, current));
      current = [];
      chars = 0;
    }
    current.push(v);
    chars += len;
  }
  if (current.length) chunks.push(base.whereIn(property, current));
  return chunks;
}
